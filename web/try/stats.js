// The page's running figures: the median of the last frames' inference times, and frames per second.

export class Rolling {
  /** @param {number} [size] how many of the last values to keep */
  constructor(size = 30) {
    this.size = size;
    /** @type {number[]} */
    this.values = [];
  }

  /** @param {number} value */
  push(value) {
    this.values.push(value);
    if (this.values.length > this.size) this.values.shift();
  }

  /** @returns {number|null} the median of the kept values */
  median() {
    if (!this.values.length) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  clear() {
    this.values = [];
  }
}

/** End-to-end frames per second over the last frames' timestamps. */
export class Fps {
  /** @param {number} [size] */
  constructor(size = 30) {
    this.size = size;
    /** @type {number[]} */
    this.stamps = [];
  }

  /** @param {number} now a performance.now() time */
  tick(now) {
    this.stamps.push(now);
    if (this.stamps.length > this.size + 1) this.stamps.shift();
  }

  /** @returns {number|null} */
  value() {
    if (this.stamps.length < 2) return null;
    const span = this.stamps[this.stamps.length - 1] - this.stamps[0];
    return span > 0 ? ((this.stamps.length - 1) * 1000) / span : null;
  }

  clear() {
    this.stamps = [];
  }
}

/**
 * A figure for the page: "12.3" or "—".
 * @param {number|null|undefined} value
 * @param {number} [digits]
 * @returns {string}
 */
export function figure(value, digits = 1) {
  return value == null || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}
