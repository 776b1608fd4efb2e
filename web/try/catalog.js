// The zoo as the Try-it page sees it: catalog.json's variants that can run here (an ONNX form,
// role "model"), their detectors, the URL of their ONNX files and what a load downloads.

/**
 * @typedef {import("../pose/pipeline.js").Variant & {
 *   name: string, family: string, role: string, status?: string, task?: string, detector?: string|null,
 *   formats: {onnx?: {path: string, size_bytes: number, size_mib?: number, sha256?: string, inputs?: {shape: any[]}[]}}
 * }} Record a catalog.json variant
 */

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
 * The detector a variant's `detector` field names, or null; an Error when it is named but missing.
 * @param {Catalog} document
 * @param {Record} variant
 * @returns {Record|null}
 */
export function detectorOf(document, variant) {
  if (!variant.detector) return null;
  const found = document.variants.find((v) => v.id === variant.detector && v.formats?.onnx?.path);
  if (!found) throw new Error(`${variant.id}: its detector ${variant.detector} has no ONNX file in this catalog`);
  return found;
}

/**
 * The ONNX file's URL: `formats.onnx.path` is relative to catalog.json.
 * @param {Record} variant
 * @param {string|URL} catalogUrl
 * @returns {URL}
 */
export function modelUrl(variant, catalogUrl) {
  const path = /** @type {string} */ (variant.formats.onnx?.path);
  const url = new URL(path, catalogUrl);
  if (url.origin !== new URL(catalogUrl).origin) throw new Error(`${variant.id}: ${path} is not on this site`);
  return url;
}

/**
 * MiB a load downloads: the variant's ONNX file and its detector's.
 * @param {Record} variant
 * @param {Record|null} detector
 * @returns {number}
 */
export function downloadMiB(variant, detector) {
  const bytes = (r) => r?.formats?.onnx?.size_bytes ?? (r?.formats?.onnx?.size_mib ?? 0) * 2 ** 20;
  return (bytes(variant) + bytes(detector)) / 2 ** 20;
}

/**
 * The label of a variant in the picker: family, name and download size.
 * @param {Catalog} document
 * @param {Record} variant
 * @returns {string}
 */
export function variantLabel(document, variant) {
  const family = document.families?.find((f) => f.id === variant.family)?.name ?? variant.family;
  const detector = variant.detector ? document.variants.find((v) => v.id === variant.detector) ?? null : null;
  const extra = detector ? " with its detector" : "";
  return `${family} ${variant.name} (${variant.id}) — ${downloadMiB(variant, detector).toFixed(1)} MiB${extra}`;
}
