// Decoders: a model's raw outputs to people, one decoder per `decode` kind a catalog record may
// name. Twin of catalog/pose/decoders.py.
//
// Each decoder takes the session's outputs by name, the record's keypoints and the input's
// (height, width), and returns people, best first, in the model input's normalised
// coordinates (the caller maps them back to the image through its Frame). Outputs are found by
// shape, not by name: converters rename them freely.

import { ssdAnchors } from "./anchors.js";
import { decodeOpenposePaf } from "./openpose.js";
import { decodeYoloPose } from "./yolo.js";

const f32 = Math.fround;

/** MediaPipe's pose_detection_cpu.pbtxt: below this an anchor is not a detection. */
export const DETECTOR_MIN_SCORE = 0.2;
/** Head boxes overlapping more than this (IoU) are the same person. */
export const DETECTOR_OVERLAP = 0.3;
export const DETECTOR_MAX_PEOPLE = 10;

/**
 * @typedef {object} OutputTensor a model output, as onnxruntime-web's Tensor has it
 * @property {ArrayLike<number>|BigInt64Array} data row-major values
 * @property {readonly number[]} dims
 */

/** @typedef {Record<string, OutputTensor>} Outputs by output name, in the session's order */

/**
 * @typedef {object} Keypoints a catalog record's `keypoints`
 * @property {string[]} names
 * @property {string} [schema]
 */

/**
 * @typedef {object} Decoded one person, in the model input's normalised coordinates
 * @property {[number, number][]} xy K points (x, y)
 * @property {number[]} scores K
 * @property {number} score
 * @property {[number, number, number, number]|null} box x0, y0, x1, y1, where the model gives one
 * @property {Record<string, any>} extra decoder-specific values (BlazePose: z, presence, aux points)
 */

/** @typedef {(outputs: Outputs, keypoints: Keypoints, inputHW: [number, number]) => Decoded[]} Decoder */

/**
 * @typedef {object} Found an output found by its shape
 * @property {ArrayLike<number>} data
 * @property {number[]} dims
 * @property {number} size
 */

/** The logistic function in float32, as numpy computes it on a float32 array. @param {number} x */
function sigmoid32(x) {
  const clipped = Math.min(Math.max(x, -80), 80);
  return f32(1 / f32(1 + f32(Math.exp(-clipped))));
}

/** The logistic function in float64. @param {number} x */
function sigmoid64(x) {
  return 1 / (1 + Math.exp(-Math.min(Math.max(x, -80), 80)));
}

/** @param {ArrayLike<number>} values @returns {number} */
function mean(values) {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total / values.length;
}

/**
 * The outputs as shapes and numbers (64-bit integers as numbers).
 * @param {Outputs} outputs
 * @returns {[string, Found][]}
 */
function found(outputs) {
  return Object.entries(outputs).map(([name, t]) => {
    const dims = Array.from(t.dims, Number);
    const data =
      t.data instanceof BigInt64Array || t.data instanceof BigUint64Array ? Float64Array.from(t.data, Number) : t.data;
    return [name, { data: /** @type {ArrayLike<number>} */ (data), dims, size: dims.reduce((a, b) => a * b, 1) }];
  });
}

/**
 * The one output passing `test`; an Error naming every output's shape otherwise.
 * @param {Outputs} outputs
 * @param {(t: Found) => boolean} test
 * @param {string} what
 * @returns {Found}
 */
function only(outputs, test, what) {
  const all = found(outputs);
  const hits = all.filter(([, t]) => test(t));
  if (hits.length !== 1) {
    const shapes = all.map(([name, t]) => `${name} [${t.dims.join(", ")}]`).join(", ");
    throw new Error(`expected one ${what} among the outputs (${shapes}), found ${hits.length}`);
  }
  return hits[0][1];
}

/** @param {Found} t */
const last = (t) => t.dims[t.dims.length - 1];

/**
 * MoveNet SinglePose: 1 x 1 x K x 3, (y, x, score) per keypoint, normalised to the input.
 * @type {Decoder}
 */
export function decodeMovenetSinglepose(outputs, keypoints) {
  const k = keypoints.names.length;
  const raw = only(outputs, (t) => t.size === 3 * k && last(t) === 3, `1x1x${k}x3 tensor`).data;
  /** @type {[number, number][]} */
  const xy = [];
  const scores = [];
  for (let j = 0; j < k; j++) {
    xy.push([raw[3 * j + 1], raw[3 * j]]);
    scores.push(raw[3 * j + 2]);
  }
  return [{ xy, scores, score: mean(scores), box: null, extra: {} }];
}

/**
 * MoveNet MultiPose: 1 x N x (3K + 5): K x (y, x, score), then box (ymin, xmin, ymax, xmax)
 * and score; every candidate, best first.
 * @type {Decoder}
 */
