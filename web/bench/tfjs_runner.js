// TensorFlow.js (wasm backend) runner of the browser benchmark, for TFJS graph models.
import { loadScript, loadedModels, makeInput } from './common.js';

/**
 * @typedef {typeof import("@tensorflow/tfjs") & {wasm: typeof import("@tensorflow/tfjs-backend-wasm")}} Tf
 *   window.tf, as the two UMD bundles define it
 */

/** @type {Tf} */
let tf;

/**
 * Loads TFJS and its wasm backend with an explicit thread count.
 * TFJS caps the count at navigator.hardwareConcurrency / 2 unless it is set before the
 * backend starts; getThreadsCount() then reports the count the backend actually uses.
 * @param {number} threads
 * @returns {Promise<object>}
 */
export async function init(threads) {
  // TFJS's wasm backend sizes its XNNPACK thread pool from navigator.hardwareConcurrency / 2
  // (in C++, at startup) and setThreadsCount alone does not lift that cap: on two cores it
  // stays at one thread. The page therefore reports twice the requested count to TFJS before
  // it loads; getThreadsCount() below tells what the backend really uses.
  const realConcurrency = navigator.hardwareConcurrency;
  if (threads > realConcurrency / 2) {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 2 * threads, configurable: true });
  }
  await loadScript('./tfjs/tf.min.js');
  await loadScript('./tfjs/tf-backend-wasm.min.js');
  tf = /** @type {any} */ (window).tf;
  tf.wasm.setWasmPaths(new URL('./tfjs/', location.href).href);
  tf.wasm.setThreadsCount(threads);
  const ok = await tf.setBackend('wasm');
  await tf.ready();
  return {
    engine: 'tfjs',
    version: tf.version?.tfjs ?? tf.version_core ?? null,
    backend: tf.getBackend(),
    backend_ok: ok,
    requested_threads: threads,
    threads: tf.wasm.getThreadsCount(),
    hardwareConcurrency_seen_by_tfjs: navigator.hardwareConcurrency,
    real_hardwareConcurrency: realConcurrency,
    multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
  };
}

/** the loaded models by their key */
const loaded = loadedModels(/** @param {{model: any, input: any, infer: () => Promise<void>}} model */ (model) => {
  model.input.dispose();
  model.model.dispose();
});

/**
 * Loads one TFJS graph model (model.json with its weight files beside it) under `spec.key` and runs it once.
 * @param {{key: string, url: string, shape: number[], dtype: import("@tensorflow/tfjs").DataType}} spec
 * @returns {Promise<{threads: number, load_ms: number, cold_ms: number, execute_async: boolean}>}
 */
export async function load(spec) {
  const t0 = performance.now();
  const model = await tf.loadGraphModel(spec.url);
  const load_ms = performance.now() - t0;
  const input = tf.tensor(makeInput(spec.shape, spec.dtype), spec.shape, spec.dtype);
  // Models with control flow or dynamic ops need executeAsync; execute otherwise.
  let useAsync = false;
  const infer = async () => {
    const out = useAsync ? await model.executeAsync(input) : model.execute(input);
    const list = Array.isArray(out) ? out : [out];
    for (const t of list) await t.data(); // read back, as ORT returns outputs in JS memory
    tf.dispose(list);
  };
  loaded.add(spec.key, { model, input, infer });
  const t1 = performance.now();
  try {
    await infer();
  } catch (e) {
    useAsync = true;
    await infer();
  }
  const cold_ms = performance.now() - t1;
  return { threads: tf.wasm.getThreadsCount(), load_ms, cold_ms, execute_async: useAsync };
}

export const step = loaded.step;
export const unload = loaded.unload;
