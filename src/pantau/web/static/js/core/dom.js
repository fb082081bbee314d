// Building the panels: elements, figures (every number the page shows is one, tagged with the JSON path it came
// from), tiles with their definitions, and sortable tables.

import { bucketLabel, dateTime, formatValue, monthLabel } from "./format.js";
import { t } from "./i18n.js";

/** `h("p", {class: "x", "data-field": "a.b"}, "text", child)`; null/false attributes and children are skipped. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith("on")) {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/**
 * One value from the API, shown in `format`: count, decimal, percent, duration, money (with `currency`), hour, code,
 * text, datetime / bucket-hour / bucket-day (an ISO instant, in a <time>), month (YYYY-MM, in a <time>), or
 * `enum:<group>` (the phrase `<group>.<value>`). Null shows "no data" (or the phrase `nullKey`), never 0.
 */
export function figure(field, format, value, { currency = null, nullKey = null, tone = null, className = "" } = {}) {
  const attributes = { "data-field": field, "data-format": format, class: className || null };
  if (value === null || value === undefined) {
    return h("span", { ...attributes, class: `${className} no-data`.trim(), "data-null": nullKey }, t(nullKey ?? "state.noData"));
  }
  if (format === "datetime") {
    return h("time", { ...attributes, datetime: value }, dateTime(value));
  }
  if (format === "bucket-hour" || format === "bucket-day") {
    return h("time", { ...attributes, datetime: value }, bucketLabel(value, format.slice(7)));
  }
  if (format === "month") {
    return h("time", { ...attributes, datetime: value }, monthLabel(value));
  }
  if (format.startsWith("enum:")) {
    const group = format.slice(5);
    return h("span", { ...attributes, "data-tone": tone }, t(`${group}.${String(value)}`));
  }
  return h("span", { ...attributes, "data-currency": currency }, formatValue(format, value, currency));
}

/** A badge (coloured by `tone`: good, warning, critical) holding an enum figure. */
export function badge(field, group, value, tone = null) {
  return figure(field, `enum:${group}`, value, { tone, className: "badge" });
}

/** A definition list of [label phrase key, figure node] pairs. */
export function figures(pairs) {
  return h(
    "dl",
    { class: "figures" },
    pairs.map(([label, node]) => h("div", {}, h("dt", {}, t(label)), h("dd", {}, node))),
  );
}

let tipCount = 0;
const TIP_MARGIN = 8;

/** Keep a shown tooltip inside the window: shift it left by as much as it would stick out on the right. */
function placeTip(tip) {
  tip.style.left = "";
  const overflow = tip.getBoundingClientRect().right - (document.documentElement.clientWidth - TIP_MARGIN);
  if (overflow > 0) {
    tip.style.left = `${tip.offsetLeft - overflow}px`;
  }
}

/** The (i) button whose tooltip gives a figure's definition; reachable by keyboard, read by screen readers. */
export function infoTip(definitionKey, nameKey) {
  tipCount += 1;
  const id = `tip-${tipCount}`;
  const tip = h("span", { role: "tooltip", id, class: "tip" }, t(definitionKey));
  const show = () => placeTip(tip);
  return h(
    "span",
    { class: "info", onmouseenter: show, onfocusin: show },
    h("button", { type: "button", class: "info-button", "aria-describedby": id, "aria-label": t("info.about", { name: t(nameKey) }) }, "i"),
    tip,
  );
}

/** A tile: a titled box with the definition of what it shows. `size`: "wide" (full row) or "half" (two columns). */
export function tile({ title, definition, size = null }, ...children) {
  return h(
    "article",
    { class: size ? `tile ${size}` : "tile" },
    h("div", { class: "tile-head" }, h("h3", {}, t(title)), infoTip(definition, title)),
    ...children,
  );
}

export function tiles(...children) {
  return h("div", { class: "tiles" }, ...children);
}

const TRENDS = { up: "▲", down: "▼", stable: "▶" };

/** The trend arrow; `better` says which way is good for this figure ("up", "down", or null when neither). */
export function trend(field, value, better) {
  let tone = "neutral";
  if (better !== null && value !== "stable") {
    tone = value === better ? "good" : "bad";
  }
  return h(
    "span",
    { class: "trend", "data-field": field, "data-format": "enum:trend", "data-tone": tone },
    h("span", { "aria-hidden": "true" }, TRENDS[value]),
    h("span", { class: "sr-only" }, t(`trend.${value}`)),
  );
}

/**
 * "▲ 12.5% · yesterday by now: 40": the trend, change and previous value of the comparison at `path` (a figure without a
 * `change`, like the repeat-customer rate, shows the other two). Without a comparison — no previous value, or a change
 * that cannot be computed (from 0) — there is no arrow: "no comparison · previous: 0".
 */
export function comparison(path, values, format, better, compareKey) {
  const compared = values.previous !== null && values.change !== null;
  const change =
    values.change === undefined
      ? []
      : [" ", figure(`${path}.change`, "percent", values.change, { nullKey: "change.none" })];
  return h(
    "div",
    { class: "compare" },
    compared ? trend(`${path}.trend`, values.trend, better) : null,
    ...change,
    ` · ${t(compareKey)}: `,
    figure(`${path}.previous`, format, values.previous),
  );
}

const sortStates = new Map();

// Tables wider than their tile scroll sideways; their frame then says so (a line above, a shade on the side that
// hides columns) and the table takes keyboard focus so arrow keys scroll it. One observer follows every table.
const frameSizes = new ResizeObserver((entries) => {
  for (const entry of entries) {
    markOverflow(entry.target.closest(".table-frame"));
  }
});

