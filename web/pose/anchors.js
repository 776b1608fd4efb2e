// BlazePose's geometry, as MediaPipe's graphs define it: the detector's SSD anchors and the
// landmark model's crop. Twin of catalog/pose/blazepose.py (ssd_anchors, blazepose_crop).

import { Frame } from "./geometry.js";

/** MediaPipe's pose_detection_to_roi: the crop is 1.25 times the detection's extent. */
export const CROP_SCALE = 1.25;

/**
 * @typedef {object} AnchorSpec MediaPipe's SSD anchor options for the BlazePose person detector
 * @property {number[]} strides
 * @property {number[]} aspectRatios
 * @property {number} interpolatedScaleAspectRatio
 */

/** @type {AnchorSpec} */
export const ANCHOR_SPEC = Object.freeze({
  strides: [8, 16, 32, 32, 32],
  aspectRatios: [1.0],
  interpolatedScaleAspectRatio: 1.0,
});

/** @type {Map<string, [number, number][]>} */
const cache = new Map();

/**
 * Anchor centres (normalised x, y), in MediaPipe's order. With fixed anchor sizes only the
 * centres matter: layers sharing a stride are merged, and each contributes one anchor per
 * aspect ratio plus one interpolated-scale anchor.
 * @param {[number, number]} inputHW the detector input's (height, width)
 * @param {AnchorSpec} [spec]
 * @returns {[number, number][]}
 */
export function ssdAnchors(inputHW, spec = ANCHOR_SPEC) {
  const key = JSON.stringify([inputHW, spec]);
  const known = cache.get(key);
  if (known) return known;
  const perCell = spec.aspectRatios.length + (spec.interpolatedScaleAspectRatio > 0 ? 1 : 0);
  /** @type {[number, number][]} */
  const centres = [];
  let layer = 0;
  while (layer < spec.strides.length) {
    const stride = spec.strides[layer];
    let same = 0;
    while (layer + same < spec.strides.length && spec.strides[layer + same] === stride) same += 1;
    const rows = Math.ceil(inputHW[0] / stride);
    const cols = Math.ceil(inputHW[1] / stride);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const centre = [(c + 0.5) / cols, (r + 0.5) / rows];
        for (let i = 0; i < perCell * same; i++) centres.push([centre[0], centre[1]]);
      }
    }
    layer += same;
  }
  cache.set(key, centres);
  return centres;
}

/**
 * The landmark model's input region from a detection's keypoints (image-normalised): centred
 * on the hip centre (keypoint 0); the square's side is twice the hip-to-scale-point (keypoint
 * 1) distance times `scale`; rotated so that the scale point (above the head) is straight up.
 * @param {[number, number]} imageHW the image's (height, width) in pixels
 * @param {ArrayLike<number>[]} detectionXY the detection's keypoints, image-normalised (x, y)
 * @param {number} [scale]
 * @returns {Frame}
 */
export function blazeposeCrop(imageHW, detectionXY, scale = CROP_SCALE) {
  const [h, w] = imageHW;
  /** @type {import("./geometry.js").Point} */
  const hip = [detectionXY[0][0] * w, detectionXY[0][1] * h];
  const top = [detectionXY[1][0] * w, detectionXY[1][1] * h];
  const radius = Math.hypot(top[0] - hip[0], top[1] - hip[1]);
  if (radius < 1e-6) throw new RangeError("detection has no extent: hip centre and scale point coincide");
  return Frame.squareCrop(imageHW, hip, 2 * radius * scale, [hip[0] - top[0], hip[1] - top[1]]);
}
