// The Try-it page: wires the picker, the inputs, the browser runtimes and web/pose/pipeline.js
// together, draws every frame's poses and publishes them as window.posezooTry.
//
// Deep links: ?model=<variant-id> selects and loads it, &precision=int8 runs its int8 form
// (where it has one; on onnxruntime-web), &runtime=onnxruntime-web|litert.js|tfjs runs every
// stage that has that runtime's form on it (by default each stage runs on the build's choice,
// choice.js), &input=camera starts the camera, &input=sample runs it on the sample photo,
// &backend=wasm|webgpu and &threads=N choose the runtimes' backend and wasm threads.
// The only requests are this site's static files: catalog.json, the model files, the runtimes'.

import { estimate } from "../pose/pipeline.js";
import { detectorOf, fileUrl, hasInt8, int8Trade, loadCatalog, runnableVariants, variantLabel } from "./catalog.js";
import { defaultRuntime, downloadMiB, parseRuntime, planStages, runs, runtimesOf, stageFiles, stageText } from "./choice.js";
import { cachedModel, canCache, fetchModel } from "./download.js";
import { drawFrame, fillTable } from "./draw.js";
import { mib, size } from "./format.js";
import { listCameras, openImage, openSample, openVideo, startCamera, stopCamera } from "./inputs.js";
import { RUNTIMES, RUNTIME_IDS, loadRuntime, modelRunner } from "./runtimes/adapter.js";
import { Fps, Rolling, figure } from "./stats.js";
import { detectSupport, threadCount } from "./support.js";

/** @typedef {import("./runtimes/adapter.js").RuntimeId} RuntimeId */

/**
 * @typedef {object} StageState one model the page runs, and on what
 * @property {string} id the variant id
 * @property {"detector"|"model"} role
 * @property {RuntimeId} runtime
 * @property {string|null} version the runtime's version, where it says it
 * @property {import("./choice.js").Why} why catalog (the build's choice), unmeasured, asked, int8 or no-form
 * @property {string} form the key of `formats` it loads: onnx, onnx_int8, tflite or tfjs
 * @property {string} file its file, relative to catalog.json (a TFJS graph's model.json)
 * @property {string} url the file's URL
 * @property {string[]} files every file it loads (a TFJS graph's weights too)
 * @property {"wasm"|"webgpu"} backend what it runs on
 * @property {number} threads the runtime's wasm threads
 * @property {number} session_ms its session's creation
 */

/**
 * @typedef {object} Cold where the time from choosing a model to its first keypoints goes
 * @property {number|null} runtime_ms waiting for the runtimes to start (module, wasm, threads),
 *   alongside the download; about 0 where they were running already
 * @property {number|null} download_ms reading the model files (from the cache, or the network)
 * @property {number|null} session_ms creating the sessions, once runtime and files are there
 * @property {number|null} ready_ms from choosing the model to its sessions ready (runtimes started,
 *   files read, sessions made)
 * @property {number|null} first_inference_ms the first frame's time in the runtimes
 * @property {number|null} frame_ms the first frame's whole time: its inference, and the pixels'
 *   preprocessing, the decoding and the drawing around it
 * @property {number|null} keypoints_ms from choosing the model to its first poses drawn
 * @property {boolean} cached every file came from the browser's cache
 */

/**
 * @typedef {object} TryState what window.posezooTry shows after every frame
 * @property {string|null} model the variant id running
 * @property {import("./catalog.js").Precision} precision which form of it runs: "float" or "int8"
 * @property {string|null} file the file running it, relative to catalog.json (its stage's `file`)
 * @property {string|null} detector_file the detector's file, for a model behind one
 * @property {RuntimeId|null} runtime the runtime running the model
 * @property {RuntimeId|null} detector_runtime the runtime running its detector
 * @property {StageState[]} stages every model the page runs, detector first
 * @property {string} backend "wasm" or "webgpu": the backend asked for, once WebGPU is found or not
 * @property {number} threads wasm threads in use
 * @property {number|null} inference_ms median of the last 30 frames' time in the runtimes (both stages)
 * @property {import("../pose/poses.js").Pose[]} poses the last frame's poses, as pipeline.js returns them
 * @property {number|null} people how many of them are drawn (the page's "People"): see drawnPoses
 * @property {number} frames frames processed since the model loaded
 * @property {number|null} fps end-to-end frames per second
 * @property {Cold} cold
 * @property {{kind: string, width: number, height: number}|null} input what the last frame was ("camera",
 *   "video", "image" or "sample", the sample photo), and its size
 * @property {"starting"|"loading"|"ready"|"error"} status
 * @property {string|null} error
 */

