// Entry point of the browser benchmark page: bench.html?engine=ort|litert|tfjs&threads=N.
// It loads one engine with one thread count (both are global to an engine's wasm module) and
// exposes `window.bench` (load: a model under a key, run once; step: time N runs of a key's
// model; unload: a key's) for catalog/measure/browser.py to drive over Playwright, which
// interleaves a variant's forms and engines run by run.

const params = new URLSearchParams(location.search);
const engine = params.get('engine') || 'ort';
const threads = Number(params.get('threads') || '1');
/** @type {Record<string, string>} each engine's runner module */
const RUNNERS = { ort: './ort_runner.js', litert: './litert_runner.js', tfjs: './tfjs_runner.js' };

/**
 * @param {string} line
 */
function log(line) {
  const el = document.getElementById('log');
  if (el) el.textContent += `${line}\n`;
}

async function start() {
  const hardwareConcurrency = navigator.hardwareConcurrency; // before a runner changes it
  const runner = await import(RUNNERS[engine] ?? './ort_runner.js');
  const info = await runner.init(threads);
  const page = {
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency,
    userAgent: navigator.userAgent,
    visibilityState: document.visibilityState,
  };
  log(JSON.stringify({ info, page }));
  /** @type {any} */ (window).bench = {
    info: { ...info, ...page },
    load: runner.load,
    step: runner.step,
    unload: runner.unload,
  };
}

start().then(
  () => { /** @type {any} */ (window).benchReady = true; },
  (e) => { /** @type {any} */ (window).benchError = String(e && e.stack || e); log(String(e)); },
);
