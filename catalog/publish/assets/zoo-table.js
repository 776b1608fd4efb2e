// @ts-check
/**
 * The Zoo page's table: sort by a column (click its header, again to reverse), filter by words
 * and by family, show the latency a device measured instead of the build machine's, with the view
 * kept in the page's address (`?filter=movenet+lightning&family=movenet&sort=-latency_ms&device=pixel-8`:
 * a link reproduces it), and a cue while columns lie beyond the table's right edge. Plain ES module,
 * no framework; the page works without it.
 *
 * Markup it expects (written by catalog/publish/site.py):
 *   div#zoo-scroll > table#zoo-table > thead th[data-type="number"|"text"][data-key] > button
 *   tbody tr[data-family][data-search] > td (numeric cells hold the raw figure in data-value, "" when unknown);
 *   a second tbody.zoo-listed holds the variants listed but not built: they filter, and stay after the built
 *   rows whatever the order
 *   input#zoo-filter, select#zoo-family, output#zoo-count, button#zoo-cue
 *   where devices were measured: select#zoo-device[data-missing] (option[value=""]: the build machine;
 *   the others a device's id, its data-note saying what the figures are), output#zoo-device-note, and
 *   td[data-devices] on the latency cells it switches: JSON, {device id: DeviceFigure}
 */

/** @typedef {"ascending" | "descending"} Direction */
/** @typedef {{key: string, direction: Direction}} Sort */
/** @typedef {{filter: string, family: string, sort: Sort | null, device: string}} View */
/** @typedef {{value: number, text: string, detail: string}} DeviceFigure a device's figure, as the page formats it */

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
 * The table's header cells.
 * @param {HTMLTableElement} table
 * @returns {HTMLTableCellElement[]}
 */
function headers(table) {
  return Array.from(table.tHead?.rows[0].cells || []);
}

/**
 * Sort the table's first body's rows (the built variants) by one column; unknown figures always go last.
 * @param {HTMLTableElement} table
 * @param {number} column
 * @param {Direction} direction
 */
export function sortTable(table, column, direction) {
  const header = headers(table)[column];
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
  for (const cell of headers(table)) cell.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", direction);
}

/**
 * Show only the rows holding every word of `text` (any case, any order) in their words
 * (data-search: names, id, task, license..., not figures) and whose family is `family` ("" = any).
 * @param {HTMLTableElement} table
 * @param {string} text
 * @param {string} family
 * @returns {number} how many rows are shown
 */
export function filterTable(table, text, family) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const row of Array.from(table.tBodies).flatMap((body) => Array.from(body.rows))) {
    const searched = row.dataset.search || "";
    const matches = (!family || row.dataset.family === family) && words.every((word) => searched.includes(word));
    row.hidden = !matches;
    if (matches) shown += 1;
  }
  return shown;
}

/** @type {WeakMap<HTMLTableCellElement, {html: string, value: string}>} */
const buildMachine = new WeakMap(); // each switched cell as the page wrote it: the build machine's figure

/**
 * Show one device's figures in the cells that have them (td[data-devices]), or the build machine's
 * again (device ""): the figure, what it is of under it, and its value to sort by; `missing` where the
 * device did not measure the model.
 * @param {HTMLTableElement} table
 * @param {string} device a device's id, or "" for the build machine
 * @param {string} missing
 */
export function showDevice(table, device, missing) {
  for (const cell of Array.from(table.querySelectorAll("td[data-devices]"))) {
    const td = /** @type {HTMLTableCellElement} */ (cell);
    const own = buildMachine.get(td) || { html: td.innerHTML, value: td.dataset.value || "" };
    buildMachine.set(td, own);
    if (!device) {
      td.innerHTML = own.html;
      td.dataset.value = own.value;
      continue;
    }
    /** @type {Record<string, DeviceFigure>} */
    const figures = JSON.parse(td.dataset.devices || "{}");
    const figure = Object.hasOwn(figures, device) ? figures[device] : null;
    if (!figure) {
      td.textContent = missing;
      td.dataset.value = "";
      continue;
    }
    const detail = document.createElement("small");
    detail.textContent = `(${figure.detail})`;
    td.replaceChildren(figure.text, " ", detail);
    td.dataset.value = String(figure.value);
  }
}

/**
 * The view an address asks for: `filter`, `family`, `sort` (a column's key, "-" first for descending),
 * and `device` (a device's id; the build machine's figures without it).
 * @param {string} search the address's query string
 * @returns {View}
 */
export function readView(search) {
  const params = new URLSearchParams(search);
  const sort = params.get("sort") || "";
  const descending = sort.startsWith("-");
  const key = descending ? sort.slice(1) : sort;
  return {
    filter: params.get("filter") || "",
    family: params.get("family") || "",
    sort: key ? { key, direction: descending ? "descending" : "ascending" } : null,
    device: params.get("device") || "",
  };
}

