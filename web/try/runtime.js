// onnxruntime-web: the build for the chosen backend (imported from the site's own copy of ort's
// files), its settings, the sessions, and `runModel` for web/pose/pipeline.js with timing.

/** @typedef {typeof import("onnxruntime-web")} Ort onnxruntime-web's namespace, whichever build */

const ORT_DIR = new URL("./ort/", import.meta.url);
/** one ort build per backend: the wasm one is smaller; the webgpu one also runs wasm */
export const BUILDS = Object.freeze({ wasm: "ort.wasm.min.mjs", webgpu: "ort.webgpu.min.mjs" });

/**
 * @typedef {object} Support what this browser can run
 * @property {boolean} webgpu navigator.gpu gives an adapter
 * @property {string} webgpuWhy why not, when it cannot
 * @property {boolean} isolated crossOriginIsolated: wasm may use threads (SharedArrayBuffer)
 * @property {number} cores navigator.hardwareConcurrency
 */

/** @returns {Promise<Support>} */
export async function detectSupport() {
  const isolated = globalThis.crossOriginIsolated === true;
  const cores = navigator.hardwareConcurrency || 1;
  let webgpu = false;
  let webgpuWhy = "";
  if (!("gpu" in navigator)) {
    webgpuWhy = "this browser has no WebGPU (navigator.gpu is missing)";
  } else {
    try {
      webgpu = Boolean(await /** @type {any} */ (navigator).gpu.requestAdapter());
      if (!webgpu) webgpuWhy = "WebGPU is there but gives no adapter (no usable GPU, or it is blocked)";
    } catch (error) {
      webgpuWhy = `WebGPU failed: ${error}`;
    }
  }
  return { webgpu, webgpuWhy, isolated, cores };
}

/**
 * The wasm thread count to use: what was asked for (default all cores) when the page is
 * cross-origin isolated, else 1 (no SharedArrayBuffer, so no threads).
 * @param {Support} support
 * @param {number|null} asked
 * @returns {number}
 */
export function threadCount(support, asked) {
  if (!support.isolated) return 1;
  const n = asked && asked > 0 ? Math.floor(asked) : support.cores;
  return Math.max(1, Math.min(n, support.cores));
}

/**
 * onnxruntime-web's build for `backend`, set up to load its .mjs/.wasm from the site.
 * @param {"wasm"|"webgpu"} backend
 * @param {number} threads
 * @returns {Promise<Ort>} the `ort` namespace
 */
export async function loadOrt(backend, threads) {
  const ort = /** @type {Ort} */ (await import(new URL(BUILDS[backend], ORT_DIR).href));
  ort.env.wasm.wasmPaths = ORT_DIR.href;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  return ort;
}

/**
 * The session options every page runs with: session-options.json, also read by the build's
 * browser measurement (`posezoo build --browser`) and recorded with its figures.
 * @returns {Promise<object>}
 */
export async function sessionOptions() {
  const response = await fetch(new URL("./session-options.json", import.meta.url));
  if (!response.ok) throw new Error(`session-options.json: HTTP ${response.status}`);
  return response.json();
}

/**
 * An inference session for one ONNX file.
 * @param {Ort} ort
 * @param {"wasm"|"webgpu"} backend
 * @param {Uint8Array} bytes
 * @param {object} options from sessionOptions()
 * @returns {Promise<import("onnxruntime-web").InferenceSession>}
 */
export function createSession(ort, backend, bytes, options) {
  return ort.InferenceSession.create(bytes, { ...options, executionProviders: [backend] });
}

/**
 * A `runModel` for web/pose/pipeline.js over sessions by variant id; `timer.ms` adds up the time
 * spent in session.run since it was last reset (both stages of a two-stage model).
 * @param {Ort} ort
 * @param {Map<string, import("onnxruntime-web").InferenceSession>} sessions
 * @returns {{runModel: import("../pose/pipeline.js").RunModel, timer: {ms: number}}}
 */
export function modelRunner(ort, sessions) {
  const timer = { ms: 0 };
  /** @type {import("../pose/pipeline.js").RunModel} */
  const runModel = async (id, tensor) => {
    const session = sessions.get(id);
    if (!session) throw new Error(`no session for ${id}`);
    const feeds = { [session.inputNames[0]]: new ort.Tensor(tensor.dtype, tensor.tensorData, tensor.dims) };
    const start = performance.now();
    const results = await session.run(feeds);
    timer.ms += performance.now() - start;
    /** @type {import("../pose/decoders.js").Outputs} */
    const outputs = {};
    for (const name of session.outputNames) {
      const value = results[name];
      // a pose model's outputs are numbers: no string tensor comes back
      const data = /** @type {import("../pose/decoders.js").OutputTensor["data"]} */ (await value.getData());
      outputs[name] = { data, dims: value.dims };
      value.dispose?.();
    }
    return outputs;
  };
  return { runModel, timer };
}