const params = new URLSearchParams(location.search);
// Streamlit's st.iframe(height="content") sizes an inline frame to what its document posts so;
// the app's frame starts inline and comes here (catalog/app/try_page.py), so this page posts it
const FRAME_SIZE_MESSAGE = "streamlit:iframe:setSize";
const CATALOG_URL = new URL("../catalog.json", import.meta.url);
/** a choice in the picker that stays this long starts its runtimes */
const WARM_AFTER_MS = 250;
const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const ui = {
  model: $("model"), precision: $("precision"), runtime: $("runtime"), trade: $("int8-trade"), load: $("load"),
  size: $("model-size"), choice: $("runtime-choice"), progress: $("progress"), progressText: $("progress-text"),
  camera: $("camera"), cameraStart: $("camera-start"), cameraStop: $("camera-stop"), file: $("file"),
  sample: $("sample"), prompt: $("prompt"), promptCamera: $("prompt-camera"), promptSample: $("prompt-sample"),
  caption: $("sample-caption"),
  backend: $("backend"), threads: $("threads"), apply: $("apply"), runtimeNote: $("runtime-note"),
  threshold: $("threshold"), thresholdValue: $("threshold-value"), message: $("message"),
  canvas: $("canvas"), video: $("video"), keypoints: $("keypoints").tBodies[0],
};

/** @returns {Cold} */
const noCold = () => ({
  runtime_ms: null, download_ms: null, session_ms: null, ready_ms: null, first_inference_ms: null, frame_ms: null,
  keypoints_ms: null, cached: false,
});

/** @type {TryState} */
const state = {
  model: null, precision: "float", file: null, detector_file: null, runtime: null, detector_runtime: null, stages: [],
  backend: "wasm", threads: 1, inference_ms: null, poses: [], people: null, frames: 0, fps: null,
  cold: noCold(), input: null, status: "starting", error: null,
};
/** @type {any} */ (window).posezooTry = state;

/** the backend and wasm threads every runtime starts with (fixed once per page) */
let runtimeOptions = /** @type {import("./runtimes/adapter.js").LoadOptions} */ ({ backend: "wasm", threads: 1 });
/** @type {Map<string, import("./runtimes/adapter.js").Session>} */
const sessions = new Map();
/**
 * @type {{variant: any, detector: any, precision: string, asked: RuntimeId|null, chosenAt: number,
 *   runModel: import("../pose/pipeline.js").RunModel, timer: {ms: number}} | null}
 */
let loaded = null;
/** @type {import("./catalog.js").Catalog} */
let catalog;
/** @type {{kind: "none"|"camera"|"video"|"image", stream?: MediaStream|null, url?: string, bitmap?: ImageBitmap, sample?: boolean}} */
let source = { kind: "none" };
let loopToken = 0;
const inference = new Rolling(30);
const fps = new Fps(30);
const grab = document.createElement("canvas");
const grabCtx = /** @type {CanvasRenderingContext2D} */ (grab.getContext("2d", { willReadFrequently: true }));

/**
 * @param {string} text
 * @param {"info"|"error"} [kind]
 */
function say(text, kind = "info") {
  ui.message.hidden = !text;
  ui.message.textContent = text;
  ui.message.className = kind === "error" ? "error" : "";
}

/** @param {unknown} error */
function fail(error) {
  const text = error instanceof Error ? error.message : String(error);
  state.status = "error";
  state.error = text;
  say(text, "error");
  console.warn("posezoo try:", error);
}

// --------------------------------------------------------------------------- runtime

