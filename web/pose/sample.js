// The model-input-sized picture a Frame sees: twin of Frame.sample in catalog/pose/geometry.py.
//
// Python blurs with scikit-image's `gaussian` (scipy.ndimage, mode "nearest", truncate 2) when
// the input shrinks the image more than twofold, then warps with scikit-image's `warp` (order 1:
// bilinear, black outside, pixel centres at integers, clipped to the source's range). Both keep
// the picture in float32, and the compiled code mixes float32 and float64 steps: this twin
// rounds (Math.fround) exactly where they do, so the same bytes in give the same floats out,
// bit for bit. The one libm call on the way (numpy's det uses exp and log) may differ from
// JavaScript's in the last bit: it only moves the blur's sigma by 1e-16.

const f32 = Math.fround;

/**
 * @typedef {object} ImageLike an RGBA picture, as a canvas's ImageData
 * @property {Uint8ClampedArray|Uint8Array} data RGBA bytes, row by row
 * @property {number} width
 * @property {number} height
 */

/**
 * The picture a frame shows the model: float RGB (0..255), input height x width x 3, row-major,
 * `pad` outside the image.
 * @param {ImageLike} image RGBA pixels (alpha is ignored)
 * @param {import("./geometry.js").Frame} frame the region of the image the input sees
 * @param {[number, number]} inputHW the model input's (height, width) in pixels
 * @param {number} [pad] the value outside the image (0..255)
 * @returns {Float32Array}
 */
export function sample(image, frame, inputHW, pad = 0) {
  const { width: w, height: h } = image;
  const matrix = frame.pixelMatrix([h, w], inputHW);
  let source = rgbFloats(image);
  // image pixels per input pixel: blur first when shrinking a lot, as a resize would
  const shrink = Math.sqrt(Math.abs(det2(matrix)));
  if (shrink > 2) {
    source = gaussianBlur(source, h, w, (shrink - 1) / 2, 2.0);
  }
  return warpBilinear(source, h, w, matrix, inputHW, pad);
}

/**
 * RGBA bytes as float32 RGB, H x W x 3.
 * @param {ImageLike} image
 * @returns {Float32Array}
 */
function rgbFloats(image) {
  const n = image.width * image.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = image.data[4 * i];
    out[3 * i + 1] = image.data[4 * i + 1];
    out[3 * i + 2] = image.data[4 * i + 2];
  }
  return out;
}

/**
 * The determinant of a matrix's top-left 2 x 2 as numpy.linalg.det computes it: an LU
 * factorisation with partial pivoting (multiplying by the pivot's reciprocal), then
 * sign * exp(sum of log |diagonal|). It decides whether to blur, so it must agree with
 * numpy to the last bit at a shrink of exactly 2.
 * @param {number[][]} m
 * @returns {number}
 */
function det2(m) {
  // the first column (a, c) is the pivot column; (b, d) the second
  let [a, b] = [m[0][0], m[0][1]];
  let [c, d] = [m[1][0], m[1][1]];
  let sign = 1;
  if (Math.abs(c) > Math.abs(a)) {
    [a, c] = [c, a];
    [b, d] = [d, b];
    sign = -1;
  }
  if (a === 0) return 0;
  const l = c * (1 / a);
  const u22 = d - l * b;
  if (u22 === 0) return 0;
  sign *= Math.sign(a) * Math.sign(u22);
  return sign * Math.exp(Math.log(Math.abs(a)) + Math.log(Math.abs(u22)));
}

/**
 * scipy.ndimage.gaussian_filter over rows then columns (not across channels), mode "nearest",
 * each pass stored as float32 as scikit-image's float32 output is.
 * @param {Float32Array} source H x W x 3
 * @param {number} h
 * @param {number} w
 * @param {number} sigma
 * @param {number} truncate
 * @returns {Float32Array}
 */
function gaussianBlur(source, h, w, sigma, truncate) {
  const weights = gaussianKernel(sigma, Math.trunc(truncate * sigma + 0.5));
  // axis 0: a line per (column, channel), h values w * 3 apart
  const down = correlate1d(source, weights, h, w * 3, w * 3, (k) => k);
  // axis 1: a line per (row, channel), w values 3 apart
  return correlate1d(down, weights, w, 3, h * 3, (k) => Math.floor(k / 3) * w * 3 + (k % 3));
}

/**
 * scipy's _gaussian_kernel1d (order 0): exp(-0.5 / sigma^2 * x^2), normalised by its numpy sum.
 * @param {number} sigma
 * @param {number} radius
 * @returns {Float64Array} 2 * radius + 1 weights
 */
function gaussianKernel(sigma, radius) {
  const k = -0.5 / (sigma * sigma);
  const phi = new Float64Array(2 * radius + 1);
  for (let i = 0; i < phi.length; i++) {
    const x = i - radius;
    phi[i] = Math.exp(k * (x * x));
  }
  const total = numpySum(phi);
  for (let i = 0; i < phi.length; i++) phi[i] /= total;
  return phi;
}

