// One image through one variant, or through BlazePose's two stages: twin of
// catalog/pose/estimator.py (PoseEstimator.__call__) and model.py (Model.run). The model itself
// runs elsewhere: `runModel` is onnxruntime-web in the browser, or saved outputs in a test.

import { blazeposeCrop } from "./anchors.js";
import { DECODERS } from "./decoders.js";
import { checkImage, preprocess } from "./preprocess.js";
import { toPose } from "./poses.js";

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
 * With `detectorVariant` (a blazepose-detector record) it runs two stages as MediaPipe does:
 * the detector, then the landmark model on the crop around the best detection; nobody
 * detected is an empty list. Without it the variant sees the whole image.
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
  if (detectorVariant.decode !== "blazepose-detector") {
    throw new Error(`${detectorVariant.id}: the first stage must be a blazepose-detector, not ${detectorVariant.decode}`);
  }
  const found = await runStage(runModel, detectorVariant, image);
  if (!found.people.length) return [];
  const detection = toPose(found.people[0], found.frame, detectorVariant.keypoints.names);
  const crop = blazeposeCrop(
    [image.height, image.width],
    detection.keypoints.map((k) => [k.x, k.y]),
  );
  const { people } = await runStage(runModel, variant, image, crop);
  return people.map((person) => ({ ...toPose(person, crop, names), detection, crop: crop.matrix }));
}
