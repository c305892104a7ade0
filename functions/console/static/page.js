// What every panel shares: the API's root, the page's state, and the few ways the page shows things to people.

export const base = location.pathname.replace(/console\/.*$/, "");  // the API's root: "/" locally, "/<stage>/" on AWS
export const $ = (selector, root = document) => root.querySelector(selector);
export const state = { token: null, config: null, filters: {}, pages: [null], page: 0, rows: [], selected: new Set(), current: null };

// ---------------------------------------------------------------- answers shown to people

export function show(message, kind = "ok") {
  const line = document.createElement("p");
  line.className = kind;
  line.textContent = message;
  $("#answer").replaceChildren(line);
}

export function describeError(error) {
  if (error.body && error.body.message) {
    const details = (error.body.details || [])
      .map((detail) => [detail.field || detail.id || detail.product_id, detail.problem || detail.reason].filter(Boolean).join(": "))
      .filter(Boolean);
    return `${error.body.message}${details.length ? ` (${details.join("; ")})` : ""}`;
  }
  if (error.status === 0) return "The API could not be reached; check the connection and try again.";
  return `The API answered ${error.status}${error.statusText ? ` ${error.statusText}` : ""}.`;
}

// ---------------------------------------------------------------- building blocks of tables and lists

export const when = (value) => (value ? new Date(value).toLocaleString() : "");
export const newestFirst = (items, key) => [...items].sort((a, b) => String(b[key]).localeCompare(String(a[key])));

export function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge ${kind}-${text}`;
  span.textContent = text.replace("_", " ");
  return span;
}

export function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
  row.append(td);
  return td;
}

export function facts(list, entries) {
  list.replaceChildren(...entries.flatMap(([label, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    if (value instanceof Node) dd.append(value); else dd.textContent = value ?? "–";
    return [dt, dd];
  }));
}

export function rowsOf(table, items, columns) {
  const body = $(`${table} tbody`);
  body.replaceChildren(...items.map((item) => {
    const row = document.createElement("tr");
    for (const column of columns) cell(row, column(item));
    return row;
  }));
  if (!items.length) {
    const row = document.createElement("tr");
    const td = cell(row, "None yet.");
    td.colSpan = columns.length;
    body.append(row);
  }
}