export function decodeMovenetMultipose(outputs, keypoints) {
  const k = keypoints.names.length;
  const t = only(outputs, (o) => o.dims.length === 3 && last(o) === 3 * k + 5, "1xNx56 tensor");
  const width = 3 * k + 5;
  /** @type {Decoded[]} */
  const people = [];
  for (let n = 0; n < t.dims[1]; n++) {
    const row = Array.prototype.slice.call(t.data, n * width, (n + 1) * width);
    /** @type {[number, number][]} */
    const xy = [];
    const scores = [];
    for (let j = 0; j < k; j++) {
      xy.push([row[3 * j + 1], row[3 * j]]);
      scores.push(row[3 * j + 2]);
    }
    const [ymin, xmin, ymax, xmax] = row.slice(3 * k, 3 * k + 4);
    people.push({ xy, scores, score: row[3 * k + 4], box: [xmin, ymin, xmax, ymax], extra: {} });
  }
  return people.sort((a, b) => b.score - a.score); // stable, as Python's sorted
}

/**
 * Single-pose PoseNet: per keypoint, the heatmap's best cell plus its offset vector. Outputs
 * are told apart by channel count: K heatmap logits, 2K offsets (K y then K x); the two 2(K-1)
 * displacement maps only serve multi-pose decoding.
 * @type {Decoder}
 */
export function decodePosenet(outputs, keypoints, inputHW) {
  const k = keypoints.names.length;
  const heat = only(outputs, (t) => t.dims.length === 4 && last(t) === k, `${k}-channel heatmap`);
  const offsets = only(outputs, (t) => t.dims.length === 4 && last(t) === 2 * k, "offsets").data;
  const [rows, cols] = [heat.dims[1], heat.dims[2]];
  const [ih, iw] = inputHW;
  // cell i sits over input pixel i * stride, with (rows - 1) * stride + 1 == input size
  const strideY = (ih - 1) / Math.max(rows - 1, 1);
  const strideX = (iw - 1) / Math.max(cols - 1, 1);
  /** @type {[number, number][]} */
  const xy = [];
  const best = [];
  for (let j = 0; j < k; j++) {
    let top = -Infinity;
    let at = 0;
    for (let cell = 0; cell < rows * cols; cell++) {
      const s = sigmoid32(heat.data[cell * k + j]);
      if (s > top) [top, at] = [s, cell];
    }
    const r = Math.floor(at / cols);
    const c = at % cols;
    const y = r * strideY + offsets[at * 2 * k + j];
    const x = c * strideX + offsets[at * 2 * k + j + k];
    xy.push([(x + 0.5) / iw, (y + 0.5) / ih]);
    best.push(top);
  }
  return [{ xy, scores: best, score: mean(best), box: null, extra: {} }];
}

/**
 * EfficientPose: 1 x H x W x K confidence maps, each keypoint at its map's peak. The full
 * models also output lower-resolution intermediate passes: the answer is the largest map.
 * @type {Decoder}
 */
export function decodeEfficientpose(outputs, keypoints) {
  const k = keypoints.names.length;
  const maps = found(outputs)
    .map(([, t]) => t)
    .filter((t) => t.dims.length === 4 && last(t) === k);
  if (!maps.length) only(outputs, () => false, `${k}-channel map`); // throws, naming the outputs
  const biggest = maps.reduce((a, b) => (b.dims[1] * b.dims[2] > a.dims[1] * a.dims[2] ? b : a));
  const [rows, cols] = [biggest.dims[1], biggest.dims[2]];
  /** @type {[number, number][]} */
  const xy = [];
  const scores = [];
  for (let j = 0; j < k; j++) {
    let top = -Infinity;
    let at = 0;
    for (let cell = 0; cell < rows * cols; cell++) {
      const v = biggest.data[cell * k + j];
      if (v > top) [top, at] = [v, cell];
    }
    const r = Math.floor(at / cols);
    const c = at % cols;
    xy.push([(c + 0.5) / cols, (r + 0.5) / rows]);
    scores.push(top);
  }
  return [{ xy, scores, score: mean(scores), box: null, extra: {} }];
}

/**
 * BlazePose landmarks: 1 x 5N, (x, y, z, visibility, presence) in input pixels, N >= K. The
 * first K are the body; MediaPipe's extra ones are kept in extra.aux. The 1 x 1 output is the
 * pose flag (a probability that a person is in the crop).
 * @type {Decoder}
 */
