// The row a visitor can share: one device-result.schema.json document (posezoo-device-result/1),
// its file name under devices/, and the text of the contribution. Pure.

export const SCHEMA = "posezoo-device-result/1";

/**
 * @typedef {import("./device.js").Described & {name: string}} Device
 * @typedef {{builder: string, schema_version: number, page: string}} Zoo
 * @typedef {{median_ms: number, p90_ms: number, runs: number}} Timing
 * @typedef {object} Run one model form on one engine, as the schema's `Run`
 * @property {string} variant
 * @property {string} form
 * @property {string} sha256
 * @property {string} runtime
 * @property {string|null} runtime_version
 * @property {string} backend
 * @property {number} threads
 * @property {Timing} inference
 * @property {number} warmup
 * @property {{download_ms: number, cached: boolean, session_ms: number, first_inference_ms: number}} cold
 * @property {(Timing & {detector: string, people: number})|null} pipeline
 * @typedef {{schema: string, measured_at: string, tool: string, device: Device, zoo: Zoo, runs: Run[]}} DeviceResult
 */

/**
 * The device's name for the table, where the visitor gives none: its model or platform, the
 * browser, the cores.
 * @param {import("./device.js").Described} device
 * @returns {string}
 */
export function defaultName(device) {
  const what = device.model || [device.platform, device.architecture].filter(Boolean).join(" ") || "unknown device";
  return `${what}, ${device.browser}, ${device.cores} core${device.cores === 1 ? "" : "s"}`;
}

/**
 * The document.
 * @param {{device: import("./device.js").Described, name: string, zoo: Zoo, runs: Run[], tool: string, at: Date}} parts
 * @returns {DeviceResult}
 */
export function deviceResult({ device, name, zoo, runs, tool, at }) {
  return {
    schema: SCHEMA,
    measured_at: at.toISOString().replace(/\.\d+Z$/, "Z"),
    tool,
    device: { name: name.trim() || defaultName(device), ...device },
    zoo,
    runs,
  };
}

/**
 * The file's name under devices/: the device's name in lower-case words, and the day.
 * @param {DeviceResult} result
 * @returns {string}
 */
export function fileName(result) {
  const words = result.device.name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `${(words || "device").slice(0, 60).replace(/-+$/, "")}-${result.measured_at.slice(0, 10)}.json`;
}

/**
 * The document as the file's text: two-space indents, a final newline.
 * @param {DeviceResult} result
 * @returns {string}
 */
export function fileText(result) {
  return `${JSON.stringify(result, null, 2)}\n`;
}
