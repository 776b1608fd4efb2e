// onnxruntime-web (wasm backend) runner of the browser benchmark.
import { loadedModels, makeInput } from './common.js';

/** @type {typeof import('./ort/ort.wasm.min.mjs')} */
let ort;

/**
 * Loads onnxruntime-web's wasm-only build and sets its thread count.
 * The thread count is global to ORT's wasm module: one page per thread count.
 * @param {number} threads
 * @returns {Promise<object>} what the engine reports about itself
 */
export async function init(threads) {
  ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  ort.env.logLevel = 'warning';
  return { engine: 'onnxruntime-web', version: ort.env.versions?.web ?? null, requested_threads: threads };
}

/** the loaded models by their key */
const loaded = loadedModels(/** @param {{session: any, infer: () => Promise<void>}} model */ (model) => model.session.release());

/**
 * Loads one ONNX model under `spec.key` and runs it once (the cold run).
 * @param {{key: string, url: string, shape: number[], dtype: import('./ort/ort.wasm.min.mjs').Tensor.Type, options?: object}} spec
 * @returns {Promise<{threads: number, load_ms: number, cold_ms: number}>}
 */
export async function load(spec) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(spec.url, {
    executionProviders: ['wasm'],
    ...(spec.options || {}),
  });
  const load_ms = performance.now() - t0;
  // ORT falls back to one thread (with a warning) where multi-threading is unavailable and
  // writes the count back into env, so reading env after the first session tells what it uses.
  const threads = /** @type {number} */ (ort.env.wasm.numThreads); // init() set it
  const name = session.inputNames[0];
  const input = new ort.Tensor(spec.dtype, makeInput(spec.shape, spec.dtype), spec.shape);
  const infer = async () => {
    const out = await session.run({ [name]: input });
    for (const k of Object.keys(out)) out[k].dispose?.();
  };
  loaded.add(spec.key, { session, infer });
  const t1 = performance.now();
  await infer();
  return { threads, load_ms, cold_ms: performance.now() - t1 };
}

export const step = loaded.step;
export const unload = loaded.unload;