export function decodeBlazeposeLandmarks(outputs, keypoints, inputHW) {
  const k = keypoints.names.length;
  const raw = only(
    outputs,
    (t) => t.dims.length === 2 && last(t) % 5 === 0 && last(t) >= 5 * k,
    "landmark tensor (1 x 5N)",
  ).data;
  const flag = found(outputs).find(([, t]) => t.size === 1);
  const [ih, iw] = inputHW;
  const n = raw.length / 5;
  /** @type {[number, number][]} */
  const xy = [];
  const visibility = [];
  const presence = [];
  const z = [];
  for (let i = 0; i < n; i++) {
    xy.push([raw[5 * i] / iw, raw[5 * i + 1] / ih]);
    visibility.push(sigmoid32(raw[5 * i + 3]));
    presence.push(sigmoid32(raw[5 * i + 4]));
    z.push(f32(raw[5 * i + 2] / iw));
  }
  const score = flag ? Number(flag[1].data[0]) : mean(presence.slice(0, k));
  return [
    {
      xy: xy.slice(0, k),
      scores: visibility.slice(0, k),
      score,
      box: null,
      extra: { z: z.slice(0, k), presence: presence.slice(0, k), aux: xy.slice(k) },
    },
  ];
}

/**
 * BlazePose person detector: 1 x N x 13 per anchor: score logit, head box (cx, cy, w, h), 4
 * keypoints (x, y), input pixels relative to the anchor centre. People best first after a
 * simple non-maximum suppression on the head boxes; nobody scoring DETECTOR_MIN_SCORE is an
 * empty list.
 * @type {Decoder}
 */
export function decodeBlazeposeDetector(outputs, keypoints, inputHW) {
  const k = keypoints.names.length;
  const width = 5 + 2 * k;
  const raw = detectorRows(outputs, k);
  const anchors = ssdAnchors(inputHW);
  const count = raw.length / width;
  if (anchors.length !== count) throw new Error(`detector gives ${count} boxes, the anchor layout ${anchors.length}`);
  const [ih, iw] = inputHW;
  const scores = Array.from({ length: count }, (_, i) => sigmoid64(raw[i * width]));
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  /** @type {Decoded[]} */
  const people = [];
  for (const i of order) {
    if (scores[i] < DETECTOR_MIN_SCORE || people.length === DETECTOR_MAX_PEOPLE) break;
    const at = i * width;
    const [ax, ay] = anchors[i];
    const cx = raw[at + 1] / iw + ax;
    const cy = raw[at + 2] / ih + ay;
    const hw = raw[at + 3] / iw / 2;
    const hh = raw[at + 4] / ih / 2;
    /** @type {[number, number, number, number]} */
    const box = [cx - hw, cy - hh, cx + hw, cy + hh];
    if (people.some((p) => p.box && iou(box, p.box) > DETECTOR_OVERLAP)) continue;
    /** @type {[number, number][]} */
    const xy = [];
    for (let j = 0; j < k; j++) xy.push([raw[at + 5 + 2 * j] / iw + ax, raw[at + 6 + 2 * j] / ih + ay]);
    people.push({ xy, scores: new Array(k).fill(scores[i]), score: scores[i], box, extra: {} });
  }
  return people;
}

/**
 * The detector's rows, N x (5 + 2K), the score logit first: from its one 1 x N x 13 tensor, or
 * from MediaPipe's own file's two, the score logits (1 x N x 1) apart from the rest (1 x N x 12).
 * @param {Outputs} outputs
 * @param {number} k keypoints per anchor
 * @returns {ArrayLike<number>}
 */
function detectorRows(outputs, k) {
  const width = 5 + 2 * k;
  if (found(outputs).some(([, o]) => o.dims.length === 3 && last(o) === width)) {
    return only(outputs, (o) => o.dims.length === 3 && last(o) === width, "1xNx13 tensor").data;
  }
  const boxes = only(outputs, (o) => o.dims.length === 3 && last(o) === width - 1, "1xNx13 or 1xNx12 tensor");
  const count = boxes.dims[1];
  const logits = only(outputs, (o) => o.dims.length === 3 && last(o) === 1 && o.dims[1] === count, "1xNx1 tensor");
  const rows = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    rows[i * width] = logits.data[i];
    for (let j = 1; j < width; j++) rows[i * width + j] = boxes.data[i * (width - 1) + j - 1];
  }
  return rows;
}

/**
 * Intersection over union of two boxes (x0, y0, x1, y1).
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 * @returns {number}
 */
export function iou(a, b) {
  const iw = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
  const ih = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * The decoder of each decode kind (catalog/cards/decode_kinds.py's DECODE_KINDS).
 * @type {Readonly<Record<string, Decoder>>}
 */
export const DECODERS = Object.freeze({
  "movenet-singlepose": decodeMovenetSinglepose,
  "movenet-multipose": decodeMovenetMultipose,
  posenet: decodePosenet,
  efficientpose: decodeEfficientpose,
  blazepose: decodeBlazeposeLandmarks,
  "blazepose-detector": decodeBlazeposeDetector,
  "openpose-paf": decodeOpenposePaf,
  "yolo-pose": decodeYoloPose,
});
