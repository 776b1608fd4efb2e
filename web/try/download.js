// A model file's bytes: from Cache Storage when an earlier visit kept them (and their sha256
// still matches the catalog's), else fetched with progress and kept for the next visit.

export const CACHE_NAME = "posezoo-models";
const SHA_HEADER = "x-posezoo-sha256";

/**
 * @callback Progress
 * @param {number} received bytes so far
 * @param {number} total bytes expected (0 when unknown)
 */

/**
 * Whether Cache Storage can be used here (a secure context: https or localhost).
 * @returns {boolean}
 */
export function canCache() {
  return typeof caches !== "undefined" && globalThis.isSecureContext !== false;
}

/**
 * The bytes at `url` where Cache Storage holds them (with the catalog's sha256), else null:
 * nothing is downloaded.
 * @param {URL} url
 * @param {string} [sha256]
 * @returns {Promise<{bytes: Uint8Array, cached: boolean, ms: number}|null>}
 */
export async function cachedModel(url, sha256 = "") {
  const start = performance.now();
  const cache = canCache() ? await caches.open(CACHE_NAME).catch(() => null) : null;
  const hit = cache ? await cache.match(url.href) : undefined;
  if (!hit || (sha256 && hit.headers.get(SHA_HEADER) !== sha256)) return null;
  return { bytes: new Uint8Array(await hit.arrayBuffer()), cached: true, ms: performance.now() - start };
}

/**
 * The bytes at `url`, with where they came from and how long they took.
 * @param {URL} url a same-origin static file
 * @param {{sha256?: string, size?: number, onProgress?: Progress}} [options]
 * @returns {Promise<{bytes: Uint8Array, cached: boolean, ms: number}>}
 */
export async function fetchModel(url, { sha256 = "", size = 0, onProgress = () => {} } = {}) {
  const start = performance.now();
  const hit = await cachedModel(url, sha256);
  if (hit) {
    onProgress(hit.bytes.length, hit.bytes.length);
    return { ...hit, ms: performance.now() - start };
  }
  const cache = canCache() ? await caches.open(CACHE_NAME).catch(() => null) : null;
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  const total = Number(response.headers.get("content-length")) || size || 0;
  const bytes = await readWithProgress(response, total, onProgress);
  if (cache) {
    const headers = { "content-type": "application/octet-stream", [SHA_HEADER]: sha256 };
    await cache.put(url.href, new Response(bytes, { headers })).catch(() => {}); // a full disk only costs the next visit
  }
  return { bytes, cached: false, ms: performance.now() - start };
}

/**
 * A response's body, read chunk by chunk to report progress.
 * @param {Response} response
 * @param {number} total
 * @param {Progress} onProgress
 * @returns {Promise<Uint8Array<ArrayBuffer>>}
 */
async function readWithProgress(response, total, onProgress) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