/** The backend and threads the runtimes will start with, and what this browser allows, said. */
async function setUpRuntime() {
  const support = await detectSupport();
  /** @type {"wasm"|"webgpu"} */
  let backend = params.get("backend") === "webgpu" ? "webgpu" : "wasm";
  const notes = [];
  if (backend === "webgpu" && !support.webgpu) {
    notes.push(`WebGPU is not available: ${support.webgpuWhy}; running on wasm.`);
    backend = "wasm";
  }
  if (backend === "webgpu") notes.push("WebGPU runs onnxruntime-web and LiteRT.js; TensorFlow.js stays on wasm.");
  const option = ui.backend.querySelector("option[value=webgpu]");
  option.disabled = !support.webgpu;
  if (!support.webgpu) option.textContent = "WebGPU (not available here)";
  const threads = threadCount(support, Number(params.get("threads")) || null);
  if (support.isolated) {
    notes.push(`Cross-origin isolated: wasm may use up to ${support.cores} threads.`);
  } else {
    notes.push(
      "Not cross-origin isolated (the server sends no COOP/COEP headers): wasm runs on 1 thread. " +
        "`posezoo preview` serves the site with them.",
    );
  }
  if (!support.webgpu && params.get("backend") !== "webgpu") notes.push(`WebGPU: ${support.webgpuWhy}.`);
  if (!canCache()) notes.push("No Cache Storage here (not a secure context): models download on every visit.");
  ui.backend.value = backend;
  ui.threads.value = String(threads);
  ui.threads.max = String(support.cores);
  ui.threads.disabled = !support.isolated;
  ui.runtimeNote.textContent = notes.join(" ");
  state.backend = backend;
  state.threads = threads;
  runtimeOptions = { backend, threads };
  $("backend-used").textContent = backend === "wasm" ? "wasm (SIMD)" : "WebGPU";
  $("threads-used").textContent = String(threads);
}

/** This page's address with `changes` made (null removes a parameter). @param {Record<string, string|null>} changes */
function linkWith(changes) {
  const next = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  return `?${next.toString()}`;
}

function applyRuntime() {
  const next = new URLSearchParams(location.search);
  next.set("backend", ui.backend.value);
  next.set("threads", ui.threads.value);
  if (loaded) next.set("model", loaded.variant.id);
  if (loaded?.precision === "int8") next.set("precision", "int8");
  if (loaded?.asked) next.set("runtime", loaded.asked);
  if (source.kind === "camera") next.set("input", "camera");
  if (source.sample) next.set("input", "sample");
  location.search = next.toString();
}

// --------------------------------------------------------------------------- models

function fillPicker() {
  const variants = runnableVariants(catalog);
  ui.model.replaceChildren(
    ...variants.map((v) => {
      const option = document.createElement("option");
      option.value = v.id;
      const detector = detectorOf(catalog, v);
      const int8 = hasInt8(v) ? downloadMiB(planStages(v, detector, { precision: "int8" })) : null;
      option.textContent = variantLabel(catalog, v, downloadMiB(planStages(v, detector)), int8);
      return option;
    }),
  );
  showSize();
}

function selectedVariant() {
  return runnableVariants(catalog).find((v) => v.id === ui.model.value) ?? null;
}

/** @returns {import("./catalog.js").Precision} the precision chosen, float where the variant has no int8 form */
function selectedPrecision() {
  const variant = selectedVariant();
  return ui.precision.value === "int8" && variant && hasInt8(variant) ? "int8" : "float";
}

/** @returns {RuntimeId|null} the runtime asked for (the picker's Runtime), null for each stage's default */
function selectedRuntime() {
  return parseRuntime(ui.runtime.value);
}

/** The stages the current choices run. */
function selectedStages() {
  const variant = selectedVariant();
  if (!variant) return [];
  return planStages(variant, detectorOf(catalog, variant), { precision: selectedPrecision(), asked: selectedRuntime() });
}

/** The Runtime choice for the selected variant: its default first, then every runtime with a form of it. */
function fillRuntimes() {
  const variant = selectedVariant();
  if (!variant) return;
  const asked = selectedRuntime();
  const { runtime, why } = defaultRuntime(variant);
  const lead = why === "catalog" ? "fastest measured" : "default";
  ui.runtime.replaceChildren(
    new Option(`${lead}: ${RUNTIMES[runtime].label}`, ""),
    ...RUNTIME_IDS.map((id) => {
      const has = runs(variant, id);
      const option = new Option(has ? RUNTIMES[id].label : `${RUNTIMES[id].label} (no ${RUNTIMES[id].format} form)`, id);
      option.disabled = !has;
      return option;
    }),
  );
  ui.runtime.value = asked && runs(variant, asked) ? asked : "";
}

/**
 * Which runtime runs each stage and why, the build's figures, and the other runtimes one click away.
 * @param {import("./choice.js").Stage[]} stages
 */