function markOverflow(frame) {
  const wrap = frame.querySelector(".table-wrap");
  const hidden = wrap.scrollWidth - wrap.clientWidth;
  const below = wrap.scrollHeight - wrap.clientHeight - wrap.scrollTop;
  const edges = below > 1 ? ["bottom"] : [];
  if (hidden > 0) {
    frame.dataset.scrolls = "true";
    wrap.tabIndex = 0;
    if (wrap.scrollLeft > 0) {
      edges.push("left");
    }
    if (wrap.scrollLeft < hidden - 1) {
      edges.push("right");
    }
  } else {
    delete frame.dataset.scrolls;
    wrap.removeAttribute("tabindex");
  }
  frame.dataset.edges = edges.join(" ");
}

/** A table in its frame: the scroll cue, the shaded edges, the scrolling box. */
export function tableFrame(tableElement, caption, { scroll = false } = {}) {
  const wrap = h(
    "div",
    { class: scroll ? "table-wrap scroll" : "table-wrap", role: "region", "aria-label": caption, onscroll: () => markOverflow(frame) },
    tableElement,
  );
  const frame = h(
    "div",
    { class: "table-frame" },
    h("p", { class: "scroll-hint", "aria-hidden": "true" }, t("table.scrollHint")),
    h("div", { class: "table-view" }, wrap),
  );
  frameSizes.observe(wrap);
  frameSizes.observe(tableElement);
  return frame;
}

/**
 * A table over `rows` (the array at JSON path `path`). Columns: {key (a field, or a dotted path into an object of the
 * row), label, format, numeric, wrap, cell(row, index)};
 * `cell` overrides the default figure; text columns (and those with `wrap`) break their lines rather than widen the
 * table. With `sortable`, header buttons sort by the JSON values (state kept per `id` across refreshes); rows keep
 * their JSON index in data-field paths whatever the order. `scroll` caps the height.
 */
export function table({ id, path, rows, columns, caption, sortable = false, rowHead = null, scroll = false }) {
  const state = sortStates.get(id) ?? { key: null, direction: "ascending" };
  const head = h("thead");
  const body = h("tbody");
  const indexed = rows.map((row, index) => ({ row, index }));

  const cellFor = (column, { row, index }) => (column.cell ? column.cell(row, index) : tableFigure(path, index, column, row));

  const fill = () => {
    let ordered = indexed;
    if (state.key !== null) {
      const key = state.key;
      const sign = state.direction === "ascending" ? 1 : -1;
      ordered = [...indexed].sort((a, b) => sign * compareValues(valueAt(a.row, key), valueAt(b.row, key)) || a.index - b.index);
    }
    body.replaceChildren(
      ...ordered.map((item) =>
        h(
          "tr",
          {},
          columns.map((column) =>
            column.key === rowHead
              ? h("th", { scope: "row", class: classes(column, "row-head") }, cellFor(column, item))
              : h("td", { class: classes(column) || null }, cellFor(column, item)),
          ),
        ),
      ),
    );
    for (const th of head.querySelectorAll("th[data-key]")) {
      if (th.dataset.key === state.key) {
        th.setAttribute("aria-sort", state.direction);
      } else {
        th.removeAttribute("aria-sort");
      }
    }
  };

  head.append(
    h(
      "tr",
      {},
      columns.map((column) => {
        const label = t(column.label);
        const content = sortable
          ? h("button", { type: "button", class: "sort", onclick: () => sortBy(column.key) }, label)
          : label;
        return h("th", { scope: "col", class: column.numeric ? "num" : null, "data-key": column.key }, content);
      }),
    ),
  );

  const sortBy = (key) => {
    state.direction = state.key === key && state.direction === "ascending" ? "descending" : "ascending";
    state.key = key;
    sortStates.set(id, state);
    fill();
    // The rows are new: whoever made their figures into buttons (a panel's lists) makes the new ones too.
    body.dispatchEvent(new CustomEvent("rows-redrawn", { bubbles: true }));
  };

  fill();
  return tableFrame(h("table", { id }, h("caption", { class: "sr-only" }, t(caption)), head, body), t(caption), {
    scroll,
  });
}

/** A cell's figure; "no data" is a dash there (the words in its tooltip), so an empty column stays narrow. */
/** The value at a column's key in a row: a field, or a path into an object of the row ("businessTime.avgSeconds"). */
function valueAt(row, key) {
  return key.split(".").reduce((value, part) => (value === null || value === undefined ? value : value[part]), row);
}

function tableFigure(path, index, column, row) {
  const value = valueAt(row, column.key);
  const element = figure(`${path}.${index}.${column.key}`, column.format, value, { nullKey: "table.noData" });
  if (value === null || value === undefined) {
    element.title = t("state.noData");
  }
  return element;
}

function classes(column, ...more) {
  const wraps = column.wrap ?? column.format === "text";
  return [column.numeric ? "num" : null, wraps ? "wrap" : null, ...more].filter(Boolean).join(" ");
}

function compareValues(a, b) {
  if (a === b) {
    return 0;
  }
  if (a === null || a === undefined) {
    return 1;
  }
  if (b === null || b === undefined) {
    return -1;
  }
  if (typeof a === "string" && typeof b === "string") {
    return a.localeCompare(b, undefined, { sensitivity: "base" });
  }
  return a < b ? -1 : 1;
}

/** A chart's numbers as a table behind a disclosure, for screen readers and for anyone who wants the exact values. */
export function dataTable(options) {
  return h("details", { class: "data" }, h("summary", {}, t("chart.dataTable")), table(options));
}

/** The message a tile shows instead of a chart when there is nothing to draw. */
export function noDataNote(key = "state.noDataRange") {
  return h("p", { class: "placeholder" }, t(key));
}
