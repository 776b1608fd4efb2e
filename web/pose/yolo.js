// YOLO pose (Ultralytics) decoding: the head's raw output to people, as Ultralytics' predict does it.
// Twin of catalog/pose/yolo.py (where the sources of the steps and thresholds are cited).
//
// The exported head answers 1 x (5 + 3K) x N, a column per anchor: a box (cx, cy, w, h in input
// pixels), the person score, then K x (x, y, visibility), scores already sigmoid-ed. Anchors
// scoring over CONF, best first (ties in anchor order), greedy NMS on the boxes' corners at IOU,
// at most MAX_DET people. Every figure is computed in float64 in the Python twin's order, so that
// both make the same choices.

/** A person scoring this or less is nobody (Ultralytics' predict default conf). */
export const CONF = 0.25;
/** A box overlapping a better one by more than this (IoU) is the same person. */
export const IOU = 0.7;
export const MAX_DET = 300;

/**
 * @typedef {object} Head one (5 + 3K) x N head output, row-major
 * @property {ArrayLike<number>} data
 * @property {number} rows 5 + 3K
 * @property {number} cols N anchors
 */

/**
 * Greedy NMS over corner boxes given best first: the indices kept, in order.
 * @param {[number, number, number, number][]} boxes x0, y0, x1, y1
 * @param {number} iou
 * @returns {number[]}
 */
export function suppress(boxes, iou) {
  const areas = boxes.map(([x0, y0, x1, y1]) => (x1 - x0) * (y1 - y0));
  const alive = new Array(boxes.length).fill(true);
  /** @type {number[]} */
  const kept = [];
  for (let i = 0; i < boxes.length; i++) {
    if (!alive[i]) continue;
    kept.push(i);
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j];
      const w = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
      const h = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
      const inter = w * h;
      const union = areas[i] + areas[j] - inter;
      const overlap = union > 0 ? inter / union : 0;
      if (overlap > iou) alive[j] = false;
    }
  }
  return kept;
}

/**
 * People in one head output, best first, in the input's normalised coordinates; nobody is an
 * empty list.
 * @param {Head} head
 * @param {[number, number]} inputHW
 * @param {{conf?: number, iou?: number, maxDet?: number}} [options]
 * @returns {import("./decoders.js").Decoded[]}
 */
export function decodeHead(head, inputHW, { conf = CONF, iou = IOU, maxDet = MAX_DET } = {}) {
  const { data, rows, cols } = head;
  if (rows < 5 || (rows - 5) % 3) throw new Error(`expected a (5 + 3K) x N head output, got ${rows} rows`);
  const k = (rows - 5) / 3;
  const [ih, iw] = inputHW;
  const at = (/** @type {number} */ row, /** @type {number} */ col) => data[row * cols + col];
  /** @type {number[]} */
  const order = [];
  for (let col = 0; col < cols; col++) if (at(4, col) > conf) order.push(col);
  order.sort((a, b) => at(4, b) - at(4, a) || a - b);
  /** @type {[number, number, number, number][]} */
  const boxes = order.map((col) => {
    const [cx, cy, w, h] = [at(0, col), at(1, col), at(2, col), at(3, col)];
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  });
  return suppress(boxes, iou)
    .slice(0, maxDet)
    .map((i) => {
      const col = order[i];
      /** @type {[number, number][]} */
      const xy = [];
      const scores = [];
      for (let j = 0; j < k; j++) {
        xy.push([at(5 + 3 * j, col) / iw, at(6 + 3 * j, col) / ih]);
        scores.push(at(7 + 3 * j, col));
      }
      const [x0, y0, x1, y1] = boxes[i];
      /** @type {[number, number, number, number]} */
      const box = [x0 / iw, y0 / ih, x1 / iw, y1 / ih];
      return { xy, scores, score: at(4, col), box, extra: {} };
    });
}

/**
 * Ultralytics YOLO pose: the one 1 x (5 + 3K) x N output to people over the score threshold
 * after NMS, best first; nobody is an empty list.
 * @type {import("./decoders.js").Decoder}
 */
export function decodeYoloPose(outputs, keypoints, inputHW) {
  const rows = 5 + 3 * keypoints.names.length;
  const all = Object.entries(outputs);
  const hits = all.filter(([, t]) => t.dims.length === 3 && Number(t.dims[1]) === rows);
  if (hits.length !== 1) {
    const shapes = all.map(([name, t]) => `${name} [${t.dims.join(", ")}]`).join(", ");
    throw new Error(`expected one 1x${rows}xN tensor among the outputs (${shapes}), found ${hits.length}`);
  }
  const t = hits[0][1];
  const wide = t.data instanceof BigInt64Array || t.data instanceof BigUint64Array;
  const data = /** @type {ArrayLike<number>} */ (wide ? Float64Array.from(t.data, Number) : t.data);
  return decodeHead({ data, rows, cols: Number(t.dims[2]) }, inputHW);
}