function showChoice(stages) {
  const variant = selectedVariant();
  if (!variant) return;
  const lines = stages.map((stage) => {
    const line = document.createElement("div");
    line.className = "stage-runtime";
    line.dataset.stage = stage.role;
    const name = document.createElement("strong");
    name.textContent = stage.role === "detector" ? `${stage.variant.id} (its person detector)` : stage.variant.id;
    line.append(name, ` ${stageText(stage)}`);
    return line;
  });
  const model = stages[stages.length - 1];
  const others = runtimesOf(variant).filter((id) => id !== model.runtime); // int8: the float form elsewhere
  const links = document.createElement("div");
  links.className = "alternatives";
  if (others.length || selectedRuntime()) links.append(stages.length > 1 ? "Run every stage on: " : "Run it on: ");
  /** @type {HTMLAnchorElement[]} */
  const anchors = others.map((id) => runtimeLink(RUNTIMES[id].label, id));
  if (selectedRuntime()) anchors.push(runtimeLink("the build's choice", null));
  anchors.forEach((a, i) => links.append(...(i ? [", ", a] : [a])));
  ui.choice.replaceChildren(...lines, ...(anchors.length ? [links] : []));
}

/**
 * A link to this model on `runtime` (null: each stage's default); a click runs it in this page.
 * @param {string} text
 * @param {RuntimeId|null} runtime
 */
function runtimeLink(text, runtime) {
  const a = document.createElement("a");
  const int8 = runtime && runtime !== "onnxruntime-web" ? null : ui.precision.value === "int8" ? "int8" : null;
  a.href = linkWith({ model: ui.model.value, runtime, precision: int8 });
  a.textContent = text;
  a.dataset.runtime = runtime ?? "";
  a.addEventListener("click", (event) => {
    event.preventDefault();
    if (runtime && runtime !== "onnxruntime-web") ui.precision.value = "float"; // int8 runs on onnxruntime-web only
    ui.runtime.value = runtime ?? "";
    showSize();
    loadModel();
  });
  return a;
}

/** The size to download, the int8 choice (offered where the variant has an int8 form) and its trade, the runtimes. */
function showSize() {
  const variant = selectedVariant();
  if (!variant) return;
  const int8 = /** @type {HTMLOptionElement} */ (ui.precision.querySelector("option[value=int8]"));
  int8.disabled = !hasInt8(variant);
  int8.textContent = hasInt8(variant) ? "int8" : "int8 (none for this model)";
  if (int8.disabled) ui.precision.value = "float";
  ui.trade.textContent = int8Trade(variant);
  fillRuntimes();
  const detector = detectorOf(catalog, variant);
  const precision = selectedPrecision();
  const stages = selectedStages();
  const downloads = size(downloadMiB(stages));
  const form = precision === "int8" ? "int8 " : "";
  const topDown = variant.use?.mode === "top-down";
  ui.size.textContent = !detector
    ? `Downloads ${downloads}${form ? " (the int8 form)" : ""}.`
    : topDown
      ? `Downloads ${downloads}: the ${variant.id} ${form}model and ${detector.id} (float), whose people it runs on, one crop each.`
      : `Downloads ${downloads}: the ${variant.id} ${form}model and its float detector, ${detector.id}.`;
  showChoice(stages);
}

/**
 * The bytes of every file of every stage, read alongside each other (from the cache, or the
 * network with the progress bar), each stage's in order.
 * @param {import("./catalog.js").ModelFile[][]} files
 * @returns {Promise<{parts: import("./runtimes/adapter.js").ModelPart[], cached: boolean}>[]}
 */
function readFiles(files) {
  const total = files.flat().reduce((n, f) => n + (f.size_bytes || 0), 0);
  /** @type {Map<string, number>} */
  const received = new Map();
  const progress = () => {
    const got = [...received.values()].reduce((a, b) => a + b, 0);
    ui.progress.value = total ? Math.min(1, got / total) : 0;
    ui.progressText.textContent = `Reading the model: ${mib(got / 2 ** 20)} of ${size(total / 2 ** 20)}`;
  };
  ui.progress.hidden = false;
  ui.progress.value = 0;
  return files.map(async (list) => {
    const got = await Promise.all(
      list.map(async (file) => {
        const url = fileUrl(file.path, CATALOG_URL);
        const early = await (prefetched.get(url.href) ?? null);
        if (early) return early;
        return fetchModel(url, {
          sha256: file.sha256,
          size: file.size_bytes,
          onProgress: (bytes) => {
            received.set(file.path, bytes);
            progress();
          },
        });
      }),
    );
    return { parts: got.map((g, i) => ({ path: list[i].path, bytes: g.bytes })), cached: got.every((g) => g.cached) };
  });
}

