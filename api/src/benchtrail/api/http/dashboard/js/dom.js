// Building the page with DOM calls (text is never parsed as HTML).

/** An element with properties ({class, href, title, data-*...}) and children (nodes or text). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "onclick") element.addEventListener("click", value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** The element with this id (throws if the page lacks it: a bug, not a state). */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * Fill a table's body: one row per item, one cell per column
 * ({label, cell: item => text|Node, num: bool}). `empty` is shown when there is no item.
 */
export function fillTable(table, items, columns, { empty = "Nothing yet.", rowProps } = {}) {
  const head = table.tHead || table.createTHead();
  head.replaceChildren(h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "" }, c.label))));
  const body = table.tBodies[0] || table.createTBody();
  if (!items.length) {
    body.replaceChildren(h("tr", {}, h("td", { class: "empty", colspan: columns.length }, empty)));
    return;
  }
  body.replaceChildren(
    ...items.map((item) =>
      h(
        "tr",
        rowProps ? rowProps(item) : {},
        columns.map((c) => h("td", { class: c.num ? "num" : "" }, c.cell(item))),
      ),
    ),
  );
}

/** Show a message in a box (kind "error" or "info"); an empty text hides it. */
export function setMessage(element, text, kind = "info") {
  element.textContent = text || "";
  element.classList.toggle("error", kind === "error");
}

/** A run or step outcome as coloured text. */
export function outcomeBadge(outcome) {
  const value = outcome || "running";
  return h("span", { class: `outcome outcome-${value}` }, value);
}

/** A link to a page of the dashboard. */
export function pageLink(page, params, text, title) {
  const url = new URL(`/dashboard/${page}`, window.location.origin);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return h("a", { href: url.pathname + url.search, title }, text);
}

/** A query parameter of this page's URL. */
export function pageParam(name) {
  return new URLSearchParams(window.location.search).get(name) || "";
}