/**
 * numpy's pairwise sum of a short float64 array (up to 128 values: eight running sums).
 * @param {Float64Array} values
 * @returns {number}
 */
function numpySum(values) {
  const n = values.length;
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[i];
    return s;
  }
  if (n > 128) {
    const half = Math.floor(n / 2 / 8) * 8;
    return numpySum(values.subarray(0, half)) + numpySum(values.subarray(half));
  }
  const r = Array.from(values.subarray(0, 8));
  let i = 8;
  for (; i < n - (n % 8); i += 8) {
    for (let j = 0; j < 8; j++) r[j] += values[i + j];
  }
  let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
  for (; i < n; i++) s += values[i];
  return s;
}

/**
 * scipy.ndimage.correlate1d with a symmetric odd kernel, mode "nearest": each value summed in
 * float64 as scipy's C does (w0 * x0, then (x[-j] + x[+j]) * w[j] from the outermost pair in),
 * then stored as float32.
 * @param {Float32Array} input
 * @param {Float64Array} weights 2 * radius + 1, symmetric
 * @param {number} length values along a line
 * @param {number} stride distance between a line's neighbours in `input`
 * @param {number} lines how many lines
 * @param {(k: number) => number} startOf where line k starts in `input`
 * @returns {Float32Array}
 */
function correlate1d(input, weights, length, stride, lines, startOf) {
  const out = new Float32Array(input.length);
  const radius = (weights.length - 1) / 2;
  const centre = weights[radius];
  const line = new Float64Array(length + 2 * radius);
  for (let k = 0; k < lines; k++) {
    const start = startOf(k);
    for (let i = 0; i < length; i++) line[radius + i] = input[start + i * stride];
    for (let i = 0; i < radius; i++) {
      line[i] = line[radius];
      line[radius + length + i] = line[radius + length - 1];
    }
    for (let i = 0; i < length; i++) {
      const at = radius + i;
      let total = line[at] * centre;
      for (let j = -radius; j < 0; j++) total += (line[at + j] + line[at - j]) * weights[radius + j];
      out[start + i * stride] = total;
    }
  }
  return out;
}

/**
 * scikit-image's _warp_fast (order 1, mode constant, cval `pad`) per channel in float32, then
 * its output clipping to the source's range.
 * @param {Float32Array} source H x W x 3
 * @param {number} h
 * @param {number} w
 * @param {number[][]} matrix input pixel (col, row, 1) -> image pixel (col, row)
 * @param {[number, number]} inputHW
 * @param {number} pad the value outside the image
 * @returns {Float32Array} ih x iw x 3
 */
function warpBilinear(source, h, w, matrix, inputHW, pad) {
  const [ih, iw] = inputHW;
  const m = [matrix[0][0], matrix[0][1], matrix[0][2], matrix[1][0], matrix[1][1], matrix[1][2]].map(f32);
  const metric = m[1] === 0 && m[3] === 0; // scikit-image's cheaper transform when nothing rotates
  const out = new Float32Array(ih * iw * 3);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < source.length; i++) {
    if (source[i] < lo) lo = source[i];
    if (source[i] > hi) hi = source[i];
  }
  const cval = f32(pad);
  /** @param {number} r @param {number} c @param {number} ch */
  const pixel = (r, c, ch) => (r < 0 || r >= h || c < 0 || c >= w ? cval : source[(r * w + c) * 3 + ch]);
  let outLo = Infinity;
  let outHi = -Infinity;
  for (let row = 0; row < ih; row++) {
    for (let col = 0; col < iw; col++) {
      let x;
      let y;
      if (metric) {
        x = f32(f32(m[0] * col) + m[2]);
        y = f32(f32(m[4] * row) + m[5]);
      } else {
        x = f32(f32(f32(m[0] * col) + f32(m[1] * row)) + m[2]);
        y = f32(f32(f32(m[3] * col) + f32(m[4] * row)) + m[5]);
      }
      const minr = Math.floor(y);
      const minc = Math.floor(x);
      const maxr = Math.ceil(y);
      const maxc = Math.ceil(x);
      const dr = f32(y - minr);
      const dc = f32(x - minc);
      for (let ch = 0; ch < 3; ch++) {
        // as the compiled Cython evaluates it: `1 - d` in float64 (its literal is a double),
        // `d * pixel` in float32, the sums in float64, the result stored as float32
        const top = (1 - dc) * pixel(minr, minc, ch) + f32(dc * pixel(minr, maxc, ch));
        const bottom = (1 - dc) * pixel(maxr, minc, ch) + f32(dc * pixel(maxr, maxc, ch));
        const v = f32((1 - dr) * top + dr * bottom);
        out[(row * iw + col) * 3 + ch] = v;
        if (v < outLo) outLo = v;
        if (v > outHi) outHi = v;
      }
    }
  }
  // scikit-image clips to the source's range, widened to the padding value where it shows
  if (!(lo <= cval && cval <= hi) && outLo <= cval && cval <= outHi) {
    lo = Math.min(lo, cval);
    hi = Math.max(hi, cval);
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], lo), hi);
  return out;
}
