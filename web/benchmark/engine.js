// One runtime started at one backend and thread count, in a frame of its own (a wasm module's
// threads are fixed once it starts, so each count needs its own page), running the models the
// benchmark page hands it: the Try-it page's adapters (web/try/runtimes/), so the figures are of
// what that page runs. The page calls `window.engine` directly (same origin); every array it hands
// over is copied into this frame's own realm, where the runtimes check their types.

import { estimate, inputShapeOf } from "../pose/pipeline.js";
import { preprocess } from "../pose/preprocess.js";
import { loadRuntime, modelRunner } from "../try/runtimes/adapter.js";

/**
 * @typedef {import("../try/catalog.js").Record} Variant
 * @typedef {{data: Uint8ClampedArray, width: number, height: number}} Image RGBA pixels
 * @typedef {{path: string, bytes: Uint8Array}} Part
 * @typedef {{variant: Variant, parts: Part[], detector: Variant|null, detectorParts: Part[]|null}} Model
 *   a model to open: its record and files, and its detector's where the pipeline has two stages
 * @typedef {{session_ms: number, first_inference_ms: number, backend: string}} Opened
 * @typedef {object} Engine what the benchmark page calls
 * @property {{runtime: import("../try/runtimes/adapter.js").RuntimeId, version: string|null, backend: string, threads: number}} info
 * @property {(key: string, model: Model, image: Image) => Promise<Opened>} open makes the sessions and
 *   the fixed input, and runs the first inference
 * @property {(key: string, n: number) => Promise<number[]>} time n inferences, ms each
 * @property {(key: string, n: number) => Promise<{ms: number[], people: number}>} pipeline n whole
 *   pipelines on the image, ms each, and the people the last one found
 * @property {(key: string) => Promise<void>} close
 */

const params = new URLSearchParams(location.search);
const id = /** @type {import("../try/runtimes/adapter.js").RuntimeId} */ (params.get("runtime") ?? "onnxruntime-web");
const backend = /** @type {import("../try/runtimes/adapter.js").Backend} */ (params.get("backend") === "webgpu" ? "webgpu" : "wasm");
const threads = Math.max(1, Number(params.get("threads")) || 1);

/**
 * @typedef {object} Open an opened model
 * @property {import("../try/runtimes/adapter.js").Session} session
 * @property {import("../try/runtimes/adapter.js").Session|null} detectorSession
 * @property {import("../pose/preprocess.js").Tensor} tensor
 * @property {Model} model
 * @property {Image} image
 */
/** @type {Map<string, Open>} */
const open = new Map();

/**
 * @param {Part[]} parts
 * @returns {Part[]}
 */
function ownParts(parts) {
  return parts.map((p) => ({ path: String(p.path), bytes: new Uint8Array(p.bytes) }));
}

/**
 * @template T
 * @param {T} value a plain record from the page's realm
 * @returns {T}
 */
function own(value) {
  return JSON.parse(JSON.stringify(value));
}

async function start() {
  const runtime = await loadRuntime(id, { backend, threads });
  /** @type {Engine} */
  const engine = {
    info: { runtime: runtime.id, version: runtime.version, backend: runtime.backend, threads: runtime.threads },
    async open(key, given, picture) {
      const model = own({ ...given, parts: [], detectorParts: null });
      const image = { data: new Uint8ClampedArray(picture.data), width: picture.width, height: picture.height };
      const detectorSession = given.detectorParts ? await runtime.createSession(ownParts(given.detectorParts)) : null;
      let start = performance.now();
      const session = await runtime.createSession(ownParts(given.parts));
      const sessionMs = performance.now() - start;
      const tensor = preprocess(image, model.variant.preprocess, inputShapeOf(model.variant));
      start = performance.now();
      await session.run(tensor);
      const firstMs = performance.now() - start;
      open.set(key, { session, detectorSession, tensor, model, image });
      return { session_ms: sessionMs, first_inference_ms: firstMs, backend: session.backend };
    },
    async time(key, n) {
      const { session, tensor } = opened(key);
      const ms = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        await session.run(tensor);
        ms.push(performance.now() - start);
      }
      return ms;
    },
    async pipeline(key, n) {
      const { session, detectorSession, model, image } = opened(key);
      if (!detectorSession || !model.detector) throw new Error(`${key} has no first stage`);
      const sessions = new Map([
        [model.detector.id, detectorSession],
        [model.variant.id, session],
      ]);
      const { runModel } = modelRunner(sessions);
      const ms = [];
      let people = 0;
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        const poses = await estimate(runModel, model.variant, model.detector, image);
        ms.push(performance.now() - start);
        people = poses.length;
      }
      return { ms, people };
    },
    async close(key) {
      const had = open.get(key);
      open.delete(key);
      await had?.session.release();
      await had?.detectorSession?.release();
    },
  };
  /** @type {any} */ (window).engine = engine;
}

/**
 * @param {string} key
 * @returns {Open}
 */
function opened(key) {
  const had = open.get(key);
  if (!had) throw new Error(`${key} is not open in this engine`);
  return had;
}

/** @type {any} */ (window).engineReady = start().then(
  () => true,
  (error) => {
    throw new Error(`${id} (${backend}, ${threads} thread${threads > 1 ? "s" : ""}) did not start: ${error instanceof Error ? error.message : error}`);
  },
);
