// The zoo as the Try-it page sees it: catalog.json's variants that can run here (an ONNX form,
// role "model"), their detectors, the URL of their ONNX files (the float form, or the int8 form
// where the variant has one), what a load downloads and the int8 form's trade.

import { TRADE_LEAD, size, trade } from "./format.js";

/**
 * @typedef {{path: string, size_bytes: number, size_mib?: number, sha256?: string, inputs?: {shape: any[]}[]}} OnnxFile
 * @typedef {"float"|"int8"} Precision which ONNX form runs: `formats.onnx`, or its int8 form `formats.onnx_int8`
 * @typedef {{format: string|null, reason?: string|null, size_ratio?: number|null, cpu_latency_ratio?: number|null,
 *   browser_latency_ratio?: number|null, browser_threads?: number|null, mean_drift?: number|null,
 *   max_drift?: number|null}} Int8 the variant's int8 record: the trade, or why there is no int8 form
 * @typedef {import("../pose/pipeline.js").Variant & {
 *   name: string, family: string, role: string, status?: string, task?: string, detector?: string|null,
 *   use?: {mode: string|null, detector?: string|null}|null,
 *   formats: {onnx?: OnnxFile, onnx_int8?: OnnxFile}, int8?: Int8|null
 * }} Record a catalog.json variant
 */

/** the key of a variant's int8 form in `formats` (catalog/schema.py's INT8_FORMAT) */
export const INT8_FORMAT = "onnx_int8";

/** @typedef {{variants: Record[], families?: {id: string, name?: string}[]}} Catalog */

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
 * The ONNX file a variant runs as at `precision`: `formats.onnx`, or `formats.onnx_int8`; an
 * Error saying why where the variant has no int8 form.
 * @param {Record} variant
 * @param {Precision} [precision]
 * @returns {OnnxFile}
 */
export function onnxFile(variant, precision = "float") {
  if (precision === "int8") {
    if (!hasInt8(variant)) throw new Error(`${variant.id} has no int8 form: ${variant.int8?.reason ?? "this build made none"}`);
    return /** @type {OnnxFile} */ (variant.formats[INT8_FORMAT]);
  }
  return /** @type {OnnxFile} */ (variant.formats.onnx);
}

/**
 * The ONNX file's URL: its `path` is relative to catalog.json.
 * @param {Record} variant
 * @param {string|URL} catalogUrl
 * @param {Precision} [precision]
 * @returns {URL}
 */
export function modelUrl(variant, catalogUrl, precision = "float") {
  const path = onnxFile(variant, precision).path;
  const url = new URL(path, catalogUrl);
  if (url.origin !== new URL(catalogUrl).origin) throw new Error(`${variant.id}: ${path} is not on this site`);
  return url;
}

/**
 * MiB a load downloads: the variant's ONNX file at `precision` (an Error where it has no int8
 * form) and its detector's, float: a two-stage model's int8 form runs after its float detector,
 * as the build measured it.
 * @param {Record} variant
 * @param {Record|null} detector
 * @param {Precision} [precision]
 * @returns {number}
 */
export function downloadMiB(variant, detector, precision = "float") {
  /** @param {OnnxFile|undefined} file */
  const bytes = (file) => file?.size_bytes ?? (file?.size_mib ?? 0) * 2 ** 20;
  return (bytes(onnxFile(variant, precision)) + bytes(detector?.formats?.onnx)) / 2 ** 20;
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
 * The label of a variant in the picker: family, name and download size, the int8 form's too.
 * @param {Catalog} document
 * @param {Record} variant
 * @returns {string}
 */
export function variantLabel(document, variant) {
  const family = document.families?.find((f) => f.id === variant.family)?.name ?? variant.family;
  const id = detectorId(variant);
  const detector = id ? (document.variants.find((v) => v.id === id) ?? null) : null;
  const extra = detector ? ` with its detector, ${detector.id}` : "";
  const int8 = hasInt8(variant) ? `, int8 ${size(downloadMiB(variant, detector, "int8"))}` : "";
  return `${family} ${variant.name} (${variant.id}) — ${size(downloadMiB(variant, detector))}${int8}${extra}`;
}
