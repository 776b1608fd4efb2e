// A single-person model behind a person detector: the crop around each person. Twin of
// catalog/pose/top_down.py (person_crop) and, for BlazePose's own detector, anchors.js
// (blazeposeCrop).

import { blazeposeCrop } from "./anchors.js";
import { Frame } from "./geometry.js";

/** the crop's side over the box's longer side: wrists and feet past the box stay in */
export const CROP_MARGIN = 1.25;
/** a detection the single-person model runs on scores at least this: MoveNet MultiPose always
 * answers six slots, and an empty one scores about 0 */
export const PERSON_MIN_SCORE = 0.1;

/**
 * The square, upright crop around a person's box (x0, y0, x1, y1, normalised to the image).
 * @param {[number, number]} imageHW the image's (height, width) in pixels
 * @param {ArrayLike<number>} box
 * @returns {Frame}
 */
export function personCrop(imageHW, box) {
  const [h, w] = imageHW;
  const [x0, y0, x1, y1] = [box[0], box[1], box[2], box[3]];
  const centre = /** @type {import("./geometry.js").Point} */ ([((x0 + x1) / 2) * w, ((y0 + y1) / 2) * h]);
  const size = Math.max((x1 - x0) * w, (y1 - y0) * h, 1.0) * CROP_MARGIN;
  return Frame.squareCrop(imageHW, centre, size, [0.0, 1.0]);
}

/**
 * The crop a second stage sees around one detected person: BlazePose's detector gives keypoints
 * (hip centre, scale point), a multi-person model a box; null for a person with no box, or one
 * a multi-person model scores below PERSON_MIN_SCORE.
 * @param {string} detectorDecode the first stage's decode kind
 * @param {[number, number]} imageHW
 * @param {import("./poses.js").Pose} detection
 * @returns {Frame|null}
 */
export function cropFor(detectorDecode, imageHW, detection) {
  if (detectorDecode === "blazepose-detector") {
    return blazeposeCrop(
      imageHW,
      detection.keypoints.map((k) => [k.x, k.y]),
    );
  }
  return detection.box && detection.score >= PERSON_MIN_SCORE ? personCrop(imageHW, detection.box) : null;
}
