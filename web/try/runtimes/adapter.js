// The one interface the page runs a model through, whichever browser runtime runs it: load the
// runtime once per page (its backend and wasm threads are fixed when it starts), make a session
// from a model's files, run one input tensor to outputs by name ({data, dims}, as
// web/pose/decoders.js reads them: by shape, so output names may differ between forms), release.
// Each runtime's adapter is its own module, imported only when a model runs on it.

/** @typedef {"onnxruntime-web"|"litert.js"|"tfjs"} RuntimeId catalog.json's `browser_runtime.runtime` */
/** @typedef {"wasm"|"webgpu"} Backend */

/**
 * @typedef {object} ModelPart one file of a model form, with its bytes
 * @property {string} path relative to catalog.json (a TFJS graph: model.json first, then its weight files)
 * @property {Uint8Array} bytes
 */

/**
 * @typedef {object} Session one model file, ready to run
 * @property {(tensor: import("../../pose/preprocess.js").Tensor) => Promise<import("../../pose/decoders.js").Outputs>} run
 *   one input to the outputs by name, read back into JavaScript memory
 * @property {Backend} backend what it really runs on (LiteRT.js may fall back to wasm)
 * @property {() => Promise<void>} release frees the runtime's memory
 */

/**
 * @typedef {object} Runtime a runtime, loaded and started
 * @property {RuntimeId} id
 * @property {string|null} version
 * @property {Backend} backend
 * @property {number} threads wasm threads it runs with, as it reports them
 * @property {(parts: ModelPart[]) => Promise<Session>} createSession
 */

/**
 * @typedef {object} LoadOptions
 * @property {Backend} backend asked for: the page asks for WebGPU only where it has an adapter
 * @property {number} threads wasm threads asked for (1 where the page is not cross-origin isolated)
 */

/** @typedef {(options: LoadOptions) => Promise<Runtime>} Load an adapter module's `load` */

/**
 * What the page knows of each runtime: its name, the catalog form it runs and its adapter.
 * @type {Readonly<Record<RuntimeId, {label: string, format: string, webgpu: boolean, adapter: () => Promise<{load: Load}>}>>}
 */
export const RUNTIMES = Object.freeze({
  "onnxruntime-web": { label: "onnxruntime-web", format: "onnx", webgpu: true, adapter: () => import("./ort.js") },
  "litert.js": { label: "LiteRT.js", format: "tflite", webgpu: true, adapter: () => import("./litert.js") },
  tfjs: { label: "TensorFlow.js", format: "tfjs", webgpu: false, adapter: () => import("./tfjs.js") },
});

/** @type {RuntimeId[]} */
export const RUNTIME_IDS = /** @type {RuntimeId[]} */ (Object.keys(RUNTIMES));

/** @type {Map<RuntimeId, Promise<Runtime>>} */
const loaded = new Map();

/**
 * The runtime `id`, loaded once per page: the first call starts it (with `options`) and every
 * call answers the same promise; a failed load may be tried again.
 * @param {RuntimeId} id
 * @param {LoadOptions} options
 * @returns {Promise<Runtime>}
 */
export function loadRuntime(id, options) {
  const had = loaded.get(id);
  if (had) return had;
  const backend = RUNTIMES[id].webgpu ? options.backend : "wasm";
  const runtime = RUNTIMES[id].adapter().then((module) => module.load({ ...options, backend }));
  runtime.catch(() => loaded.delete(id));
  loaded.set(id, runtime);
  return runtime;
}

/**
 * A `runModel` for web/pose/pipeline.js over sessions by variant id; `timer.ms` adds up the time
 * spent in the runtimes since it was last reset (both stages of a two-stage model).
 * @param {Map<string, Session>} sessions
 * @returns {{runModel: import("../../pose/pipeline.js").RunModel, timer: {ms: number}}}
 */
export function modelRunner(sessions) {
  const timer = { ms: 0 };
  /** @type {import("../../pose/pipeline.js").RunModel} */
  const runModel = async (id, tensor) => {
    const session = sessions.get(id);
    if (!session) throw new Error(`no session for ${id}`);
    const start = performance.now();
    const outputs = await session.run(tensor);
    timer.ms += performance.now() - start;
    return outputs;
  };
  return { runModel, timer };
}
