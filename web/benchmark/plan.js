// What a benchmark run measures: the engines (a runtime at a backend and thread count, each in a
// frame of its own) this browser offers, and the jobs (a model's form on an engine), from the
// catalog and the visitor's choices. Pure: main.js does the running.

import { INT8_FORMAT, hasForm } from "../try/catalog.js";
import { RUNTIMES } from "../try/runtimes/adapter.js";

/** @typedef {import("../try/runtimes/adapter.js").RuntimeId} RuntimeId */
/** @typedef {import("../try/runtimes/adapter.js").Backend} Backend */
/** @typedef {import("../try/catalog.js").Record} Variant */

/**
 * @typedef {object} EngineSpec one runtime started at one backend and wasm thread count
 * @property {string} key "onnxruntime-web/wasm/2"
 * @property {RuntimeId} runtime
 * @property {Backend} backend
 * @property {number} threads asked for (the runtime reports what it used)
 */

/**
 * @typedef {object} Job one model form on one engine
 * @property {string} key "movenet-lightning/onnx/onnxruntime-web/wasm/2"
 * @property {Variant} variant
 * @property {string} form onnx, onnx_int8, tflite or tfjs
 * @property {EngineSpec} engine
 * @property {Variant|null} detector its first stage, where the whole pipeline is timed too
 * @property {string|null} detectorForm the detector's form on the same runtime
 */

/**
 * @typedef {object} Choices what the visitor asked for
 * @property {RuntimeId[]} runtimes
 * @property {Backend[]} backends wasm, and webgpu where there is an adapter
 * @property {number[]} threads wasm thread counts (1 and all cores by default)
 * @property {boolean} int8 also the int8 ONNX forms
 */

/**
 * The thread counts worth measuring: 1 and every core, or only 1 where the page cannot use threads.
 * @param {import("../try/support.js").Support} support
 * @returns {number[]}
 */
export function defaultThreads(support) {
  return support.isolated && support.cores > 1 ? [1, support.cores] : [1];
}

/**
 * The engines to start: each runtime on wasm at every thread count, and on WebGPU (once: its
 * threads only serve the ops it leaves to the CPU) where the runtime has a WebGPU backend.
 * @param {Choices} choices
 * @returns {EngineSpec[]}
 */
export function engines(choices) {
  /** @type {EngineSpec[]} */
  const out = [];
  for (const runtime of choices.runtimes) {
    for (const backend of choices.backends) {
      if (backend === "webgpu" && !RUNTIMES[runtime].webgpu) continue;
      for (const threads of backend === "webgpu" ? [1] : [...new Set(choices.threads)].sort((a, b) => a - b)) {
        out.push({ key: `${runtime}/${backend}/${threads}`, runtime, backend, threads });
      }
    }
  }
  return out;
}

/**
 * The forms a runtime runs of a variant: its own format, and for onnxruntime-web the int8 form
 * where asked for and there is one.
 * @param {Variant} variant
 * @param {RuntimeId} runtime
 * @param {boolean} int8
 * @returns {string[]}
 */
export function formsOn(variant, runtime, int8) {
  const own = RUNTIMES[runtime].format;
  const forms = hasForm(variant, own) ? [own] : [];
  if (runtime === "onnxruntime-web" && int8 && hasForm(variant, INT8_FORMAT)) forms.push(INT8_FORMAT);
  return forms;
}

/**
 * Every job of one variant, engine by engine: what is timed in alternating turns together.
 * @param {Variant} variant
 * @param {Variant|null} detector its first stage (catalog.js's detectorOf), or null
 * @param {EngineSpec[]} specs
 * @param {boolean} int8
 * @returns {Job[]}
 */
export function jobsOf(variant, detector, specs, int8) {
  /** @type {Job[]} */
  const jobs = [];
  for (const engine of specs) {
    for (const form of formsOn(variant, engine.runtime, int8)) {
      // the detector runs in the same engine: its own form of that runtime (the float one for int8)
      const own = RUNTIMES[engine.runtime].format;
      const detectorForm = detector && hasForm(detector, own) ? own : null;
      jobs.push({
        key: `${variant.id}/${form}/${engine.key}`,
        variant,
        form,
        engine,
        detector: detectorForm ? detector : null,
        detectorForm,
      });
    }
  }
  return jobs;
}

/**
 * @typedef {object} Counts how many runs each job gets
 * @property {number} warmup untimed runs after the first
 * @property {number} runs timed inferences
 * @property {number} chunk timed inferences per turn
 * @property {number} pipelineRuns timed whole pipelines (jobs with a detector)
 */

/**
 * The steps a job takes, for the progress bar: opening it, each run.
 * @param {Job} job
 * @param {Counts} counts
 * @returns {number}
 */
export function stepsOf(job, counts) {
  return 1 + counts.warmup + counts.runs + (job.detector ? counts.pipelineRuns : 0);
}
