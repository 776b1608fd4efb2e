// The benchmark page: the visitor picks models, runtimes, backends and thread counts; each engine
// (engine.js) starts in a hidden frame of its own; every model's forms are opened on every engine,
// warmed up, then timed in alternating turns on the fixed input, and its pipeline too where it has
// a detector; the table fills as they finish; the result is one device-result document, shown and
// downloadable, never sent. `window.benchmark` holds its state for `posezoo bench-device`:
// ?models=a,b&runtimes=…&threads=1,2&runs=N&warmup=N&webgpu=1&int8=1&name=…&tool=cli&auto=1.

import { detectorOf, fileUrl, formFiles, loadCatalog, runnableVariants } from "../try/catalog.js";
import { fetchModel } from "../try/download.js";
import { openSample } from "../try/inputs.js";
import { RUNTIMES, RUNTIME_IDS } from "../try/runtimes/adapter.js";
import { detectSupport } from "../try/support.js";
import { describeDevice } from "./device.js";
import { defaultThreads, engines, jobsOf, stepsOf } from "./plan.js";
import { defaultName, deviceResult, fileName, fileText } from "./result.js";
import { rounded, summary } from "./stats.js";

/** @typedef {import("./plan.js").Job} Job */
/** @typedef {import("./plan.js").EngineSpec} EngineSpec */
/** @typedef {import("./engine.js").Engine} Engine */
/** @typedef {import("./result.js").Run} Run */

const CATALOG_URL = new URL("../catalog.json", import.meta.url);
const CHUNK = 5; // timed runs per job per turn
const PIPELINE_RUNS = 10;
const params = new URLSearchParams(location.search);

/**
 * @param {string} id
 * @returns {any}
 */
const $ = (id) => document.getElementById(id);

/**
 * What the page did, for `posezoo bench-device` and the browser tests.
 * @type {{status: "loading"|"ready"|"running"|"done"|"stopped"|"failed", error: string|null, result: import("./result.js").DeviceResult|null, failures: string[]}}
 */
const state = { status: "loading", error: null, result: null, failures: [] };
/** @type {any} */ (window).benchmark = state;

/** @type {import("../try/catalog.js").Catalog} */
let catalog;
/** @type {import("../try/support.js").Support} */
let support;
/** @type {import("./device.js").Described} */
let device;
let stopping = false;

/**
 * @param {string} text
 * @param {"info"|"error"} [kind]
 */
function say(text, kind = "info") {
  $("message").textContent = text;
  $("message").className = kind;
  $("message").hidden = !text;
}

/**
 * @param {unknown} error
 * @returns {string} its message, one line
 */
function line(error) {
  return String(error instanceof Error ? error.message : error).split("\n")[0];
}

/**
 * @param {HTMLElement} box
 * @param {string} name
 * @param {string} value
 * @param {string} text
 * @param {boolean} checked
 */
function addCheck(box, name, value, text, checked) {
  const label = document.createElement("label");
  const input = Object.assign(document.createElement("input"), { type: "checkbox", name, value, checked });
  label.append(input, ` ${text}`);
  box.append(label);
}

/**
 * @param {string} name
 * @returns {string[]} the checked boxes' values
 */
function checked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => /** @type {HTMLInputElement} */ (i).value);
}

