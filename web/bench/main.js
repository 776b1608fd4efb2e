// Entry point of the browser benchmark page: bench.html?engine=ort|tfjs&threads=N.
// It loads one engine with one thread count (both are global to an engine's wasm module) and
// exposes `window.bench` (load a model and run it once, step: time N runs, unload) for
// bench/browser_bench.py to drive over Playwright, which interleaves the engines run by run.

const params = new URLSearchParams(location.search);
const engine = params.get('engine') || 'ort';
const threads = Number(params.get('threads') || '1');

/**
 * @param {string} line
 */
function log(line) {
  const el = document.getElementById('log');
  if (el) el.textContent += `${line}\n`;
}

async function start() {
  const hardwareConcurrency = navigator.hardwareConcurrency; // before a runner changes it
  const runner = engine === 'tfjs' ? await import('./tfjs_runner.js') : await import('./ort_runner.js');
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
