// The Try-it page: wires the picker, the inputs, onnxruntime-web and web/pose/pipeline.js
// together, draws every frame's poses and publishes them as window.posezooTry.
//
// Deep links: ?model=<variant-id> selects and loads it, &precision=int8 runs its int8 form
// (where it has one), &input=camera starts the camera, &input=sample runs it on the sample photo,
// &backend=wasm|webgpu and &threads=N choose onnxruntime-web's backend and wasm threads.
// The only requests are this site's static files: catalog.json, the ONNX files, ort's runtime.

import { estimate } from "../pose/pipeline.js";
import {
  detectorOf,
  downloadMiB,
  hasInt8,
  int8Trade,
  loadCatalog,
  modelUrl,
  onnxFile,
  runnableVariants,
  variantLabel,
} from "./catalog.js";
import { canCache, fetchModel } from "./download.js";
import { drawFrame, fillTable } from "./draw.js";
import { mib, size } from "./format.js";
import { listCameras, openImage, openSample, openVideo, startCamera, stopCamera } from "./inputs.js";
import { createSession, detectSupport, loadOrt, modelRunner, sessionOptions, threadCount } from "./runtime.js";
import { Fps, Rolling, figure } from "./stats.js";

/**
 * @typedef {object} TryState what window.posezooTry shows after every frame
 * @property {string|null} model the variant id running
 * @property {import("./catalog.js").Precision} precision which ONNX form of it runs: "float" or "int8"
 * @property {string|null} file the ONNX file running it, relative to catalog.json (formats.onnx.path or
 *   formats.onnx_int8.path; a two-stage model's detector runs its float file, detector_file)
 * @property {string|null} detector_file the detector's ONNX file, for a two-stage model
 * @property {string} backend "wasm" or "webgpu"
 * @property {number} threads wasm threads in use
 * @property {number|null} inference_ms median of the last 30 frames' session.run time (both stages)
 * @property {import("../pose/poses.js").Pose[]} poses the last frame's poses, as pipeline.js returns them
 * @property {number|null} people how many of them are drawn (the page's "People"): see drawnPoses
 * @property {number} frames frames processed since the model loaded
 * @property {number|null} fps end-to-end frames per second
 * @property {{download_ms: number|null, session_ms: number|null, first_inference_ms: number|null, cached: boolean}} cold
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
const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const ui = {
  model: $("model"), precision: $("precision"), trade: $("int8-trade"), load: $("load"), size: $("model-size"),
  progress: $("progress"), progressText: $("progress-text"),
  camera: $("camera"), cameraStart: $("camera-start"), cameraStop: $("camera-stop"), file: $("file"),
  sample: $("sample"), prompt: $("prompt"), promptCamera: $("prompt-camera"), promptSample: $("prompt-sample"),
  caption: $("sample-caption"),
  backend: $("backend"), threads: $("threads"), apply: $("apply"), runtimeNote: $("runtime-note"),
  threshold: $("threshold"), thresholdValue: $("threshold-value"), message: $("message"),
  canvas: $("canvas"), video: $("video"), keypoints: $("keypoints").tBodies[0],
};

/** @type {TryState} */
const state = {
  model: null, precision: "float", file: null, detector_file: null,
  backend: "wasm", threads: 1, inference_ms: null, poses: [], people: null, frames: 0, fps: null,
  cold: { download_ms: null, session_ms: null, first_inference_ms: null, cached: false },
  input: null, status: "starting", error: null,
};
/** @type {any} */ (window).posezooTry = state;

let ort = /** @type {any} */ (null);
/** the session options of session-options.json, read once */
let options = /** @type {object|null} */ (null);
/** @type {Map<string, any>} */
const sessions = new Map();
/** @type {{variant: any, detector: any, precision: string, runModel: any, timer: {ms: number}} | null} */
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

