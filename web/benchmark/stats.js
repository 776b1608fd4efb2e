// A run's figures from its times: the median, and the 90th percentile by nearest rank (the
// smallest time at least 90 % of the runs take no longer than). Twin of catalog/measure/browser.py's p90 and statistics.median.

/**
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  if (!values.length) throw new RangeError("no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {number[]} values
 * @param {number} q a fraction, 0 < q <= 1
 * @returns {number}
 */
export function nearestRank(values, q) {
  if (!values.length) throw new RangeError("no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/**
 * @param {number} ms
 * @returns {number} to the microsecond: what a browser's timer can tell apart at best
 */
export function rounded(ms) {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The figures of timed runs, as device-result.schema.json's `Timing` holds them.
 * @param {number[]} ms
 * @returns {{median_ms: number, p90_ms: number, runs: number}}
 */
export function summary(ms) {
  return { median_ms: rounded(median(ms)), p90_ms: rounded(nearestRank(ms, 0.9)), runs: ms.length };
}
