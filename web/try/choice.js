// Which browser runtime runs each stage of a model, and why: the build's choice
// (`browser_runtime`, the fastest it measured), else onnxruntime-web where the build measured
// none; `&runtime=` forces one for every stage that has its form; the int8 form runs only on
// onnxruntime-web. Also the sentences that say so, from the build's own records.

import { INT8_FORMAT, formFiles, hasForm, hasInt8 } from "./catalog.js";
import { RUNTIMES, RUNTIME_IDS } from "./runtimes/adapter.js";

/** @typedef {import("./runtimes/adapter.js").RuntimeId} RuntimeId */
/** @typedef {import("./catalog.js").Record} Variant */

/** the runtime where the build measured none: every built variant has an ONNX form */
export const FALLBACK = /** @type {RuntimeId} */ ("onnxruntime-web");
/** what `&runtime=` also takes for each runtime */
const ALIASES = /** @type {Readonly<Record<string, RuntimeId>>} */ ({ ort: "onnxruntime-web", litert: "litert.js", tensorflow: "tfjs" });

/**
 * @typedef {"catalog"|"unmeasured"|"asked"|"int8"|"no-form"} Why why a stage runs where it runs:
 *   the build's choice; no measurement, so onnxruntime-web; `&runtime=`; the int8 form; the
 *   runtime asked for has no form of this stage, so its default
 * @typedef {object} Stage one model the page runs, and on what
 * @property {Variant} variant
 * @property {"detector"|"model"} role
 * @property {RuntimeId} runtime
 * @property {string} form the key of `formats` it loads: onnx, onnx_int8, tflite or tfjs
 * @property {Why} why
 */

/**
 * A runtime's id from what `&runtime=` says (its id, or ort, litert, tensorflow); null otherwise.
 * @param {string|null} text
 * @returns {RuntimeId|null}
 */
export function parseRuntime(text) {
  const key = (text ?? "").trim().toLowerCase();
  if (!key) return null;
  if (RUNTIME_IDS.includes(/** @type {RuntimeId} */ (key))) return /** @type {RuntimeId} */ (key);
  return ALIASES[key] ?? null;
}

/**
 * Whether `runtime` can run the variant: it has the form the runtime loads.
 * @param {Variant} variant
 * @param {RuntimeId} runtime
 * @returns {boolean}
 */
export function runs(variant, runtime) {
  return hasForm(variant, RUNTIMES[runtime].format);
}

/**
 * The runtimes that can run the variant, in the page's order.
 * @param {Variant} variant
 * @returns {RuntimeId[]}
 */
export function runtimesOf(variant) {
  return RUNTIME_IDS.filter((id) => runs(variant, id));
}

/**
 * The build's choice for the variant, where it made one this page can follow.
 * @param {Variant} variant
 * @returns {import("./catalog.js").BrowserChoice|null}
 */
export function measuredChoice(variant) {
  const choice = variant.browser_runtime;
  if (!choice || !RUNTIME_IDS.includes(/** @type {RuntimeId} */ (choice.runtime))) return null;
  return runs(variant, /** @type {RuntimeId} */ (choice.runtime)) ? choice : null;
}

/**
 * The runtime a variant runs on by default, and why.
 * @param {Variant} variant
 * @returns {{runtime: RuntimeId, why: Why}}
 */
export function defaultRuntime(variant) {
  const choice = measuredChoice(variant);
  return choice ? { runtime: /** @type {RuntimeId} */ (choice.runtime), why: "catalog" } : { runtime: FALLBACK, why: "unmeasured" };
}

/**
 * The stages a load runs: the detector first where the variant has one, each on its own default
 * runtime unless `asked` forces one (on every stage that has its form); the int8 form (the
 * variant's, never its detector's) runs on onnxruntime-web.
 * @param {Variant} variant
 * @param {Variant|null} detector
 * @param {{precision?: import("./catalog.js").Precision, asked?: RuntimeId|null}} [options]
 * @returns {Stage[]}
 */
