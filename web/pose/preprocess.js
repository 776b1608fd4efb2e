// An image as a model's input tensor, as its catalog record's `preprocess` says: twin of
// catalog/pose/inputs.py (input_size, frame_for, to_tensor, preprocess).

import { Frame } from "./geometry.js";
import { sample } from "./sample.js";

const f32 = Math.fround;

/**
 * @typedef {object} PreprocessSpec a catalog record's `preprocess`
 * @property {[number, number]} size (height, width) where the model's input shape is dynamic
 * @property {"NHWC"|"NCHW"} layout
 * @property {"float32"|"float16"|"int32"|"uint8"|"int8"} dtype
 * @property {[number, number]} range the values pixel 0 and pixel 255 map to
 * @property {[number, number, number]|null} [mean] subtracted per channel after the range mapping
 * @property {[number, number, number]|null} [std] divides per channel after the mean
 * @property {"letterbox"|"stretch"} resize
 * @property {"RGB"|"BGR"} channels
 * @property {number} [pad] the pixel value (0..255) outside the image: a letterbox's bars; 0 when absent
 */

/** @typedef {Float32Array|Int32Array|Uint8Array|Int8Array|Uint16Array} TensorData float16 travels as its bits (Uint16Array), as onnxruntime-web takes it */

/**
 * @typedef {object} Tensor a model input: a batch of one
 * @property {TensorData} tensorData
 * @property {number[]} dims
 * @property {PreprocessSpec["dtype"]} dtype
 * @property {Frame} frame the region of the image the input shows
 * @property {[number, number]} inputHW the input's (height, width)
 */

/** @typedef {(number|string|null)[]} Dims a model input's shape, dynamic dimensions as names or null */

/**
 * (height, width) from the model's own input shape; the record's size where it is dynamic.
 * @param {PreprocessSpec} spec
 * @param {Dims|null|undefined} inputShape
 * @returns {[number, number]}
 */
export function inputSize(spec, inputShape) {
  if (inputShape && inputShape.length === 4) {
    // named or null (dynamic) dimensions are cast too: Number.isInteger turns them away
    const [h, w] = /** @type {[number, number]} */ (
      spec.layout === "NCHW" ? [inputShape[2], inputShape[3]] : [inputShape[1], inputShape[2]]
    );
    if (Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0) return [h, w];
  }
  return [Math.trunc(spec.size[0]), Math.trunc(spec.size[1])];
}

/**
 * The region of the whole image the record's resize mode shows the model.
 * @param {[number, number]} imageHW
 * @param {PreprocessSpec} spec
 * @param {[number, number]} inputHW
 * @returns {Frame}
 */
export function frameFor(imageHW, spec, inputHW) {
  return spec.resize === "letterbox" ? Frame.letterbox(imageHW, inputHW) : Frame.identity();
}

/**
 * Float pixels (H x W x 3, 0..255) to a batch of one in the record's range, dtype and layout,
 * with numpy's float32 arithmetic: each step rounded to float32.
 * @param {Float32Array} pixels H x W x 3, row-major
 * @param {[number, number]} hw
 * @param {PreprocessSpec} spec
 * @returns {{tensorData: TensorData, dims: number[]}}
 */
export function toTensor(pixels, hw, spec) {
  const [h, w] = hw;
  const n = h * w;
  const order = spec.channels === "BGR" ? [2, 1, 0] : [0, 1, 2];
  const [lo, hi] = spec.range;
  const flo = f32(lo);
  const span = f32(hi - lo);
  const mean = spec.mean != null && spec.std != null ? spec.mean.map(f32) : null;
  const std = mean && spec.std ? spec.std.map(f32) : null;
  const store = storer(spec.dtype, n * 3);
  const nchw = spec.layout === "NCHW";
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) {
      let x = f32(flo + f32(span * f32(pixels[3 * i + order[ch]] / 255)));
      if (mean && std) x = f32(f32(x - mean[ch]) / std[ch]);
      store.set(nchw ? ch * n + i : 3 * i + ch, x);
    }
  }
  return { tensorData: store.data, dims: nchw ? [1, 3, h, w] : [1, h, w, 3] };
}

