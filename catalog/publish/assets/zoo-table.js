// @ts-check
/**
 * The Zoo page's table: sort by a column (click its header, again to reverse) and filter by
 * text and by family. Plain ES module, no framework; the page works without it.
 *
 * Markup it expects (written by catalog/publish/site.py):
 *   table#zoo-table > thead th[data-type="number"|"text"] > button
 *   tbody tr[data-family] > td (numeric cells hold the raw figure in data-value, "" when unknown)
 *   input#zoo-filter, select#zoo-family, output#zoo-count
 */

/** @typedef {"ascending" | "descending"} Direction */

/**
 * The value a cell sorts by: its raw number, or its text (null when the number is unknown).
 * @param {HTMLTableRowElement} row
 * @param {number} column
 * @param {boolean} numeric
 * @returns {number | string | null}
 */
function sortValue(row, column, numeric) {
  const cell = /** @type {HTMLTableCellElement} */ (row.cells[column]);
  if (!numeric) return (cell.textContent || "").trim().toLowerCase();
  const raw = cell.dataset.value;
  if (raw === undefined || raw === "") return null;
  const value = Number(raw);
  return Number.isNaN(value) ? null : value;
}

/**
 * Sort the table's body rows by one column; unknown figures always go last.
 * @param {HTMLTableElement} table
 * @param {number} column
 * @param {Direction} direction
 */
export function sortTable(table, column, direction) {
  const header = /** @type {HTMLTableCellElement} */ (table.tHead?.rows[0].cells[column]);
  const numeric = header.dataset.type === "number";
  const body = table.tBodies[0];
  const sign = direction === "ascending" ? 1 : -1;
  const rows = Array.from(body.rows).map((row, index) => ({ row, index, value: sortValue(row, column, numeric) }));
  rows.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value === b.value) return a.index - b.index;
      return a.value === null ? 1 : -1;
    }
    const order = numeric
      ? /** @type {number} */ (a.value) - /** @type {number} */ (b.value)
      : String(a.value).localeCompare(String(b.value));
    return order === 0 ? a.index - b.index : sign * order;
  });
  for (const { row } of rows) body.appendChild(row);
  for (const cell of Array.from(table.tHead?.rows[0].cells || [])) cell.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", direction);
}

/**
 * Show only the rows whose text contains `text` (any case) and whose family is `family` ("" = any).
 * @param {HTMLTableElement} table
 * @param {string} text
 * @param {string} family
 * @returns {number} how many rows are shown
 */
export function filterTable(table, text, family) {
  const needle = text.trim().toLowerCase();
  let shown = 0;
  for (const row of Array.from(table.tBodies[0].rows)) {
    const matches =
      (!family || row.dataset.family === family) && (!needle || (row.textContent || "").toLowerCase().includes(needle));
    row.hidden = !matches;
    if (matches) shown += 1;
  }
  return shown;
}

/**
 * Wire the headers, the filter and the family select of a zoo table.
 * @param {HTMLTableElement} table
 */
export function enhance(table) {
  const headers = Array.from(table.tHead?.rows[0].cells || []);
  headers.forEach((header, column) => {
    const button = header.querySelector("button");
    if (!button) return;
    button.addEventListener("click", () => {
      /** @type {Direction} */
      const direction = header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      sortTable(table, column, direction);
    });
  });
  const filter = /** @type {HTMLInputElement | null} */ (document.getElementById("zoo-filter"));
  const family = /** @type {HTMLSelectElement | null} */ (document.getElementById("zoo-family"));
  const count = document.getElementById("zoo-count");
  const total = table.tBodies[0].rows.length;
  const update = () => {
    const shown = filterTable(table, filter?.value || "", family?.value || "");
    if (count) count.textContent = `${shown} of ${total} models`;
  };
  filter?.addEventListener("input", update);
  family?.addEventListener("change", update);
  update();
}

const zooTable = /** @type {HTMLTableElement | null} */ (document.getElementById("zoo-table"));
if (zooTable) enhance(zooTable);
