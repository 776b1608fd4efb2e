// TensorFlow.js 4.22 with its wasm backend (XNNPACK), for the TFJS graph models the zoo ships:
// its two UMD bundles from the site's own copy (try/tfjs/), started once per page at its thread
// count, and graph models made from the bytes the page read (model.json and its weight files).

/**
 * @typedef {typeof import("@tensorflow/tfjs") & {wasm: typeof import("@tensorflow/tfjs-backend-wasm")}} Tf
 *   window.tf, as the two UMD bundles define it
 */

const DIR = new URL("../tfjs/", import.meta.url);
const SCRIPTS = ["tf.min.js", "tf-backend-wasm.min.js"];

/**
 * Runs a classic script (the UMD bundles define window.tf) from the site.
 * @param {URL} url
 * @returns {Promise<void>}
 */
function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: url.href });
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`cannot load ${url.pathname}`));
    document.head.append(script);
  });
}

/**
 * TFJS's wasm backend sizes its thread pool from navigator.hardwareConcurrency / 2 when it
 * starts, and setThreadsCount alone does not lift that cap: while it starts, `start` sees twice
 * the count asked for (as web/bench/tfjs_runner.js does); the page's own value is back after.
 * @template T
 * @param {number} threads
 * @param {() => Promise<T>} start
 * @returns {Promise<T>}
 */
async function withConcurrency(threads, start) {
  const real = navigator.hardwareConcurrency;
  if (threads <= real / 2) return start();
  Object.defineProperty(navigator, "hardwareConcurrency", { get: () => 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    delete (/** @type {any} */ (navigator).hardwareConcurrency); // the prototype's getter again
  }
}

/** @type {import("./adapter.js").Load} */
export async function load({ threads }) {
  const tf = await withConcurrency(threads, async () => {
    for (const name of SCRIPTS) await loadScript(new URL(name, DIR));
    const tf = /** @type {Tf} */ (/** @type {any} */ (window).tf);
    tf.wasm.setWasmPaths(DIR.href);
    tf.wasm.setThreadsCount(threads);
    if (!(await tf.setBackend("wasm"))) throw new Error("TensorFlow.js's wasm backend did not start");
    await tf.ready();
    return tf;
  });
  return {
    id: "tfjs",
    version: tf.version?.tfjs ?? null,
    backend: "wasm",
    threads: tf.wasm.getThreadsCount(),
    createSession: async (parts) => {
      const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts(parts)));
      let useAsync = false; // a graph with control flow or dynamic shapes needs executeAsync
      return {
        backend: "wasm",
        run: async (tensor) => {
          const input = tf.tensor(tensor.tensorData, tensor.dims, tensor.dtype === "int32" ? "int32" : "float32");
          try {
            /** @type {import("@tensorflow/tfjs").Tensor|import("@tensorflow/tfjs").Tensor[]} */
            let out;
            try {
              out = useAsync ? await model.executeAsync(input) : model.execute(input);
            } catch (error) {
              if (useAsync || !String(error).includes("executeAsync")) throw error;
              useAsync = true;
              out = await model.executeAsync(input);
            }
            const list = Array.isArray(out) ? out : [out];
            /** @type {import("../../pose/decoders.js").Outputs} */
            const outputs = {};
            for (const [i, t] of list.entries()) {
              const data = /** @type {import("../../pose/decoders.js").OutputTensor["data"]} */ (await t.data());
              outputs[model.outputNodes[i] ?? `output_${i}`] = { data, dims: t.shape };
            }
            tf.dispose(list);
            return outputs;
          } finally {
            input.dispose();
          }
        },
        release: async () => model.dispose(),
      };
    },
  };
}

/**
 * A graph model's artifacts from its files: model.json's topology and signature, and its
 * weights, the manifest's files concatenated in its order.
 * @param {import("./adapter.js").ModelPart[]} parts model.json first, then its weight files
 * @returns {import("@tensorflow/tfjs").io.ModelArtifacts}
 */
export function artifacts(parts) {
  const [json, ...weights] = parts;
  const model = JSON.parse(new TextDecoder().decode(json.bytes));
  const base = new URL(json.path, "file:///");
  const byPath = new Map(weights.map((p) => [new URL(p.path, "file:///").pathname, p.bytes]));
  /** @type {{paths: string[], weights: import("@tensorflow/tfjs").io.WeightsManifestEntry[]}[]} */
  const manifest = model.weightsManifest ?? [];
  const chunks = manifest.flatMap((group) =>
    group.paths.map((path) => {
      const bytes = byPath.get(new URL(path, base).pathname);
      if (!bytes) throw new Error(`${json.path}: its weight file ${path} was not loaded`);
      return bytes;
    }),
  );
  const weightData = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    weightData.set(chunk, offset);
    offset += chunk.length;
  }
  return {
    modelTopology: model.modelTopology,
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy: model.convertedBy,
    signature: model.signature,
    userDefinedMetadata: model.userDefinedMetadata,
    modelInitializer: model.modelInitializer,
    weightSpecs: manifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
  };
}
