// A decoder's person (model-input coordinates) as a pose in the image's normalised
// coordinates: twin of catalog/pose/poses.py (to_pose).

/**
 * @typedef {object} Keypoint
 * @property {string} name
 * @property {number} x 0..1 from the image's left edge
 * @property {number} y 0..1 from the image's top edge
 * @property {number} score
 */

/**
 * @typedef {object} Pose one person, in the image's normalised coordinates
 * @property {number} score the person's overall score, as the model gives it
 * @property {Keypoint[]} keypoints in the order of the record's keypoint names
 * @property {[number, number, number, number]} [box] x0, y0, x1, y1, where the model gives one
 * @property {Record<string, any>} [extra] decoder-specific values (BlazePose: z, presence, aux points mapped to the image)
 * @property {Pose} [detection] a two-stage pose's detector answer
 * @property {number[][]} [crop] a two-stage pose's crop (the Frame matrix the landmark model saw)
 */

/**
 * A decoder's person as a Pose in the image's coordinates.
 * @param {import("./decoders.js").Decoded} decoded
 * @param {import("./geometry.js").Frame} frame maps the model input to the image
 * @param {string[]} names the record's keypoint names
 * @returns {Pose}
 */
export function toPose(decoded, frame, names) {
  const xy = frame.toImage(decoded.xy);
  /** @type {Pose} */
  const pose = {
    score: decoded.score,
    keypoints: names.map((name, i) => ({ name, x: xy[i][0], y: xy[i][1], score: decoded.scores[i] })),
  };
  if (decoded.box) {
    const [a, b] = frame.toImage([
      [decoded.box[0], decoded.box[1]],
      [decoded.box[2], decoded.box[3]],
    ]);
    pose.box = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
  }
  const extra = { ...(decoded.extra ?? {}) };
  if (Array.isArray(extra.aux) && extra.aux.length) extra.aux = frame.toImage(extra.aux);
  if (Object.keys(extra).length) pose.extra = extra;
  return pose;
}
