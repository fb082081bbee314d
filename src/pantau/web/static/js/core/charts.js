// plotly.js charts: loaded from this server (the <script id="plotly-script" async> of the page), coloured from the
// page's CSS custom properties, labelled in the page language. Each panel keeps its plots between renders, so a
// refresh updates them in place (Plotly.react) instead of redrawing from nothing.

import { calendarNames } from "./format.js";
import { currentLanguage, t } from "./i18n.js";
import { h } from "./dom.js";

const plotlyReady = new Promise((resolve, reject) => {
  if (window.Plotly) {
    resolve(window.Plotly);
    return;
  }
  const script = document.getElementById("plotly-script");
  script.addEventListener("load", () => resolve(window.Plotly));
  script.addEventListener("error", () => reject(new Error("plotly.js did not load")));
});

const registeredLocales = new Set();

function plotlyLocale(Plotly) {
  const name = `pantau-${currentLanguage()}`;
  if (!registeredLocales.has(name)) {
    const names = calendarNames();
    Plotly.register({
      moduleType: "locale",
      name,
      dictionary: {},
      format: {
        days: names.days,
        shortDays: names.shortDays,
        months: names.months,
        shortMonths: names.shortMonths,
        date: "%d/%m/%Y",
        decimal: names.decimal,
        thousands: names.thousands,
      },
    });
    registeredLocales.add(name);
  }
  return name;
}

/** The page's colours, read from CSS at draw time (so dark mode recolours the charts). */
export function palette() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return {
    ink: read("--ink"),
    muted: read("--muted"),
    line: read("--line"),
    surface: read("--surface-2"),
    good: read("--good"),
    warning: read("--warning"),
    critical: read("--critical"),
    series: [read("--series-1"), read("--series-2"), read("--series-3"), read("--series-4"), read("--series-5")],
    heat: [read("--heat-low"), read("--heat-high")],
    font: read("--font"),
  };
}

/** The layout every chart starts from; `extra` is merged one level deep (axes keep the shared styling). */
export function layout(colours, extra = {}) {
  const axis = { gridcolor: colours.line, linecolor: colours.line, zerolinecolor: colours.line, automargin: true };
  const base = {
    autosize: true,
    margin: { l: 8, r: 8, t: 8, b: 8 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: colours.font, color: colours.ink, size: 12 },
    hoverlabel: { font: { family: colours.font } },
    showlegend: false,
    xaxis: axis,
    yaxis: { ...axis, rangemode: "tozero" },
  };
  const merged = { ...base, ...extra };
  for (const name of ["xaxis", "yaxis"]) {
    merged[name] = { ...base[name], ...(extra[name] ?? {}) };
  }
  return merged;
}

/** A value axis for counts: whole numbers only, so small counts never show 0.5 steps. */
export function countAxis(values) {
  return Math.max(0, ...values) <= 6 ? { tickformat: ",d", dtick: 1 } : { tickformat: ",d" };
}

// The most room one category of a bar chart gets; bars take 80 % of it, so a lone bar is never a slab.
const MAX_CATEGORY_PX = 90;

/**
 * The range of a category axis `lengthPx` long holding `count` bars: the categories in the middle, padded with empty
 * room either side when there are too few to fill the axis at MAX_CATEGORY_PX each (`reversed` for a top-down axis).
 */
export function categoryRange(count, lengthPx, reversed = false) {
  const slots = Math.max(count, Math.floor(lengthPx / MAX_CATEGORY_PX));
  const middle = (count - 1) / 2;
  const range = [middle - slots / 2, middle + slots / 2];
  return reversed ? range.reverse() : range;
}

/** A donut's trace options: percentages inside the slices (never outside, where thin slices' labels collide). */
export const DONUT = {
  type: "pie",
  hole: 0.5,
  sort: false,
  textinfo: "percent",
  texttemplate: "%{percent:.1%}",
  textposition: "inside",
  hovertemplate: "%{label}: %{value}<extra></extra>",
};

