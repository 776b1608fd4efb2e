// The zoo as the Try-it page sees it: catalog.json's variants that can run here (an ONNX form,
// role "model"), their detectors, the files of each form (ONNX float or int8, TFLite, TFJS) and
// their URLs, and the int8 form's trade.

import { TRADE_LEAD, size, trade } from "./format.js";

/**
 * @typedef {{path: string, size_bytes: number, size_mib?: number, sha256?: string, inputs?: {shape: any[]}[],
 *   files?: {path: string, size_bytes: number, sha256?: string}[], browser_latency?: BrowserLatency[]|null}} FormRecord
 *   a form's record (`formats.<form>`): a TFJS graph's also lists its files, model.json and weights
 * @typedef {{runtime: string, threads: number, median_ms: number, backend?: string}} BrowserLatency one
 *   runtime x thread count the build timed the form on
 * @typedef {{runtime: string, format: string, threads: number, median_ms: number, runner_up?: string|null,
 *   runner_up_ms?: number|null}} BrowserChoice the build's choice of browser runtime: the fastest it measured
 * @typedef {{path: string, size_bytes: number, sha256?: string}} ModelFile one file a form loads
 * @typedef {"float"|"int8"} Precision which ONNX form runs: `formats.onnx`, or its int8 form `formats.onnx_int8`
 * @typedef {{format: string|null, reason?: string|null, size_ratio?: number|null, cpu_latency_ratio?: number|null,
 *   browser_latency_ratio?: number|null, browser_threads?: number|null, mean_drift?: number|null,
 *   max_drift?: number|null}} Int8 the variant's int8 record: the trade, or why there is no int8 form
 * @typedef {import("../pose/pipeline.js").Variant & {
 *   name: string, family: string, role: string, status?: string, task?: string, detector?: string|null,
 *   use?: {mode: string|null, detector?: string|null}|null,
 *   formats: {onnx?: FormRecord, onnx_int8?: FormRecord, tflite?: FormRecord, tfjs?: FormRecord, [form: string]: FormRecord|undefined},
 *   int8?: Int8|null, browser_runtime?: BrowserChoice|null, browser_note?: string
 * }} Record a catalog.json variant
 */

/** the key of a variant's int8 form in `formats` (catalog/schema.py's INT8_FORMAT) */
export const INT8_FORMAT = "onnx_int8";

/** @typedef {{variants: Record[], families?: {id: string, name?: string}[], machine?: {cpu?: string}}} Catalog */

/**
 * The catalog, fetched from `url` (same origin: the site's own copy).
 * @param {string|URL} url
 * @returns {Promise<Catalog>}
 */
export async function loadCatalog(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`catalog.json: HTTP ${response.status} from ${url}`);
  const document = await response.json();
  if (!Array.isArray(document?.variants)) throw new Error("catalog.json has no variants");
  return document;
}

/**
 * Every variant the page can run: role "model", built, with an ONNX file.
 * @param {Catalog} document
 * @returns {Record[]}
 */
export function runnableVariants(document) {
  return document.variants.filter(
    (v) => v.role === "model" && (v.status ?? "ok") === "ok" && typeof v.formats?.onnx?.path === "string",
  );
}

/**
 * The id of the person detector a variant runs behind, or null.
 * @param {Record} variant
 * @returns {string|null}
 */
function detectorId(variant) {
  return variant.use?.detector ?? variant.detector ?? null;
}

/**
 * The person detector a variant runs behind, as its record's `use` says (two-stage: its own
 * detector; top-down: the zoo's multi-person model), or null for a whole-frame model; an Error
 * when it is named but missing.
 * @param {Catalog} document
 * @param {Record} variant
 * @returns {Record|null}
 */
export function detectorOf(document, variant) {
  const id = detectorId(variant);
  if (!id) return null;
  const found = document.variants.find((v) => v.id === id && v.formats?.onnx?.path);
  if (!found) throw new Error(`${variant.id}: its detector ${id} has no ONNX file in this catalog`);
  return found;
}

/**
 * Whether the variant has an int8 form.
 * @param {Record} variant
 * @returns {boolean}
 */
export function hasInt8(variant) {
  return typeof variant.formats?.[INT8_FORMAT]?.path === "string";
}

/**
 * Whether the variant has the form `form` (a key of `formats`: onnx, onnx_int8, tflite, tfjs).
 * @param {Record} variant
 * @param {string} form
 * @returns {boolean}
 */
export function hasForm(variant, form) {
  return typeof variant.formats?.[form]?.path === "string";
}

/**
 * The files a form loads, its own file first: a TFJS graph's model.json, then its weight files.
 * @param {Record} variant
 * @param {string} form
 * @returns {ModelFile[]}
 */
export function formFiles(variant, form) {
  const record = variant.formats?.[form];
  if (!record || typeof record.path !== "string") throw new Error(`${variant.id} has no ${form} form in this catalog`);
  const main = { path: record.path, size_bytes: record.size_bytes, sha256: record.sha256 };
  if (!record.files?.length) return [main];
  const listed = record.files.find((f) => f.path === record.path);
  return [listed ?? main, ...record.files.filter((f) => f.path !== record.path)];
}

/**
 * A file's URL: catalog paths are relative to catalog.json, and on this site.
 * @param {string} path
 * @param {string|URL} catalogUrl
 * @returns {URL}
 */
export function fileUrl(path, catalogUrl) {
  const url = new URL(path, catalogUrl);
  if (url.origin !== new URL(catalogUrl).origin) throw new Error(`${path} is not on this site`);
  return url;
}

/**
 * The int8 form's trade in one line, as the variant's card says it (web/try/format.js); or why
 * there is none.
 * @param {Record} variant
 * @returns {string}
 */
export function int8Trade(variant) {
  const said = hasInt8(variant) ? trade(variant) : null;
  return said === null ? `No int8 form: ${variant.int8?.reason ?? "this build made none"}.` : `${TRADE_LEAD}: ${said}.`;
}

/**
 * The label of a variant in the picker: family, name and download size (what its default runtimes
 * load), the int8 form's too.
 * @param {Catalog} document
 * @param {Record} variant
 * @param {number} floatMiB
 * @param {number|null} int8MiB null where it has no int8 form
 * @returns {string}
 */
export function variantLabel(document, variant, floatMiB, int8MiB) {
  const family = document.families?.find((f) => f.id === variant.family)?.name ?? variant.family;
  const id = detectorId(variant);
  const extra = id ? ` with its detector, ${id}` : "";
  const int8 = int8MiB != null ? `, int8 ${size(int8MiB)}` : "";
  return `${family} ${variant.name} (${variant.id}) — ${size(floatMiB)}${int8}${extra}`;
}