/**
 * Reads (or takes from the cache) the chosen variant's files and its detector's while their
 * runtimes start, and makes their sessions; each part of the cold start timed.
 */
async function loadModel() {
  const variant = selectedVariant();
  if (!variant) return;
  const chosenAt = performance.now();
  clearTimeout(warmTimer); // loading now: no warming after
  const precision = selectedPrecision();
  const asked = selectedRuntime();
  const token = ++loopToken; // stops the frame loop while the model changes
  state.status = "loading";
  state.error = null;
  say("");
  ui.load.disabled = true;
  try {
    const detector = detectorOf(catalog, variant);
    const stages = planStages(variant, detector, { precision, asked });
    const files = stageFiles(stages);
    for (const old of sessions.values()) await old.release();
    sessions.clear();
    loaded = null;
    // the runtimes start while the files are read: neither waits for the other
    const ids = [...new Set(stages.map((s) => s.runtime))];
    const starting = new Map(ids.map((id) => [id, loadRuntime(id, runtimeOptions)]));
    const runtimesReady = Promise.all(starting.values()).then(() => performance.now() - chosenAt);
    const reads = readFiles(files);
    const downloaded = Promise.all(reads).then(() => performance.now() - chosenAt);
    runtimesReady.catch(() => {}); // awaited below, stage by stage
    downloaded.catch(() => {});
    /** @type {StageState[]} */
    const stageStates = [];
    let sessionMs = 0;
    for (const [i, stage] of stages.entries()) {
      const label = RUNTIMES[stage.runtime].label;
      const runtime = await /** @type {Promise<import("./runtimes/adapter.js").Runtime>} */ (
        starting.get(stage.runtime)
      ).catch((error) => {
        throw new Error(`${label} did not start: ${error instanceof Error ? error.message : error}`);
      });
      const { parts } = await reads[i];
      ui.progressText.textContent = `${stage.variant.id}: creating the ${label} session…`;
      const start = performance.now();
      const session = await runtime.createSession(parts);
      const ms = performance.now() - start;
      sessionMs += ms;
      sessions.set(stage.variant.id, session);
      stageStates.push({
        id: stage.variant.id, role: stage.role, runtime: stage.runtime, version: runtime.version, why: stage.why,
        form: stage.form, file: files[i][0].path, url: fileUrl(files[i][0].path, CATALOG_URL).href,
        files: files[i].map((f) => f.path), backend: session.backend, threads: runtime.threads, session_ms: ms,
      });
    }
    const cached = (await Promise.all(reads)).every((r) => r.cached);
    const runtimeMs = await runtimesReady;
    const downloadMs = await downloaded;
    ui.progress.value = 1;
    const form = precision === "int8" ? " (int8)" : "";
    ui.progressText.textContent = `${variant.id}${form} ready${cached ? " (from the browser's cache)" : ""}.`;
    const { runModel, timer } = modelRunner(sessions);
    loaded = { variant, detector, precision, asked, chosenAt, runModel, timer };
    const model = stageStates[stageStates.length - 1];
    const first = stageStates[0];
    Object.assign(state, { model: variant.id, inference_ms: null, poses: [], people: null, frames: 0, fps: null });
    Object.assign(state, {
      precision,
      file: model.file,
      detector_file: detector ? first.file : null,
      runtime: model.runtime,
      detector_runtime: detector ? first.runtime : null,
      stages: stageStates,
      backend: model.backend,
      threads: model.threads,
    });
    state.cold = {
      runtime_ms: runtimeMs, download_ms: downloadMs, session_ms: sessionMs, ready_ms: performance.now() - chosenAt,
      first_inference_ms: null, frame_ms: null, keypoints_ms: null, cached,
    };
    state.status = "ready";
    inference.clear();
    fps.clear();
    showFigures();
    const url = new URL(location.href);
    url.searchParams.set("model", variant.id);
    if (precision === "int8") url.searchParams.set("precision", "int8");
    else url.searchParams.delete("precision");
    if (asked) url.searchParams.set("runtime", asked);
    else url.searchParams.delete("runtime");
    history.replaceState(null, "", url);
  } catch (error) {
    fail(error);
  } finally {
    ui.load.disabled = false;
  }
  if (token === loopToken) restartSource();
}