/**
 * The query string of a view, keeping the address's other parameters; empty parts are left out.
 * @param {string} search the address's query string now
 * @param {View} view
 * @returns {string} "?..." or ""
 */
export function writeView(search, view) {
  const params = new URLSearchParams(search);
  /** @type {[string, string][]} */
  const parts = [
    ["filter", view.filter.trim()],
    ["family", view.family],
    ["sort", view.sort ? `${view.sort.direction === "descending" ? "-" : ""}${view.sort.key}` : ""],
    ["device", view.device],
  ];
  for (const [name, value] of parts) {
    if (value) params.set(name, value);
    else params.delete(name);
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

/**
 * Show the cue while some header lies beyond the scroll box's right edge; it says how many.
 * @param {HTMLElement} box the table's scroll box
 * @param {HTMLTableElement} table
 * @param {HTMLButtonElement} cue
 */
function updateCue(box, table, cue) {
  const edge = box.getBoundingClientRect().right;
  const beyond = headers(table).filter((cell) => cell.offsetParent && cell.getBoundingClientRect().right > edge + 1);
  cue.hidden = beyond.length === 0;
  cue.textContent = `${beyond.length} more column${beyond.length === 1 ? "" : "s"}: scroll the table sideways →`;
}

/**
 * Wire the headers, the filter, the family and device selects, the address and the scroll cue of a zoo table.
 * @param {HTMLTableElement} table
 */
export function enhance(table) {
  const filter = /** @type {HTMLInputElement | null} */ (document.getElementById("zoo-filter"));
  const family = /** @type {HTMLSelectElement | null} */ (document.getElementById("zoo-family"));
  const count = document.getElementById("zoo-count");
  const device = /** @type {HTMLSelectElement | null} */ (document.getElementById("zoo-device"));
  const note = document.getElementById("zoo-device-note");
  const total = Array.from(table.tBodies).reduce((sum, body) => sum + body.rows.length, 0);
  /** @type {Sort | null} */
  let sort = null;

  const remember = () => {
    const view = { filter: filter?.value || "", family: family?.value || "", sort, device: device?.value || "" };
    const query = writeView(window.location.search, view);
    if (query !== window.location.search) {
      history.replaceState(history.state, "", `${window.location.pathname}${query}${window.location.hash}`);
    }
  };
  const update = () => {
    const shown = filterTable(table, filter?.value || "", family?.value || "");
    if (count) count.textContent = `${shown} of ${total} models`;
  };
  /** @param {Sort} wanted */
  const sortBy = (wanted) => {
    const column = headers(table).findIndex((cell) => cell.dataset.key === wanted.key);
    if (column < 0) return;
    sortTable(table, column, wanted.direction);
    sort = wanted;
  };

  headers(table).forEach((header) => {
    const button = header.querySelector("button");
    const key = header.dataset.key;
    if (!button || !key) return;
    button.addEventListener("click", () => {
      /** @type {Direction} */
      const direction = header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      sortBy({ key, direction });
      remember();
    });
  });
  filter?.addEventListener("input", () => {
    update();
    remember();
  });
  family?.addEventListener("change", () => {
    update();
    remember();
  });
  const switchDevice = () => {
    if (!device) return;
    showDevice(table, device.value, device.dataset.missing || "");
    if (note) note.textContent = device.selectedOptions[0]?.dataset.note || "";
    if (sort) sortBy(sort);
  };
  device?.addEventListener("change", () => {
    switchDevice();
    remember();
  });

  const view = readView(window.location.search);
  if (filter) filter.value = view.filter;
  if (family && Array.from(family.options).some((option) => option.value === view.family)) family.value = view.family;
  if (device && Array.from(device.options).some((option) => option.value === view.device)) {
    device.value = view.device;
    switchDevice();
  }
  if (view.sort) sortBy(view.sort);
  update();

  const box = document.getElementById("zoo-scroll");
  const cue = /** @type {HTMLButtonElement | null} */ (document.getElementById("zoo-cue"));
  if (box && cue) {
    const refresh = () => updateCue(box, table, cue);
    cue.addEventListener("click", () => box.scrollBy({ left: box.clientWidth * 0.8, behavior: "smooth" }));
    box.addEventListener("scroll", refresh, { passive: true });
    const observer = new ResizeObserver(refresh);
    observer.observe(box);
    observer.observe(table); // a filter changes the columns' widths
    refresh();
  }
}

const zooTable = /** @type {HTMLTableElement | null} */ (document.getElementById("zoo-table"));
if (zooTable) enhance(zooTable);
