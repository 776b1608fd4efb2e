// Runs web/pose's modules in node on frames and model outputs that tests/test_web_twins.py saved,
// and writes what they answer back for Python to compare with its twins.
//
//   node tests/web_twins/driver.mjs JOB.json RESULT.json
//
// Files in JOB's folder: NAME.rgba (raw RGBA bytes) with NAME.json ({width, height}) per frame;
// tensors and outputs as raw little-endian arrays, their dtype and dims given in JOB.
//   {"task": "preprocess", "cases": [{image, spec, inputShape, frame, out}]}
//     -> [{dims, dtype, inputHW, frame}] and each tensor's bytes in `out`
//   {"task": "estimate", "cases": [{image, variant, detector, calls: {variantId: [{tensor, outputs}]}}]}
//     -> [{poses, tensors: [{variant, dims, expectedDims, maxDiff}], error}]
//     runModel answers each variant's calls, in order, with the outputs Python's session gave,
//     after measuring how far the tensor it is given is from the one Python ran.
//   {"task": "decode", "cases": [{decode, keypoints, inputHW, outputs: [{name, file, dtype, dims}]}]}
//     -> [people], as the decode kind's decoder answers them

import fs from "node:fs";
import path from "node:path";

import { DECODERS } from "../../web/pose/decoders.js";
import { Frame } from "../../web/pose/geometry.js";
import { estimate } from "../../web/pose/pipeline.js";
import { preprocess } from "../../web/pose/preprocess.js";

const [jobPath, resultPath] = process.argv.slice(2);
const folder = path.dirname(jobPath);
const job = JSON.parse(fs.readFileSync(jobPath, "utf-8"));

/** @type {Record<string, any>} */
const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
};

/** @param {string} name */
function readImage(name) {
  const header = JSON.parse(fs.readFileSync(path.join(folder, `${name}.json`), "utf-8"));
  const bytes = fs.readFileSync(path.join(folder, `${name}.rgba`));
  return { data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length), ...header };
}

/** @param {{file: string, dtype: string}} saved */
function readArray(saved) {
  const bytes = fs.readFileSync(path.join(folder, saved.file));
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length); // aligned
  return new ARRAYS[saved.dtype](copy);
}

/** @param {ArrayLike<number>} a @param {ArrayLike<number>} b */
function maxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
  return worst;
}

async function main() {
  const images = new Map();
  const image = (/** @type {string} */ name) => {
    if (!images.has(name)) images.set(name, readImage(name));
    return images.get(name);
  };
  const results = [];
  for (const c of job.cases) {
    if (job.task === "preprocess") {
      const frame = c.frame ? new Frame(c.frame) : null;
      const t = preprocess(image(c.image), c.spec, c.inputShape, frame);
      const data = t.tensorData;
      fs.writeFileSync(path.join(folder, c.out), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      results.push({ dims: t.dims, dtype: t.dtype, inputHW: t.inputHW, frame: t.frame.matrix });
    } else if (job.task === "estimate") {
      const queues = Object.fromEntries(Object.entries(c.calls).map(([id, calls]) => [id, [...calls]]));
      const tensors = [];
      /** @type {import("../../web/pose/pipeline.js").RunModel} */
      const runModel = async (variantId, tensor) => {
        const call = queues[variantId]?.shift();
        if (!call) throw new Error(`${variantId}: a call Python's estimator did not make`);
        const expected = readArray(call.tensor);
        const same = JSON.stringify(tensor.dims) === JSON.stringify(call.tensor.dims);
        tensors.push({
          variant: variantId,
          dims: tensor.dims,
          expectedDims: call.tensor.dims,
          dtype: tensor.dtype,
          expectedDtype: call.tensor.dtype,
          maxDiff: same ? maxDiff(tensor.tensorData, expected) : null,
        });
        return Object.fromEntries(call.outputs.map((o) => [o.name, { data: readArray(o), dims: o.dims }]));
      };
      try {
        const poses = await estimate(runModel, c.variant, c.detector, image(c.image));
        const unused = Object.entries(queues).filter(([, q]) => q.length).map(([id]) => id);
        results.push({ poses, tensors, unused, error: null });
      } catch (error) {
        results.push({ poses: null, tensors, unused: [], error: String(error?.stack ?? error) });
      }
    } else if (job.task === "decode") {
      const outputs = Object.fromEntries(c.outputs.map((o) => [o.name, { data: readArray(o), dims: o.dims }]));
      results.push(DECODERS[c.decode](outputs, c.keypoints, c.inputHW));
    } else {
      throw new Error(`unknown task ${job.task}`);
    }
  }
  fs.writeFileSync(resultPath, JSON.stringify(results));
}

await main();
