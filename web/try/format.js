// @ts-check
// Numbers and sizes as the zoo shows them: the twin of catalog/publish/formatting.py, which the
// cards, the site and the app use. tests/test_format_twins.py runs both on the same values.

/** catalog.json's keys of a variant's float and int8 ONNX forms (catalog/formats.py) */
const ONNX_FORMAT = "onnx";
const INT8_FORMAT = "onnx_int8";

/** a file size's decimals wherever one is shown */
export const MIB_DIGITS = 2;
/** a latency's decimals in a table */
export const MS_DIGITS = 3;
export const TRADE_LEAD = "The trade, int8 against the float ONNX form";

/**
 * @typedef {{median_ms: number, runtime: string, threads: number}} Timed a form's latency record (one turns run)
 * @typedef {{size_mib?: number, latency?: Timed|null}} SizedFile
 * @typedef {{size_ratio?: number|null, cpu_latency_ratio?: number|null,
 *   browser_latency_ratio?: number|null, browser_threads?: number|null, mean_drift?: number|null,
 *   max_drift?: number|null}} TradeRecord the int8 record's figures the trade names
 * @typedef {{formats?: {[format: string]: SizedFile|undefined}, int8?: TradeRecord|null}} TradedVariant
 */

/**
 * `value` to `digits` decimals as Python's f"{value:.{digits}f}" writes it. toFixed rounds a
 * double lying exactly halfway (0.125, 2.5) away from zero, Python to the even digit: the exact
 * decimal expansion (toFixed(100), exact for |value| above 1e-15) says when it lies halfway.
 * @param {number} value
 * @param {number} digits
 * @returns {string}
 */
export function fixed(value, digits) {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const magnitude = Math.abs(value);
  let rounded = magnitude.toFixed(digits);
  const exact = magnitude.toFixed(100);
  const point = exact.indexOf(".");
  const cut = digits > 0 ? point + 1 + digits : point;
  const halfway = /^50*$/.test(exact.slice(point + 1 + digits));
  const kept = exact.slice(0, cut);
  if (halfway && Number(kept.replace(".", "").slice(-1)) % 2 === 0) rounded = kept;
  return sign + rounded;
}

/**
 * Thousands separated by commas, as Python's `,` option: 2324896.5 -> "2,324,896.5".
 * @param {string} number a formatted number
 * @returns {string}
 */
function grouped(number) {
  const [whole, fraction] = number.split(".");
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? digits : `${digits}.${fraction}`;
}

/** An exact count: 2,324,896. @param {number} value @returns {string} */
export const count = (value) => grouped(String(value));
/** MACs and FLOPs, in millions: 270.55. @param {number} value @returns {string} */
export const millions = (value) => grouped(fixed(value / 1e6, 2));
/** FLOPs in billions: 0.554. @param {number} value @returns {string} */
export const billions = (value) => grouped(fixed(value / 1e9, 3));
/** A file size in MiB, to 2 decimals: 4.47. @param {number} value @returns {string} */
export const mib = (value) => fixed(value, MIB_DIGITS);
/** A file size in MiB with its unit: 4.47 MiB. @param {number} value @returns {string} */
export const size = (value) => `${mib(value)} MiB`;
/** Resident memory in MiB, to 1 decimal: 100.8. @param {number} value @returns {string} */
export const memory = (value) => fixed(value, 1);
/** A latency in ms, to 3 decimals: 11.915. @param {number} value @returns {string} */
export const ms = (value) => fixed(value, MS_DIGITS);
/** A latency in ms in a sentence, to 1 decimal: 11.9. @param {number} value @returns {string} */
export const msBrief = (value) => fixed(value, 1);
/** int8 over float, as a factor: 0.58×. @param {number} value @returns {string} */
export const ratio = (value) => `${fixed(value, 2)}×`;
/** A share (0..1) as a percentage: 99.78 %. @param {number} share @returns {string} */
export const percent = (share) => `${fixed(share * 100, 2)} %`;
/** A distance as a fraction of the image's longer side: 0.0252. @param {number} value @returns {string} */
export const fraction = (value) => fixed(value, 4);
/** A keypoint's x or y, normalised to the image: 0.4327. @param {number} value @returns {string} */
export const coordinate = (value) => fixed(value, 4);
/** A model's score for a keypoint: 0.5729. @param {number} value @returns {string} */
export const score = (value) => fixed(value, 4);

/**
 * A shape, dynamic dims by name: N × 224 × 224 × 3.
 * @param {(number|string|null)[]} shape
 * @returns {string}
 */
export const dims = (shape) => shape.map((d) => (d === null ? "?" : String(d))).join(" × ");

/** An accuracy figure (AP, PCK: a share 0..1) in points out of 100: 28.7. @param {number} value @returns {string} */
export const points = (value) => fixed(value * 100, 1);
/**
 * An accuracy figure and its 95 % interval, in points: 28.7 (22.4–37.2).
 * @param {number} value @param {number} low @param {number} high @returns {string}
 */
export const withInterval = (value, low, high) => `${points(value)} (${points(low)}–${points(high)})`;

/**
 * The int8 form's trade, int8 against float, in one line: size, CPU and browser time, drift;
 * null where the variant has no int8 form. The card and the app say the same line.
 * @param {TradedVariant} variant
 * @returns {string|null}
 */
export function trade(variant) {
  const record = variant.int8;
  const int8 = variant.formats?.[INT8_FORMAT];
  const float = variant.formats?.[ONNX_FORMAT];
  if (!record || int8?.size_mib == null || float?.size_mib == null) return null;
  const parts = [`${ratio(record.size_ratio ?? NaN)} the size (${size(int8.size_mib)} against ${mib(float.size_mib)})`];
  if (record.cpu_latency_ratio != null && int8.latency && float.latency) {
    parts.push(
      `${ratio(record.cpu_latency_ratio)} the CPU time (${msBrief(int8.latency.median_ms)} ms against ` +
        `${msBrief(float.latency.median_ms)}, ${int8.latency.runtime}, ${int8.latency.threads} threads, timed in turns)`,
    );
  }
  if (record.browser_latency_ratio != null) {
    parts.push(
      `${ratio(record.browser_latency_ratio)} the browser time (onnxruntime-web wasm, ${record.browser_threads} threads)`,
    );
  }
  if (record.mean_drift != null && record.max_drift != null) {
    parts.push(
      `keypoints moved ${fraction(record.mean_drift)} of the image on average ` +
        `(max ${fraction(record.max_drift)}) on the test photos`,
    );
  }
  return parts.join("; ");
}