/** @param {string|null} text @returns {string[]} */
function list(text) {
  return (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

function fillChoices() {
  const variants = runnableVariants(catalog);
  const asked = list(params.get("models"));
  for (const v of variants) addCheck($("models"), "model", v.id, `${v.id}`, !asked.length || asked.includes(v.id));
  const runtimes = list(params.get("runtimes"));
  for (const id of RUNTIME_IDS) addCheck($("runtimes"), "runtime", id, RUNTIMES[id].label, !runtimes.length || runtimes.includes(id));
  const countModels = () => ($("model-count").textContent = `${checked("model").length} of ${variants.length}`);
  $("models").addEventListener("change", countModels);
  for (const [button, on] of /** @type {[string, boolean][]} */ ([["all", true], ["none", false]])) {
    $(button).addEventListener("click", () => {
      for (const box of document.querySelectorAll('input[name="model"]')) /** @type {HTMLInputElement} */ (box).checked = on;
      countModels();
    });
  }
  countModels();
  $("threads").value = list(params.get("threads")).join(", ") || defaultThreads(support).join(", ");
  $("webgpu").disabled = !support.webgpu;
  $("webgpu").checked = support.webgpu && params.get("webgpu") !== "0";
  $("int8").checked = params.get("int8") === "1";
  for (const key of ["runs", "warmup"]) if (params.get(key)) $(key).value = params.get(key);
  if (params.get("name")) $("name").value = params.get("name");
  const notes = [
    support.webgpu ? "WebGPU: an adapter is there." : `No WebGPU: ${support.webgpuWhy}.`,
    support.isolated
      ? `${support.cores} cores; the page is cross-origin isolated, so wasm may use several threads.`
      : "The page is not cross-origin isolated: wasm runs on one thread.",
  ];
  $("support").textContent = notes.join(" ");
}

/** @returns {import("./plan.js").Choices} */
function choices() {
  const threads = list($("threads").value)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 1)
    .map((n) => (support.isolated ? Math.min(n, support.cores) : 1));
  return {
    runtimes: /** @type {import("./plan.js").RuntimeId[]} */ (checked("runtime")),
    backends: $("webgpu").checked ? ["wasm", "webgpu"] : ["wasm"],
    threads: threads.length ? threads : [1],
    int8: $("int8").checked,
  };
}

/**
 * The fixed input: the sample photo's pixels, or a grey frame where the site has none.
 * @returns {Promise<{data: Uint8ClampedArray, width: number, height: number, what: string}>}
 */
async function fixedImage() {
  const sample = await openSample();
  if ("problem" in sample) {
    const width = 640, height = 480;
    return { data: new Uint8ClampedArray(width * height * 4).fill(128), width, height, what: `a grey frame (${sample.problem})` };
  }
  const canvas = Object.assign(document.createElement("canvas"), { width: sample.bitmap.width, height: sample.bitmap.height });
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  context.drawImage(sample.bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  return { data: pixels.data, width: pixels.width, height: pixels.height, what: "the sample photo" };
}

/** @type {Map<string, Promise<Engine>>} */
const started = new Map();

/**
 * The engine of `spec`, started once in a hidden frame.
 * @param {EngineSpec} spec
 * @returns {Promise<Engine>}
 */
function engineFor(spec) {
  const had = started.get(spec.key);
  if (had) return had;
  const frame = document.createElement("iframe");
  frame.title = `benchmark engine ${spec.key}`;
  frame.src = `engine.html?${new URLSearchParams({ runtime: spec.runtime, backend: spec.backend, threads: String(spec.threads) })}`;
  const engine = new Promise((resolve, reject) => {
    frame.addEventListener("load", () => {
      const inner = /** @type {any} */ (frame.contentWindow);
      const wait = () =>
        inner.engineReady ? inner.engineReady.then(() => resolve(inner.engine), reject) : setTimeout(wait, 20);
      wait();
    });
    frame.addEventListener("error", () => reject(new Error(`engine.html did not load for ${spec.key}`)));
  });
  $("engines").append(frame);
  started.set(spec.key, /** @type {Promise<Engine>} */ (engine));
  return /** @type {Promise<Engine>} */ (engine);
}

function dropEngines() {
  $("engines").replaceChildren();
  started.clear();
}

/** @type {Map<string, Promise<{parts: {path: string, bytes: Uint8Array}[], ms: number, cached: boolean}>>} */
const reads = new Map();

/**
 * A form's files, read once per page (timed: the network, or the browser's cache): every engine
 * that opens the form after the first shares that read, its figure, and says it had them already.
 * @param {import("../try/catalog.js").Record} variant
 * @param {string} form
 */
function readForm(variant, form) {
  const files = formFiles(variant, form);
  const key = files.map((f) => f.path).join("|");
  const had = reads.get(key);
  if (had) return had.then((r) => ({ ...r, cached: true }));
  const reading = (async () => {
    const start = performance.now();
    const got = await Promise.all(
      files.map((f) => fetchModel(fileUrl(f.path, CATALOG_URL), { sha256: f.sha256, size: f.size_bytes })),
    );
    return {
      parts: got.map((g, i) => ({ path: files[i].path, bytes: g.bytes })),
      ms: performance.now() - start,
      cached: got.every((g) => g.cached),
    };
  })();
  reads.set(key, reading);
  reading.catch(() => reads.delete(key));
  return reading;
}

/**
 * @typedef {object} Row a job's line in the table and what it has measured
 * @property {Job} job
 * @property {HTMLTableRowElement} tr
 * @property {Engine|null} engine
 * @property {{runtime_version: string|null, backend: string, threads: number}|null} ran
 * @property {Run["cold"]|null} cold
 * @property {number[]} ms
 * @property {number[]} pipelineMs
 * @property {number} people
 * @property {number} warmed
 * @property {string|null} failed
 */

/**
 * @param {Row} row
 * @param {string} status
 */
function show(row, status) {
  const { job, ran, cold } = row;
  const fmt = (/** @type {number|null|undefined} */ v) => (v == null ? "—" : v.toFixed(1));
  const timing = row.ms.length ? summary(row.ms) : null;
  const pipeline = row.pipelineMs.length ? summary(row.pipelineMs) : null;
  const cells = [
    [job.variant.id, ""],
    [job.form === "onnx_int8" ? "int8" : "float", ""],
    [`${RUNTIMES[job.engine.runtime].label}${ran?.runtime_version ? ` ${ran.runtime_version}` : ""}`, ""],
    [ran?.backend ?? job.engine.backend, ""],
    [String(ran?.threads ?? job.engine.threads), "num"],
    [fmt(timing?.median_ms), "num"],
    [fmt(timing?.p90_ms), "num"],
    [cold ? `${fmt(cold.download_ms)}${cold.cached ? " (cached)" : ""}` : "—", "num"],
    [fmt(cold?.session_ms), "num"],
    [fmt(cold?.first_inference_ms), "num"],
    [pipeline ? `${fmt(pipeline.median_ms)} (p90 ${fmt(pipeline.p90_ms)})` : job.detector ? "…" : "—", "num"],
    [status, "status"],
  ];
  row.tr.replaceChildren(
    ...cells.map(([text, cls]) => Object.assign(document.createElement("td"), { textContent: text, className: cls })),
  );
  row.tr.className = row.failed ? "failed" : status === "queued" ? "waiting" : "";
}

/**
 * @param {Row} row
 * @param {unknown} error
 */
function fail(row, error) {
  row.failed = line(error);
  state.failures.push(`${row.job.key}: ${row.failed}`);
  show(row, `failed: ${row.failed}`);
}

let done = 0;
let total = 1;
/** @param {number} steps @param {string} text */
function progress(steps, text) {
  done += steps;
  $("progress").value = Math.min(1, done / total);
  $("progress-text").textContent = text;
}

/**
 * @param {Row} row
 * @returns {Promise<void>}
 */
async function openRow(row) {
  const { job } = row;
  show(row, "opening");
  try {
    const engine = await engineFor(job.engine);
    const read = await readForm(job.variant, job.form);
    const detectorParts = job.detector && job.detectorForm ? (await readForm(job.detector, job.detectorForm)).parts : null;
    const opened = await engine.open(
      job.key,
      { variant: job.variant, parts: read.parts, detector: job.detector, detectorParts },
      image,
    );
    row.engine = engine;
    row.ran = { runtime_version: engine.info.version, backend: opened.backend, threads: engine.info.threads };
    row.cold = {
      download_ms: rounded(read.ms), cached: read.cached, session_ms: rounded(opened.session_ms),
      first_inference_ms: rounded(opened.first_inference_ms),
    };
    show(row, "warming up");
  } catch (error) {
    fail(row, error);
  }
}

/**
 * Lets the page take its turn: a wasm runtime's runs resolve as microtasks, which alone never let
 * the browser paint the table or hear the Stop button.
 * @returns {Promise<void>}
 */
function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Every job of one variant: opened, warmed up, timed in alternating turns, its pipeline too, closed.
 * @param {Row[]} rows
 * @param {import("./plan.js").Counts} counts
 */
async function runVariant(rows, counts) {
  for (const row of rows) {
    if (stopping) return;
    await openRow(row);
    progress(1, `${row.job.key}: opened`);
  }
  const live = () => rows.filter((r) => r.engine && !r.failed);
  /**
   * @param {(row: Row) => Promise<boolean>} step one turn of a row; false when it is done
   */
  const turns = async (step) => {
    let more = true;
    while (more && !stopping) {
      more = false;
      for (const row of live()) {
        if (stopping) break;
        try {
          if (await step(row)) more = true;
        } catch (error) {
          fail(row, error);
        }
        await nextTask();
      }
    }
  };
  await turns(async (row) => {
    if (row.warmed >= counts.warmup) return false;
    const n = Math.min(CHUNK, counts.warmup - row.warmed);
    await /** @type {Engine} */ (row.engine).time(row.job.key, n);
    row.warmed += n;
    progress(n, `${row.job.key}: warming up`);
    return row.warmed < counts.warmup;
  });
  await turns(async (row) => {
    if (row.ms.length >= counts.runs) return false;
    const n = Math.min(CHUNK, counts.runs - row.ms.length);
    row.ms.push(...(await /** @type {Engine} */ (row.engine).time(row.job.key, n)));
    show(row, `timing ${row.ms.length} of ${counts.runs}`);
    progress(n, `${row.job.key}: ${row.ms.length} of ${counts.runs} runs`);
    return row.ms.length < counts.runs;
  });
  await turns(async (row) => {
    if (!row.job.detector || row.pipelineMs.length >= counts.pipelineRuns) return false;
    const n = Math.min(CHUNK, counts.pipelineRuns - row.pipelineMs.length);
    const got = await /** @type {Engine} */ (row.engine).pipeline(row.job.key, n);
    row.pipelineMs.push(...got.ms);
    row.people = got.people;
    progress(n, `${row.job.key}: whole pipeline`);
    return row.pipelineMs.length < counts.pipelineRuns;
  });
  for (const row of rows) {
    if (row.engine) await row.engine.close(row.job.key).catch(() => {});
    if (!row.failed) show(row, row.ms.length ? (stopping ? "stopped" : "done") : "not run");
  }
}

/**
 * @param {Row} row
 * @returns {Run|null} its record, once it has a timed run
 */
function record(row) {
  const { job, ran, cold } = row;
  if (row.failed || !ran || !cold || !row.ms.length) return null;
  const sha256 = formFiles(job.variant, job.form)[0].sha256 ?? "";
  return {
    variant: job.variant.id, form: job.form, sha256, runtime: job.engine.runtime, runtime_version: ran.runtime_version,
    backend: ran.backend, threads: ran.threads, inference: summary(row.ms), warmup: row.warmed, cold,
    pipeline: job.detector && row.pipelineMs.length
      ? { ...summary(row.pipelineMs), detector: job.detector.id, people: row.people }
      : null,
  };
}

/** @type {{data: Uint8ClampedArray, width: number, height: number, what: string}} */
let image;
/** @type {Row[]} */
let rows = [];

async function run() {
  stopping = false;
  state.status = "running";
  state.result = null;
  state.failures = [];
  say("");
  $("share").hidden = true;
  $("start").disabled = true;
  $("stop").disabled = false;
  const counts = {
    runs: Math.max(1, Number($("runs").value) || 30), warmup: Math.max(0, Number($("warmup").value) || 0), chunk: CHUNK,
    pipelineRuns: PIPELINE_RUNS,
  };
  try {
    const chosenRuns = choices();
    const specs = engines(chosenRuns);
    const chosen = checked("model");
    const variants = runnableVariants(catalog).filter((v) => chosen.includes(v.id));
    if (!variants.length || !specs.length) throw new Error("pick at least one model and one runtime");
    image ??= await fixedImage();
    const tbody = $("results").tBodies[0];
    tbody.replaceChildren();
    /** @type {Row[][]} */
    const groups = variants.map((variant) => {
      let detector = null;
      try {
        detector = detectorOf(catalog, variant);
      } catch {
        detector = null; // no detector here: the model alone is timed
      }
      return jobsOf(variant, detector, specs, chosenRuns.int8).map((job) => {
          const tr = document.createElement("tr");
          tbody.append(tr);
          /** @type {Row} */
          const row = { job, tr, engine: null, ran: null, cold: null, ms: [], pipelineMs: [], people: 0, warmed: 0, failed: null };
          show(row, "queued");
          return row;
        });
    });
    rows = groups.flat();
    done = 0;
    total = rows.reduce((n, r) => n + stepsOf(r.job, counts), 0) || 1;
    progress(0, `Timing ${rows.length} runs of ${variants.length} models on ${image.what}…`);
    for (const group of groups) {
      if (stopping) break;
      await runVariant(group, counts);
    }
    finish(stopping ? "stopped" : "done");
  } catch (error) {
    state.status = "failed";
    state.error = line(error);
    say(state.error, "error");
  } finally {
    dropEngines();
    $("start").disabled = false;
    $("stop").disabled = true;
  }
}

/** @param {"done"|"stopped"} status */
function finish(status) {
  const runs = /** @type {Run[]} */ (rows.map(record).filter(Boolean));
  $("progress").value = status === "done" ? 1 : $("progress").value;
  const failed = state.failures.length ? `, ${state.failures.length} failed` : "";
  $("progress-text").textContent = `${status === "done" ? "Done" : "Stopped"}: ${runs.length} run${runs.length === 1 ? "" : "s"} measured${failed}.`;
  state.result = runs.length ? share(runs) : null;
  state.status = status;
}

/**
 * Shows the document to share, and keeps it in step with the device's name.
 * @param {Run[]} runs
 */
function share(runs) {
  const at = new Date();
  const make = () =>
    deviceResult({
      device, name: $("name").value, runs, at,
      tool: params.get("tool") === "cli" ? "posezoo bench-device" : "benchmark page",
      zoo: { builder: String(/** @type {any} */ (catalog).builder ?? "unknown"), schema_version: Number(/** @type {any} */ (catalog).schema), page: `${location.origin}${location.pathname}` },
    });
  const render = () => {
    const result = make();
    const text = fileText(result);
    $("file-name").textContent = `devices/${fileName(result)}`;
    $("json").textContent = text;
    const link = $("download");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = fileName(result);
    state.result = result;
    return result;
  };
  $("name").oninput = render;
  $("share").hidden = false;
  return render();
}

async function main() {
  [support, catalog] = await Promise.all([detectSupport(), loadCatalog(CATALOG_URL)]);
  device = await describeDevice(support);
  $("name").placeholder = defaultName(device);
  fillChoices();
  $("start").addEventListener("click", () => run());
  $("stop").addEventListener("click", () => {
    stopping = true;
    $("stop").disabled = true;
    $("progress-text").textContent = "Stopping after the runs under way…";
  });
  state.status = "ready";
  if (params.get("auto") === "1") await run();
}

main().catch((error) => {
  state.status = "failed";
  state.error = line(error);
  say(state.error, "error");
});