async function setUpRuntime() {
  const support = await detectSupport();
  let backend = params.get("backend") === "webgpu" ? "webgpu" : "wasm";
  const notes = [];
  if (backend === "webgpu" && !support.webgpu) {
    notes.push(`WebGPU is not available: ${support.webgpuWhy}; running on wasm.`);
    backend = "wasm";
  }
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
  ort = await loadOrt(/** @type {"wasm"|"webgpu"} */ (backend), threads);
  options ??= await sessionOptions();
  $("backend-used").textContent = backend === "wasm" ? "wasm (SIMD)" : "WebGPU";
  $("threads-used").textContent = String(threads);
}

function applyRuntime() {
  const next = new URLSearchParams(location.search);
  next.set("backend", ui.backend.value);
  next.set("threads", ui.threads.value);
  if (loaded) next.set("model", loaded.variant.id);
  if (loaded?.precision === "int8") next.set("precision", "int8");
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
      option.textContent = variantLabel(catalog, v);
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

/** The size to download, the int8 choice (offered where the variant has an int8 form) and its trade. */
function showSize() {
  const variant = selectedVariant();
  if (!variant) return;
  const int8 = /** @type {HTMLOptionElement} */ (ui.precision.querySelector("option[value=int8]"));
  int8.disabled = !hasInt8(variant);
  int8.textContent = hasInt8(variant) ? "int8" : "int8 (none for this model)";
  if (int8.disabled) ui.precision.value = "float";
  ui.trade.textContent = int8Trade(variant);
  const detector = detectorOf(catalog, variant);
  const precision = selectedPrecision();
  const downloads = size(downloadMiB(variant, detector, precision));
  const form = precision === "int8" ? "int8 " : "";
  const topDown = variant.use?.mode === "top-down";
  ui.size.textContent = !detector
    ? `Downloads ${downloads}${form ? " (the int8 form)" : ""}.`
    : topDown
      ? `Downloads ${downloads}: the ${variant.id} ${form}model and ${detector.id} (float), whose people it runs on, one crop each.`
      : `Downloads ${downloads}: the ${variant.id} ${form}model and its float detector, ${detector.id}.`;
}

/** Downloads (or takes from the cache) the chosen variant and its detector, and makes their sessions. */
async function loadModel() {
  const variant = selectedVariant();
  if (!variant) return;
  const precision = selectedPrecision();
  const token = ++loopToken; // stops the frame loop while the model changes
  state.status = "loading";
  state.error = null;
  say("");
  ui.load.disabled = true;
  try {
    const detector = detectorOf(catalog, variant);
    const stages = detector ? [detector, variant] : [variant];
    // the variant at the chosen precision; a detector always float, as the build measured the pair
    const fileOf = (/** @type {any} */ stage) => (stage === variant ? precision : "float");
    const total = stages.reduce((n, v) => n + (onnxFile(v, fileOf(v)).size_bytes || 0), 0);
    ui.progress.hidden = false;
    ui.progress.value = 0;
    let done = 0;
    let downloadMs = 0;
    let sessionMs = 0;
    let cached = true;
    for (const old of sessions.values()) await old.release?.();
    sessions.clear();
    loaded = null;
    for (const stage of stages) {
      const onnx = onnxFile(stage, fileOf(stage));
      const got = await fetchModel(modelUrl(stage, CATALOG_URL, fileOf(stage)), {
        sha256: onnx.sha256,
        size: onnx.size_bytes,
        onProgress: (received) => {
          ui.progress.value = total ? Math.min(1, (done + received) / total) : 0;
          ui.progressText.textContent = `${stage.id}: ${mib(received / 2 ** 20)} of ${size(onnx.size_bytes / 2 ** 20)}`;
        },
      });
      done += got.bytes.length;
      downloadMs += got.ms;
      cached &&= got.cached;
      ui.progressText.textContent = `${stage.id}: creating the session…`;
      const start = performance.now();
      sessions.set(stage.id, await createSession(ort, /** @type {any} */ (state.backend), got.bytes, options ?? {}));
      sessionMs += performance.now() - start;
    }
    ui.progress.value = 1;
    const form = precision === "int8" ? " (int8)" : "";
    ui.progressText.textContent = `${variant.id}${form} ready${cached ? " (from the browser's cache)" : ""}.`;
    const { runModel, timer } = modelRunner(ort, sessions);
    loaded = { variant, detector, precision, runModel, timer };
    Object.assign(state, { model: variant.id, inference_ms: null, poses: [], people: null, frames: 0, fps: null });
    state.status = "ready";
    Object.assign(state, {
      precision,
      file: onnxFile(variant, precision).path,
      detector_file: detector ? onnxFile(detector).path : null,
    });
    state.cold = { download_ms: downloadMs, session_ms: sessionMs, first_inference_ms: null, cached };
    inference.clear();
    fps.clear();
    $("download-ms").textContent = `${figure(downloadMs, 0)} ms${cached ? " (cached)" : ""}`;
    $("session-ms").textContent = `${figure(sessionMs, 0)} ms`;
    $("first-ms").textContent = "—";
    const url = new URL(location.href);
    url.searchParams.set("model", variant.id);
    if (precision === "int8") url.searchParams.set("precision", "int8");
    else url.searchParams.delete("precision");
    history.replaceState(null, "", url);
  } catch (error) {
    fail(error);
  } finally {
    ui.load.disabled = false;
  }
  if (token === loopToken) restartSource();
}

/** Loads the model the picker shows unless it is the one running; false where none runs after. */
async function useChosenModel() {
  const variant = selectedVariant();
  if (!loaded || loaded.variant.id !== variant?.id || loaded.precision !== selectedPrecision()) await loadModel();
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
  grabCtx.drawImage(image, 0, 0, width, height);
  const pixels = grabCtx.getImageData(0, 0, width, height);
  const { variant, detector, runModel, timer } = loaded;
  timer.ms = 0;
  const poses = await estimate(runModel, variant, detector, pixels);
  if (loaded?.variant !== variant) return; // the model changed meanwhile
  inference.push(timer.ms);
  fps.tick(performance.now());
  if (state.cold.first_inference_ms == null) {
    state.cold.first_inference_ms = timer.ms;
    $("first-ms").textContent = `${figure(timer.ms, 0)} ms`;
  }
  state.poses = poses;
  state.input = { kind: source.sample ? "sample" : source.kind, width, height };
  state.frames += 1;
  state.inference_ms = inference.median();
  state.fps = fps.value();
  lastFrame = { image, width, height };
  redraw();
  $("inference-ms").textContent = `${figure(state.inference_ms)} ms`;
  $("fps").textContent = figure(state.fps);
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
  const several = loaded?.variant.decode === "movenet-multipose" || loaded?.detector;
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
async function trySample() {
  stopSource();
  if (!(await useChosenModel())) return;
  const sample = await openSample();
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
  ui.model.addEventListener("change", showSize);
  ui.precision.addEventListener("change", showSize);
  const camera = async () => (await useChosenModel(), startCameraInput());
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
  if (wanted) {
    if (!runnableVariants(catalog).some((v) => v.id === wanted)) {
      fail(new Error(`No variant ${wanted} with an ONNX file in this catalog.`));
    } else {
      ui.model.value = wanted;
      const variant = /** @type {any} */ (selectedVariant());
      const noInt8 = params.get("precision") === "int8" && !hasInt8(variant);
      if (params.get("precision") === "int8" && !noInt8) ui.precision.value = "int8";
      showSize();
      await loadModel();
      // loadModel() may have set "error" since the "ready" above
      const status = /** @type {TryState["status"]} */ (state.status);
      if (noInt8 && status !== "error") say(`${int8Trade(variant)} Running the float form.`);
    }
  }
  if (params.get("input") === "camera") await startCameraInput();
  const loadedFine = /** @type {TryState["status"]} */ (state.status) !== "error";
  if (params.get("input") === "sample" && loadedFine) await trySample();
}

main();