export function planStages(variant, detector, { precision = "float", asked = null } = {}) {
  /**
   * @param {Variant} record
   * @param {"detector"|"model"} role
   * @returns {Stage}
   */
  const stage = (record, role) => {
    if (role === "model" && precision === "int8" && hasInt8(record)) {
      return { variant: record, role, runtime: "onnxruntime-web", form: INT8_FORMAT, why: "int8" };
    }
    const fallback = defaultRuntime(record);
    const pick = asked && runs(record, asked) ? { runtime: asked, why: /** @type {Why} */ ("asked") } : fallback;
    const why = asked && !runs(record, asked) ? "no-form" : pick.why;
    return { variant: record, role, runtime: pick.runtime, form: RUNTIMES[pick.runtime].format, why };
  };
  return detector ? [stage(detector, "detector"), stage(variant, "model")] : [stage(variant, "model")];
}

/**
 * The files the stages load, each stage's in order.
 * @param {Stage[]} stages
 * @returns {import("./catalog.js").ModelFile[][]}
 */
export function stageFiles(stages) {
  return stages.map((s) => formFiles(s.variant, s.form));
}

/**
 * MiB the stages download.
 * @param {Stage[]} stages
 * @returns {number}
 */
export function downloadMiB(stages) {
  return stageFiles(stages).flat().reduce((n, f) => n + (f.size_bytes || 0), 0) / 2 ** 20;
}

/**
 * Every runtime's median the build measured for the variant at `threads`, fastest first.
 * @param {Variant} variant
 * @param {number} threads
 * @returns {{runtime: RuntimeId, ms: number}[]}
 */
export function measuredAt(variant, threads) {
  /** @type {Map<RuntimeId, number>} */
  const best = new Map();
  for (const id of RUNTIME_IDS) {
    for (const record of variant.formats?.[RUNTIMES[id].format]?.browser_latency ?? []) {
      if (record.threads !== threads || (record.backend && record.backend !== "wasm")) continue;
      const ms = best.get(id);
      if (ms === undefined || record.median_ms < ms) best.set(id, record.median_ms);
    }
  }
  return [...best].map(([runtime, ms]) => ({ runtime, ms })).sort((a, b) => a.ms - b.ms);
}

/** @param {number} ms */
const millis = (ms) => `${ms.toFixed(1)} ms`;

/**
 * What the build measured, in one clause: "fastest measured by this build: 12.3 ms at 2 threads;
 * onnxruntime-web 17.0 ms, TensorFlow.js 20.1 ms".
 * @param {Variant} variant
 * @returns {string|null} null where the build made no choice
 */
export function measuredText(variant) {
  const choice = measuredChoice(variant);
  if (!choice) return null;
  const threads = `${choice.threads} thread${choice.threads === 1 ? "" : "s"}`;
  let others = measuredAt(variant, choice.threads).filter((m) => m.runtime !== choice.runtime);
  if (!others.length && choice.runner_up && choice.runner_up_ms != null && choice.runner_up in RUNTIMES) {
    others = [{ runtime: /** @type {RuntimeId} */ (choice.runner_up), ms: choice.runner_up_ms }];
  }
  const rest = others.map((m) => `${RUNTIMES[m.runtime].label} ${millis(m.ms)}`).join(", ");
  return `fastest measured by this build: ${millis(choice.median_ms)} at ${threads}${rest ? `; ${rest}` : ""}`;
}

/**
 * Why a stage runs where it runs, in one sentence (without the stage's name).
 * @param {Stage} stage
 * @returns {string}
 */
export function stageText(stage) {
  const label = RUNTIMES[stage.runtime].label;
  const measured = measuredText(stage.variant);
  const choice = measuredChoice(stage.variant);
  const builds = choice
    ? `the build's choice is ${RUNTIMES[/** @type {RuntimeId} */ (choice.runtime)].label} (${measured})`
    : "this build measured no browser runtime";
  switch (stage.why) {
    case "catalog":
      return `runs on ${label}, ${measured}.`;
    case "unmeasured":
      return `runs on ${label}: this build did not measure the browser runtimes${
        stage.variant.browser_note ? ` (${stage.variant.browser_note.replace(/\.$/, "")})` : ""
      }, so it runs the ONNX form.`;
    case "asked":
      return `runs on ${label}, as asked; ${builds}.`;
    case "int8":
      return `runs its int8 form on onnxruntime-web, the one runtime that runs it; ${builds}.`;
    default:
      return `runs on ${label}: the runtime asked for has no form of it; ${builds}.`;
  }
}