/** The runtimes, backend and threads in use and the cold start's parts, as loadModel left them. */
function showFigures() {
  const model = state.stages[state.stages.length - 1];
  const detector = state.stages.length > 1 ? state.stages[0] : null;
  $("runtime-used").textContent = RUNTIMES[model.runtime].label;
  // a detector on another runtime gets a row of its own
  const other = detector !== null && detector.runtime !== model.runtime;
  $("detector-runtime-label").hidden = $("detector-runtime-used").hidden = !other;
  $("detector-runtime-used").textContent = other ? RUNTIMES[detector.runtime].label : "";
  $("backend-used").textContent = model.backend === "wasm" ? "wasm (SIMD)" : "WebGPU";
  $("threads-used").textContent = String(model.threads);
  const { cold } = state;
  const running = (cold.runtime_ms ?? 0) < 1;
  $("runtime-ms").textContent = running ? "running already" : `${figure(cold.runtime_ms, 0)} ms`;
  $("download-ms").textContent = `${figure(cold.download_ms, 0)} ms${cold.cached ? " (cached)" : ""}`;
  $("session-ms").textContent = `${figure(cold.session_ms, 0)} ms`;
  $("first-ms").textContent = "—";
  $("keypoints-ms").textContent = "—";
}

let warmTimer = 0;
/** the picker's choice's files that Cache Storage holds, read ahead by URL (null: not cached) */
const prefetched = /** @type {Map<string, Promise<{bytes: Uint8Array, cached: boolean, ms: number}|null>>} */ (new Map());

/**
 * Starts the runtimes the picker's choice runs on, and reads its files where the browser's cache
 * holds them, once the choice has stayed a moment: both are then done (or on their way) when the
 * model is loaded. Nothing is downloaded before the model is loaded; a runtime no chosen model
 * runs on is never loaded; a failure is said when the model loads.
 */
function warmSoon() {
  clearTimeout(warmTimer);
  warmTimer = setTimeout(() => {
    const stages = selectedStages();
    for (const id of new Set(stages.map((s) => s.runtime))) {
      loadRuntime(id, runtimeOptions).catch(() => {});
    }
    const files = stageFiles(stages).flat();
    const wanted = new Set(files.map((f) => fileUrl(f.path, CATALOG_URL).href));
    for (const url of prefetched.keys()) if (!wanted.has(url)) prefetched.delete(url);
    for (const file of files) {
      const url = fileUrl(file.path, CATALOG_URL);
      if (!prefetched.has(url.href)) prefetched.set(url.href, cachedModel(url, file.sha256).catch(() => null));
    }
  }, WARM_AFTER_MS);
}

/** Loads the model the picker shows unless it is the one running; false where none runs after. */
async function useChosenModel() {
  const variant = selectedVariant();
  const same =
    loaded && loaded.variant.id === variant?.id && loaded.precision === selectedPrecision() && loaded.asked === selectedRuntime();
  if (!same) await loadModel();
  return loaded !== null;
}

// --------------------------------------------------------------------------- frames

/**
 * One frame through the model: its pixels, the poses, the drawing and the figures.
 * @param {CanvasImageSource} image
 * @param {number} width
 * @param {number} height
 */
async function processFrame(image, width, height) {
  showPicture();
  if (!loaded) {
    drawFrame(ui.canvas, image, width, height, [], [], 1);
    return;
  }
  if (grab.width !== width || grab.height !== height) {
    grab.width = width;
    grab.height = height;
  }
  const frameStart = performance.now();
  grabCtx.drawImage(image, 0, 0, width, height);
  const pixels = grabCtx.getImageData(0, 0, width, height);
  const { variant, detector, runModel, timer, chosenAt } = loaded;
  timer.ms = 0;
  const poses = await estimate(runModel, variant, detector, pixels);
  if (loaded?.variant !== variant) return; // the model changed meanwhile
  inference.push(timer.ms);
  fps.tick(performance.now());
  state.poses = poses;
  state.input = { kind: source.sample ? "sample" : source.kind, width, height };
  state.frames += 1;
  state.inference_ms = inference.median();
  state.fps = fps.value();
  lastFrame = { image, width, height };
  redraw();
  $("inference-ms").textContent = `${figure(state.inference_ms)} ms`;
  $("fps").textContent = figure(state.fps);
  if (state.cold.first_inference_ms == null) {
    const now = performance.now();
    Object.assign(state.cold, { first_inference_ms: timer.ms, frame_ms: now - frameStart, keypoints_ms: now - chosenAt });
    $("first-ms").textContent = `${figure(timer.ms, 0)} ms`;
    $("keypoints-ms").textContent = `${figure(state.cold.keypoints_ms, 0)} ms`;
  }
}

