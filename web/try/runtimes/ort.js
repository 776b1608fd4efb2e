// onnxruntime-web: the build for the backend (imported from the site's own copy of ort's files,
// try/ort/), started at its thread count, and sessions of ONNX files with the page's options.

/** @typedef {typeof import("onnxruntime-web")} Ort onnxruntime-web's namespace, whichever build */

const ORT_DIR = new URL("../ort/", import.meta.url);
/** one ort build per backend: the wasm one is smaller; the webgpu one also runs wasm */
export const BUILDS = Object.freeze({ wasm: "ort.wasm.min.mjs", webgpu: "ort.webgpu.min.mjs" });
/**
 * The smallest ONNX model (y = Identity(x), one float): ort starts its wasm (compiles it, starts
 * its threads) on the first session, so a session of this one starts it before the model's own,
 * and the runtime's cost is told apart from the model's.
 */
const TINY_MODEL = [
  8, 7, 58, 55, 10, 16, 10, 1, 120, 18, 1, 121, 34, 8, 73, 100, 101, 110, 116, 105, 116, 121, 18, 1, 103, 90, 15, 10, 1,
  120, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 98, 15, 10, 1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 66, 4, 10,
  0, 16, 13,
];

/**
 * The session options every page runs with: session-options.json, also read by the build's
 * browser measurement (`posezoo build --browser`) and recorded with its figures.
 * @returns {Promise<object>}
 */
export async function sessionOptions() {
  const response = await fetch(new URL("../session-options.json", import.meta.url));
  if (!response.ok) throw new Error(`session-options.json: HTTP ${response.status}`);
  return response.json();
}

/** @type {import("./adapter.js").Load} */
export async function load({ backend, threads }) {
  const [ort, options] = await Promise.all([
    /** @type {Promise<Ort>} */ (import(new URL(BUILDS[backend], ORT_DIR).href)),
    sessionOptions(),
  ]);
  ort.env.wasm.wasmPaths = ORT_DIR.href;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  const providers = [backend];
  const tiny = await ort.InferenceSession.create(new Uint8Array(TINY_MODEL), { executionProviders: providers });
  await tiny.release();
  return {
    id: "onnxruntime-web",
    version: ort.env.versions?.web ?? null,
    backend,
    // ort writes back the count it uses: 1 where threads are not available
    threads: Number(ort.env.wasm.numThreads) || 1,
    createSession: async (parts) => {
      const session = await ort.InferenceSession.create(parts[0].bytes, { ...options, executionProviders: providers });
      return {
        backend,
        run: (tensor) => run(ort, session, tensor),
        release: () => session.release(),
      };
    },
  };
}

/**
 * @param {Ort} ort
 * @param {import("onnxruntime-web").InferenceSession} session
 * @param {import("../../pose/preprocess.js").Tensor} tensor
 * @returns {Promise<import("../../pose/decoders.js").Outputs>}
 */
async function run(ort, session, tensor) {
  const feeds = { [session.inputNames[0]]: new ort.Tensor(tensor.dtype, tensor.tensorData, tensor.dims) };
  const results = await session.run(feeds);
  /** @type {import("../../pose/decoders.js").Outputs} */
  const outputs = {};
  for (const name of session.outputNames) {
    const value = results[name];
    // a pose model's outputs are numbers: no string tensor comes back
    const data = /** @type {import("../../pose/decoders.js").OutputTensor["data"]} */ (await value.getData());
    outputs[name] = { data, dims: value.dims };
    value.dispose?.();
  }
  return outputs;
}
