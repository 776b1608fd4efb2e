// The device as this browser describes it, and only that: User-Agent Client Hints where the browser
// gives them, its cores and memory hint, and the WebGPU adapter's info. Nothing is sent anywhere.

/**
 * @typedef {object} Gpu
 * @property {string} vendor
 * @property {string} architecture
 * @property {string} device
 * @property {string} description
 */

/**
 * @typedef {object} Described device-result.schema.json's `device`, less its name
 * @property {string} user_agent
 * @property {string} browser
 * @property {string} platform
 * @property {string} model
 * @property {string} architecture
 * @property {boolean|null} mobile
 * @property {number} cores
 * @property {number|null} memory_gib
 * @property {Gpu|null} gpu
 * @property {boolean} cross_origin_isolated
 * @property {string} cpu "": a browser does not tell the CPU's model
 */

/**
 * The browser's own description of the device.
 * @param {import("../try/support.js").Support} support
 * @returns {Promise<Described>}
 */
export async function describeDevice(support) {
  const nav = /** @type {any} */ (navigator);
  /** @type {any} */
  let hints = {};
  if (nav.userAgentData?.getHighEntropyValues) {
    hints = await nav.userAgentData
      .getHighEntropyValues(["platformVersion", "architecture", "bitness", "model", "fullVersionList"])
      .catch(() => ({}));
  }
  /** @type {{brand: string, version: string}[]} */
  const brands = hints.fullVersionList ?? nav.userAgentData?.brands ?? [];
  return {
    user_agent: navigator.userAgent,
    browser: browserName(brands, navigator.userAgent),
    platform: [hints.platform ?? nav.userAgentData?.platform ?? "", hints.platformVersion ?? ""].filter(Boolean).join(" ")
      || platformFrom(navigator.userAgent),
    model: hints.model ?? "",
    architecture: [hints.architecture ?? "", hints.bitness ?? ""].filter(Boolean).join(" "),
    mobile: typeof nav.userAgentData?.mobile === "boolean" ? nav.userAgentData.mobile : null,
    cores: support.cores,
    memory_gib: typeof nav.deviceMemory === "number" ? nav.deviceMemory : null,
    gpu: support.webgpu ? await gpuInfo() : null,
    cross_origin_isolated: support.isolated,
    cpu: "",
  };
}

/**
 * The browser and its version: the brand list's named browser (not its "Not A Brand" decoy), else
 * the user agent's last product token.
 * @param {{brand: string, version: string}[]} brands
 * @param {string} userAgent
 * @returns {string}
 */
export function browserName(brands, userAgent) {
  const real = brands.filter((b) => !/not.?a.?brand/i.test(b.brand));
  const named = real.find((b) => b.brand !== "Chromium") ?? real[0];
  if (named) return `${named.brand} ${named.version}`;
  const safari = userAgent.match(/Version\/([\d.]+).*Safari\//);
  if (safari && !/Chrom(e|ium)|CriOS|Android/.test(userAgent)) return `Safari ${safari[1]}`;
  const tokens = userAgent.match(/[A-Za-z]+\/[\d.]+/g) ?? [];
  const last = tokens.filter((t) => !/^(Mozilla|AppleWebKit|Gecko|KHTML|Mobile)\//.test(t)).pop();
  return last ? last.replace("/", " ") : "unknown browser";
}

/**
 * @param {string} userAgent
 * @returns {string} the operating system a user agent names, roughly
 */
export function platformFrom(userAgent) {
  for (const [pattern, name] of /** @type {[RegExp, string][]} */ ([
    [/Android [\d.]+/, ""], [/iPhone OS [\d_]+/, ""], [/Mac OS X [\d_]+/, ""], [/Windows NT [\d.]+/, ""], [/Linux/, "Linux"],
  ])) {
    const found = userAgent.match(pattern);
    if (found) return (name || found[0]).replace(/_/g, ".");
  }
  return "unknown";
}

/** @returns {Promise<Gpu|null>} the WebGPU adapter's info, as far as the browser tells it */
async function gpuInfo() {
  try {
    const adapter = await /** @type {any} */ (navigator).gpu.requestAdapter();
    const info = adapter?.info ?? (await adapter?.requestAdapterInfo?.());
    if (!info) return null;
    return {
      vendor: String(info.vendor ?? ""),
      architecture: String(info.architecture ?? ""),
      device: String(info.device ?? ""),
      description: String(info.description ?? ""),
    };
  } catch {
    return null;
  }
}
