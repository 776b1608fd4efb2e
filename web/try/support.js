// What this browser can run: a WebGPU adapter, cross-origin isolation (wasm threads), its cores;
// and the wasm thread count a runtime starts with.

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