/** The canvas in place of the prompt, from the first picture on. */
function showPicture() {
  ui.prompt.hidden = true;
  ui.canvas.hidden = false;
}

/** @type {{image: CanvasImageSource, width: number, height: number} | null} */
let lastFrame = null;

function threshold() {
  return Number(ui.threshold.value);
}

/**
 * The people drawn: where the model finds several, those whose person score reaches the threshold
 * (a multi-person model's own, or the detector's where a single-person model runs behind one:
 * that model's keypoints are thresholded one by one); a single-person model alone draws its one pose.
 * @param {number} t the score threshold
 */
function drawnPoses(t) {
  const several = loaded?.variant.use?.mode === "whole-frame" || loaded?.detector;
  return several ? state.poses.filter((p) => (p.detection?.score ?? p.score) >= t) : state.poses;
}

/** Draws the last frame's poses again (the threshold changed, or a new frame came), and counts them. */
function redraw() {
  if (!lastFrame) return;
  const t = threshold();
  const shown = drawnPoses(t);
  drawFrame(ui.canvas, lastFrame.image, lastFrame.width, lastFrame.height, shown, loaded?.variant.keypoints.skeleton ?? [], t);
  fillTable(ui.keypoints, shown[0], t);
  state.people = shown.length;
  $("people").textContent = String(shown.length);
}

/** Runs the model on every frame of the playing video (camera or file) until the source changes. */
async function videoLoop() {
  const token = ++loopToken;
  const video = ui.video;
  while (token === loopToken && (source.kind === "camera" || source.kind === "video")) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (token !== loopToken) break;
    if (video.readyState < 2 || !video.videoWidth) continue;
    try {
      await processFrame(video, video.videoWidth, video.videoHeight);
    } catch (error) {
      fail(error);
      break;
    }
  }
}

function restartSource() {
  if (source.kind === "camera" || source.kind === "video") videoLoop();
  else if (source.kind === "image" && source.bitmap) runImage(source.bitmap);
}

/** @param {ImageBitmap} bitmap */
async function runImage(bitmap) {
  ++loopToken;
  try {
    await processFrame(bitmap, bitmap.width, bitmap.height);
  } catch (error) {
    fail(error);
  }
}

function stopSource() {
  ++loopToken;
  if (source.kind === "camera") stopCamera(ui.video, source.stream ?? null);
  if (source.kind === "video") {
    stopCamera(ui.video, null);
    ui.video.removeAttribute("src");
    if (source.url) URL.revokeObjectURL(source.url);
  }
  source = { kind: "none" };
  ui.cameraStop.disabled = true;
  ui.caption.hidden = true;
}

async function startCameraInput() {
  stopSource();
  try {
    const stream = await startCamera(ui.video, ui.camera.value);
    source = { kind: "camera", stream };
    ui.cameraStop.disabled = false;
    await fillCameras();
    videoLoop();
  } catch (error) {
    fail(new Error(`The camera did not start: ${error instanceof Error ? error.message : error}`));
  }
}

async function fillCameras() {
  const chosen = ui.camera.value;
  const cameras = await listCameras().catch(() => []);
  ui.camera.replaceChildren(
    new Option("default camera", ""),
    ...cameras.map((c, i) => new Option(c.label || `camera ${i + 1}`, c.deviceId)),
  );
  ui.camera.value = cameras.some((c) => c.deviceId === chosen) ? chosen : "";
}

/** Runs the chosen model on the sample photo, or says in one line why there is none. */
/** @param {ReturnType<typeof openSample>|null} [opening] the photo, when its opening started already */
async function trySample(opening = null) {
  stopSource();
  const photo = opening ?? openSample(); // alongside the model's load
  if (!(await useChosenModel())) return;
  const sample = await photo;
  if ("problem" in sample) {
    say(`No sample photo here: ${sample.problem.replace(/\.$/, "")}.`);
    return;
  }
  source = { kind: "image", bitmap: sample.bitmap, sample: true };
  ui.caption.textContent = sample.caption;
  ui.caption.hidden = false;
  await runImage(sample.bitmap);
}

