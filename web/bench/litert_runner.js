// LiteRT.js (XNNPACK wasm, `@litertjs/core`) runner of the browser benchmark, for TFLite files.
import { loadedModels, makeInput } from './common.js';

/** @typedef {typeof import('@litertjs/core')} LiteRt the package's namespace */

/** @type {LiteRt} */
let litert;
let threadCount = 1;

/**
 * Loads LiteRT.js's wasm runtime: the threaded build where more than one thread is asked for (it
 * needs cross-origin isolation), else the single-threaded one; the build picks relaxed SIMD itself.
 * @param {number} threads
 * @returns {Promise<object>} what the engine reports about itself
 */
export async function init(threads) {
  litert = await import('./litert/core/index.js');
  const isolated = self.crossOriginIsolated === true;
  threadCount = isolated ? threads : 1;
  await litert.loadLiteRt(new URL('./litert/wasm/', location.href).href, { threads: threadCount > 1 });
  return {
    engine: 'litert.js',
    version: null, // the package reports none at run time: the measurement reads its package.json
    requested_threads: threads,
    relaxed_simd: await litert.supportsFeature('relaxedSimd'),
    threaded_module: threadCount > 1,
  };
}

/** the loaded models by their key */
const loaded = loadedModels(/** @param {{model: import('@litertjs/core').CompiledModel, infer: () => Promise<void>}} model */ (model) => model.model.delete());

/**
 * Loads one TFLite file under `spec.key`, compiles it for wasm at the page's thread count and runs it once.
 * @param {{key: string, url: string, shape: number[], dtype: string}} spec
 * @returns {Promise<{threads: number, load_ms: number, cold_ms: number}>}
 */
export async function load(spec) {
  const t0 = performance.now();
  const model = await litert.loadAndCompile(spec.url, { accelerator: 'wasm', cpuOptions: { numThreads: threadCount } });
  const load_ms = performance.now() - t0;
  const data = makeInput(spec.shape, spec.dtype);
  const infer = async () => {
    const input = new litert.Tensor(data, spec.shape);
    const outputs = await model.run([input]);
    input.delete();
    for (const output of outputs) {
      output.toTypedArray(); // read back, as the other engines return outputs in JS memory
      output.delete();
    }
  };
  loaded.add(spec.key, { model, infer });
  const t1 = performance.now();
  await infer();
  return { threads: threadCount, load_ms, cold_ms: performance.now() - t1 };
}

export const step = loaded.step;
export const unload = loaded.unload;