/**
 * An RGBA image as the model's input tensor (a batch of one), as catalog/pose/inputs.py's
 * `preprocess` makes it. `frame` picks the region to sample (BlazePose's crop); by default the
 * record's resize mode over the whole image.
 * @param {import("./sample.js").ImageLike} image RGBA pixels, e.g. a canvas's ImageData
 * @param {PreprocessSpec} spec
 * @param {Dims|null} [inputShape] the model's input shape, e.g. the catalog's formats.onnx.inputs[0].shape
 * @param {Frame|null} [frame]
 * @returns {Tensor}
 */
export function preprocess(image, spec, inputShape = null, frame = null) {
  checkImage(image);
  const inputHW = inputSize(spec, inputShape);
  const used = frame ?? frameFor([image.height, image.width], spec, inputHW);
  const { tensorData, dims } = toTensor(sample(image, used, inputHW, spec.pad ?? 0), inputHW, spec);
  return { tensorData, dims, dtype: spec.dtype, frame: used, inputHW };
}

/**
 * A TypeError saying what is wrong with an image that is not RGBA pixels.
 * @param {import("./sample.js").ImageLike} image
 */
export function checkImage(image) {
  const { width, height, data } = image ?? {};
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TypeError(`expected RGBA pixels {data, width, height}, got width ${width} and height ${height}`);
  }
  if (!data || data.length !== width * height * 4) {
    throw new TypeError(`expected ${width * height * 4} RGBA bytes for ${width} x ${height}, got ${data?.length}`);
  }
}

/**
 * Where the tensor's values go, converted as numpy's astype does after to_tensor's rounding.
 * @param {PreprocessSpec["dtype"]} dtype
 * @param {number} length
 * @returns {{data: TensorData, set: (i: number, x: number) => void}}
 */
function storer(dtype, length) {
  /** @param {number} lo @param {number} hi @returns {(x: number) => number} */
  const integer = (lo, hi) => (x) => Math.min(Math.max(roundHalfEven(x), lo), hi);
  if (dtype === "float32") {
    const data = new Float32Array(length);
    return { data, set: (i, x) => (data[i] = x) };
  }
  if (dtype === "float16") {
    const data = new Uint16Array(length);
    return { data, set: (i, x) => (data[i] = float16Bits(x)) };
  }
  /** @type {Record<string, [new (n: number) => Int32Array|Uint8Array|Int8Array, number, number]>} */
  const ints = {
    int32: [Int32Array, -2147483648, 2147483647],
    uint8: [Uint8Array, 0, 255],
    int8: [Int8Array, -128, 127],
  };
  if (!(dtype in ints)) throw new TypeError(`unsupported input dtype ${dtype}`);
  const [Type, lo, hi] = ints[dtype];
  const data = new Type(length);
  const round = integer(lo, hi);
  return { data, set: (i, x) => (data[i] = round(x)) };
}

/**
 * numpy.rint: to the nearest integer, halves to even.
 * @param {number} x
 * @returns {number}
 */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The IEEE half-precision bits of a float32 value, rounded to nearest even as numpy's astype.
 * @param {number} value
 * @returns {number}
 */
export function float16Bits(value) {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  const bits = view.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // inf, NaN
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow: infinity
  if (e <= 0) {
    if (e < -10) return sign; // underflow: zero
    mantissa |= 0x800000; // subnormal: the implicit bit joins the mantissa
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let m = mantissa >>> shift;
    if (rest > half || (rest === half && m & 1)) m += 1;
    return sign | m;
  }
  const rest = mantissa & 0x1fff;
  let m = mantissa >>> 13;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m += 1;
    if (m === 0x400) {
      m = 0;
      e += 1;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}
