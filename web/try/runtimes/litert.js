// LiteRT.js (`@litertjs/core`, XNNPACK in wasm, or WebGPU): its wasm started once per page from
// the site's own copy (try/litert/), and compiled models of TFLite files. Its memory is managed
// by hand: every tensor is deleted once read.

/** @typedef {typeof import("../litert/core/index.js")} LiteRt the package's namespace */

const DIR = new URL("../litert/", import.meta.url);

/** @type {import("./adapter.js").Load} */
export async function load({ backend, threads }) {
  const litert = /** @type {LiteRt} */ (await import(new URL("core/index.js", DIR).href));
  // the threaded build needs relaxed SIMD and cross-origin isolation (SharedArrayBuffer)
  const threaded =
    threads > 1 && (await litert.supportsFeature("relaxedSimd")) && (await litert.supportsFeature("threads"));
  const used = threaded ? threads : 1;
  // its wasm writes its log to stderr, console.error in a page: the module it starts takes
  // `self.Module`'s handlers (its threads' too), so its INFO lines become debug, the rest warnings
  /** @type {any} */ (self).Module = { print: console.debug, printErr: logLine };
  const runtime = await litert.loadLiteRt(new URL("wasm/", DIR).href, { threads: threaded });
  // WebGPU where its environment got a device (the page asks only where there is an adapter), else wasm
  const accelerator = backend === "webgpu" && runtime.getDefaultEnvironment().webGpuDevice ? "webgpu" : "wasm";
  return {
    id: "litert.js",
    version: null, // the package says none at run time
    backend: accelerator,
    threads: used,
    createSession: async (parts) => {
      const model = await litert.loadAndCompile(parts[0].bytes, { accelerator, cpuOptions: { numThreads: used } });
      const names = model.getOutputDetails().map((d, i) => d.name || `output_${i}`);
      return {
        // a model not fully compiled for WebGPU falls back to wasm
        backend: /** @type {import("./adapter.js").Backend} */ (model.options.accelerator === "webgpu" ? "webgpu" : "wasm"),
        run: (tensor) => run(litert, model, names, tensor),
        release: async () => model.delete(),
      };
    },
  };
}

/** @param {string} text one line of LiteRT's log */
function logLine(text) {
  if (/^(INFO|VERBOSE)\b/.test(text)) console.debug(`LiteRT.js: ${text}`);
  else console.warn(`LiteRT.js: ${text}`);
}

/**
 * @param {LiteRt} litert
 * @param {import("../litert/core/index.js").CompiledModel} model
 * @param {string[]} names the outputs' names, in the model's order
 * @param {import("../../pose/preprocess.js").Tensor} tensor
 * @returns {Promise<import("../../pose/decoders.js").Outputs>}
 */
async function run(litert, model, names, tensor) {
  if (tensor.dtype === "float16") throw new Error("LiteRT.js takes no float16 input here: run the ONNX form");
  const input = new litert.Tensor(/** @type {import("../litert/core/index.js").TypedArray} */ (tensor.tensorData), tensor.dims);
  /** @type {import("../litert/core/index.js").Tensor[]} */
  let results = [];
  try {
    results = await model.run([input]);
    /** @type {import("../../pose/decoders.js").Outputs} */
    const outputs = {};
    for (const [i, result] of results.entries()) {
      const data = /** @type {import("../../pose/decoders.js").OutputTensor["data"]} */ (await result.data());
      outputs[names[i] ?? `output_${i}`] = { data, dims: Array.from(result.type.layout.dimensions) };
    }
    return outputs;
  } finally {
    input.delete();
    for (const result of results) result.delete();
  }
}