/** @param {File} file */
async function openFile(file) {
  stopSource();
  try {
    if (file.type.startsWith("video/")) {
      const url = await openVideo(ui.video, file);
      source = { kind: "video", url };
      videoLoop();
    } else {
      const bitmap = await openImage(file);
      source = { kind: "image", bitmap };
      await runImage(bitmap);
    }
  } catch (error) {
    fail(new Error(`${file.name} could not be opened: ${error instanceof Error ? error.message : error}`));
  }
}

// --------------------------------------------------------------------------- start

/** Embedded (?embed=1) in a frame: tells the frame's page this page's size whenever it changes. */
function postSizeToFrame() {
  if (!params.has("embed") || window.parent === window) return;
  const page = document.documentElement;
  const post = () => {
    // the page's own height, not scrollHeight: that is at least the frame's, so the frame could never shrink
    const size = { width: page.clientWidth, height: Math.ceil(page.getBoundingClientRect().height) };
    window.parent.postMessage({ type: FRAME_SIZE_MESSAGE, ...size }, "*");
  };
  new ResizeObserver(post).observe(page);
}

async function main() {
  postSizeToFrame();
  ui.load.addEventListener("click", () => loadModel());
  ui.model.addEventListener("change", () => {
    ui.runtime.value = ""; // a new model starts on its own default
    showSize();
    warmSoon();
  });
  for (const choice of [ui.precision, ui.runtime]) {
    choice.addEventListener("change", () => {
      showSize();
      warmSoon();
    });
  }
  const camera = async () => {
    const model = useChosenModel(); // the camera starts alongside: its frames show until the model runs
    await startCameraInput();
    await model;
  };
  ui.cameraStart.addEventListener("click", camera);
  ui.promptCamera.addEventListener("click", camera);
  ui.sample.addEventListener("click", () => trySample());
  ui.promptSample.addEventListener("click", () => trySample());
  ui.cameraStop.addEventListener("click", () => stopSource());
  ui.file.addEventListener("change", () => ui.file.files?.[0] && openFile(ui.file.files[0]));
  ui.apply.addEventListener("click", applyRuntime);
  ui.threshold.addEventListener("input", () => {
    ui.thresholdValue.value = threshold().toFixed(2);
    redraw();
  });
  try {
    await setUpRuntime();
    catalog = await loadCatalog(CATALOG_URL);
    fillPicker();
    await fillCameras();
  } catch (error) {
    fail(error);
    return;
  }
  const wanted = params.get("model");
  state.status = "ready";
  // the photo opens and the camera starts alongside the model's load
  const opening = params.get("input") === "sample" && wanted ? openSample() : null;
  const cameraStarting = params.get("input") === "camera" ? startCameraInput() : null;
  if (wanted) {
    if (!runnableVariants(catalog).some((v) => v.id === wanted)) {
      fail(new Error(`No variant ${wanted} with an ONNX file in this catalog.`));
    } else {
      ui.model.value = wanted;
      const variant = /** @type {any} */ (selectedVariant());
      const noInt8 = params.get("precision") === "int8" && !hasInt8(variant);
      if (params.get("precision") === "int8" && !noInt8) ui.precision.value = "int8";
      const asked = parseRuntime(params.get("runtime"));
      ui.runtime.value = asked ?? "";
      showSize();
      await loadModel();
      // loadModel() may have set "error" since the "ready" above
      const status = /** @type {TryState["status"]} */ (state.status);
      const notes = [];
      if (noInt8) notes.push(`${int8Trade(variant)} Running the float form.`);
      if (params.get("runtime") && !asked) {
        notes.push(`No runtime ${params.get("runtime")} here (${RUNTIME_IDS.join(", ")}): running each stage's default.`);
      } else if (asked && !runs(variant, asked)) {
        notes.push(`${RUNTIMES[asked].label} has no form of ${variant.id} (no ${RUNTIMES[asked].format} file): running each stage's default.`);
      }
      if (notes.length && status !== "error") say(notes.join(" "));
    }
  }
  await cameraStarting;
  const loadedFine = /** @type {TryState["status"]} */ (state.status) !== "error";
  if (params.get("input") === "sample" && loadedFine) await trySample(opening);
}

main();