// Characters a file name may not hold on Windows, macOS or Linux, and control characters.
const UNSAFE_IN_FILE_NAMES = /[\\/:*?"<>|\u0000-\u001f]+/g;

/** `parts` joined into a file name that every common system accepts: "Pantau – a – b.png". */
export function imageFileName(parts) {
  const words = ["Pantau", ...parts].map((part) => String(part).replace(UNSAFE_IN_FILE_NAMES, "-").trim());
  return `${words.filter(Boolean).join(" – ")}.png`;
}

/**
 * The chart as a PNG file, drawn as the page shows it: same size, same colours (the theme's surface behind it, not
 * the page's transparency) and the page's language. plotly renders it in the browser; nothing goes to the server.
 */
async function downloadImage(plot, fileName) {
  const Plotly = await plotlyReady;
  // The panel's background (the page draws charts on it, transparent).
  const background = getComputedStyle(document.documentElement).getPropertyValue("--surface").trim();
  const { width, height } = plot.getBoundingClientRect();
  const url = await Plotly.toImage(
    { data: plot.data, layout: { ...plot.layout, paper_bgcolor: background, plot_bgcolor: background } },
    { format: "png", width: Math.round(width), height: Math.round(height), scale: 2 },
  );
  const link = h("a", { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * One panel's plots. Render a panel with `slot(...)`, put its DOM in place, then `commit()` draws. `describe()` gives
 * what a chart's image file is named after besides the chart: the section, the range and the scope, in the page's
 * language.
 */
export class ChartHost {
  constructor(describe = () => [], onPick = () => {}) {
    this.describe = describe;
    this.onPick = onPick;
    // What a click on a point of each chart opens: `pick(point)` gives it, or null for nothing.
    this.picks = new Map();
    this.plots = new Map();
    this.pending = [];
    this.generation = 0;
  }

  /**
   * A placeholder for chart `key`, with a button that saves it as a PNG; `build(colours, {width, height})` returns
   * {data, layout}, given the placeholder's size in px. `label` names it for screen readers; `size` "compact" makes
   * it lower. With `pick(point)`, a click on a bar or slice hands what it gives (when not null) to the host's
   * `onPick`; the same lists are reachable from the chart's table by keyboard.
   */
  slot(key, label, build, { size = null, pick = null } = {}) {
    const classes = ["chart", size, pick ? "pickable" : null].filter(Boolean).join(" ");
    const placeholder = h("div", { class: classes, role: "img", "aria-label": label, "data-chart": key });
    this.picks.set(key, pick);
    const save = h(
      "button",
      {
        type: "button",
        class: "chart-image",
        "data-chart-image": key,
        "aria-label": t("chart.saveImage", { chart: label }),
        title: t("chart.saveImage", { chart: label }),
        onclick: () => {
          const plot = this.plots.get(key);
          if (plot?.data) {
            const [section, ...rest] = this.describe();
            downloadImage(plot, imageFileName([section, label, ...rest]));
          }
        },
      },
      "PNG",
    );
    this.pending.push({ key, placeholder, build });
    return h("div", { class: "chart-frame" }, placeholder, save);
  }

  begin() {
    this.generation += 1;
    this.pending = [];
  }

  /** Draw the slots of the last render; plots of charts that are no longer shown are released. */
  async commit() {
    const generation = this.generation;
    const pending = this.pending;
    let Plotly;
    try {
      Plotly = await plotlyReady;
    } catch (error) {
      console.error("charts unavailable:", error.message);
      return;
    }
    if (generation !== this.generation) {
      return;
    }
    const config = { displayModeBar: false, responsive: true, locale: plotlyLocale(Plotly) };
    const colours = palette();
    const used = new Set();
    for (const { key, placeholder, build } of pending) {
      used.add(key);
      let plot = this.plots.get(key);
      const drawn = plot !== undefined;
      if (!drawn) {
        plot = h("div");
        this.plots.set(key, plot);
      }
      placeholder.append(plot);
      const { data, layout: chartLayout } = build(colours, {
        width: placeholder.clientWidth,
        height: placeholder.clientHeight,
      });
      await Plotly.react(plot, data, chartLayout, config);
      if (!drawn) {
        plot.on("plotly_click", (event) => {
          const target = event.points?.length ? this.picks.get(key)?.(event.points[0]) : null;
          if (target) {
            this.onPick(target);
          }
        });
      }
    }
    for (const [key, plot] of this.plots) {
      if (!used.has(key)) {
        Plotly.purge(plot);
        this.plots.delete(key);
        this.picks.delete(key);
      }
    }
  }
}
