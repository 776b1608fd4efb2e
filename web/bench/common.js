// Shared helpers of the browser benchmark: deterministic inputs and the timing loop.

/**
 * Deterministic pseudo-random input data (xorshift32), the same for every engine.
 * Integers 0..255 for integer inputs (MoveNet takes raw pixels: int32 in its TFJS file, uint8 in
 * Google's TFLite file), floats in [0, 1) otherwise.
 * @param {number[]} shape concrete shape, batch included
 * @param {string} dtype "float32", "int32" or "uint8"
 * @param {number} [seed]
 * @returns {Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>}
 */
export function makeInput(shape, dtype, seed = 12345) {
  const size = shape.reduce((a, b) => a * b, 1);
  const integer = dtype === 'int32' || dtype === 'uint8';
  const data = dtype === 'int32' ? new Int32Array(size) : dtype === 'uint8' ? new Uint8Array(size) : new Float32Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    data[i] = integer ? x & 255 : (x >>> 8) / 16777216;
  }
  return data;
}

/**
 * Times `count` calls of an async inference, one after another.
 * @param {() => Promise<void>} infer one inference, outputs read back to JS
 * @param {number} count
 * @returns {Promise<number[]>} ms per call
 */
export async function timeRuns(infer, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await infer();
    times.push(performance.now() - t);
  }
  return times;
}

/**
 * Loads a classic script (the TFJS UMD bundles define `window.tf`).
 * @param {string} src
 * @returns {Promise<void>}
 */
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

/**
 * The models a runner has loaded, by key: `step` times k runs of one, `unload` releases one.
 * @template {{infer: () => Promise<void>}} M
 * @param {(model: M) => void | Promise<void>} release
 */
export function loadedModels(release) {
  /** @type {Map<string, M>} */
  const models = new Map();
  return {
    /**
     * @param {string} key
     * @param {M} model
     */
    add(key, model) {
      models.set(key, model);
    },
    /**
     * @param {string} key the model's, as the runner's `load` was given it
     * @param {number} count
     * @returns {Promise<number[]>} ms per inference of that model
     */
    step(key, count) {
      const model = models.get(key);
      if (!model) throw new Error(`no model loaded as ${key}`);
      return timeRuns(model.infer, count);
    },
    /** @param {string} key */
    async unload(key) {
      const model = models.get(key);
      models.delete(key);
      if (model) await release(model);
    },
  };
}
