// One image through one variant, or through BlazePose's two stages: twin of
// catalog/pose/estimator.py (PoseEstimator.__call__) and model.py (Model.run). The model itself
// runs elsewhere: `runModel` is onnxruntime-web in the browser, or saved outputs in a test.

import { DECODERS } from "./decoders.js";
import { checkImage, preprocess } from "./preprocess.js";
import { toPose } from "./poses.js";
import { cropFor } from "./top_down.js";

/** the decode kinds a first stage may have: BlazePose's detector, or a multi-person model's boxes */
export const PERSON_DETECTORS = ["blazepose-detector", "movenet-multipose"];

/**
 * @typedef {object} Variant a catalog record (catalog.json's variants[]): only these fields are read
 * @property {string} id
 * @property {string} decode a decode kind: a key of DECODERS
 * @property {import("./preprocess.js").PreprocessSpec} preprocess
 * @property {import("./decoders.js").Keypoints} keypoints
 * @property {{onnx?: {inputs?: {shape: import("./preprocess.js").Dims}[]}}} [formats] the model's input shape, where recorded
 */

/**
 * @callback RunModel runs a variant's model on one input tensor
 * @param {string} variantId
 * @param {import("./preprocess.js").Tensor} tensor
 * @returns {Promise<import("./decoders.js").Outputs>} outputs by name, in the session's order
 */

/**
 * The model's input shape as the catalog records it (formats.onnx.inputs[0].shape), or null.
 * @param {Variant} variant
 * @returns {import("./preprocess.js").Dims|null}
 */
export function inputShapeOf(variant) {
  return variant.formats?.onnx?.inputs?.[0]?.shape ?? null;
}

/**
 * Preprocess, run and decode one image: people in the input's coordinates and the frame that
 * maps them back to the image's; `frame` is the region to look at, by default the record's
 * resize mode.
 * @param {RunModel} runModel
 * @param {Variant} variant
 * @param {import("./sample.js").ImageLike} image
 * @param {import("./geometry.js").Frame|null} [frame]
 * @returns {Promise<{people: import("./decoders.js").Decoded[], frame: import("./geometry.js").Frame}>}
 */
export async function runStage(runModel, variant, image, frame = null) {
  const decode = DECODERS[variant.decode];
  if (!decode) throw new Error(`${variant.id}: no decoder for decode kind ${JSON.stringify(variant.decode)}`);
  const tensor = preprocess(image, variant.preprocess, inputShapeOf(variant), frame);
  const outputs = await runModel(variant.id, tensor);
  return { people: decode(outputs, variant.keypoints, tensor.inputHW), frame: tensor.frame };
}

/**
 * Every person a variant finds in an RGBA image, best first, positions normalised to the image.
 * With `detectorVariant` it runs two stages: the detector (a blazepose-detector, as MediaPipe
 * does, or a multi-person model whose boxes place a single-person model: top-down), then the
 * variant on the crop around every person detected; a person's score is the detector's times
 * the variant's, and nobody detected is an empty list. Without it the variant sees the whole
 * image. Twin of PoseEstimator.__call__ and TopDown.__call__ (catalog/pose).
 * @param {RunModel} runModel
 * @param {Variant} variant
 * @param {Variant|null} detectorVariant
 * @param {import("./sample.js").ImageLike} image
 * @returns {Promise<import("./poses.js").Pose[]>}
 */
export async function estimate(runModel, variant, detectorVariant, image) {
  checkImage(image);
  const names = variant.keypoints.names;
  if (!detectorVariant) {
    const { people, frame } = await runStage(runModel, variant, image);
    return people.map((person) => toPose(person, frame, names));
  }
  if (!PERSON_DETECTORS.includes(detectorVariant.decode)) {
    throw new Error(
      `${detectorVariant.id}: the first stage must be one of ${PERSON_DETECTORS.join(", ")}, not ${detectorVariant.decode}`,
    );
  }
  const found = await runStage(runModel, detectorVariant, image);
  /** @type {[number, number]} */
  const imageHW = [image.height, image.width];
  const poses = [];
  for (const person of found.people) {
    const detection = toPose(person, found.frame, detectorVariant.keypoints.names);
    const crop = cropFor(detectorVariant.decode, imageHW, detection);
    if (!crop) continue;
    const { people, frame } = await runStage(runModel, variant, image, crop);
    if (!people.length) continue;
    const pose = toPose(people[0], frame, names);
    poses.push({ ...pose, score: detection.score * pose.score, detection, crop: frame.matrix });
  }
  return poses.sort((a, b) => b.score - a.score);
}
