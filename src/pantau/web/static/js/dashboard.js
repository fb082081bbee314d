// The dashboard page: one panel per section the caller may open (the server rendered only those), filters kept in
// the URL, pushed answers over the live socket (a panel redraws only when its data changed) with a quiet refresh
// every 30 seconds whenever the socket is not live, a Live / Reconnecting / Polling indicator, and per-panel
// loading, empty and error states so one failing section never blanks the others.

import { FiringAlerts } from "./core/alerts.js";
import { getJson } from "./core/api.js";
import { ChartHost } from "./core/charts.js";
import { figure, h } from "./core/dom.js";
import { calendarDate, clockTime, isoDate, setTimeZone } from "./core/format.js";
import { currentLanguage, startLanguage, t } from "./core/i18n.js";
import { LiveConnection } from "./core/live.js";
import { DrillDown, requestedList } from "./drill.js";
import { wirePreferences } from "./core/preferences.js";
import { PRESETS, readFilters, sectionParameters, writeFilters } from "./core/url-state.js";
import agentProductivity from "./sections/agent-productivity.js";
import automationImpact from "./sections/automation-impact.js";
import businessImpact from "./sections/business-impact.js";
import conversationEffectiveness from "./sections/conversation-effectiveness.js";
import customerLoad from "./sections/customer-load.js";
import kpi from "./sections/kpi.js";
import whatsappPerformance from "./sections/whatsapp-performance.js";

const SECTIONS = {
  kpi,
  "conversation-effectiveness": conversationEffectiveness,
  "whatsapp-performance": whatsappPerformance,
  "customer-load": customerLoad,
  "agent-productivity": agentProductivity,
  "automation-impact": automationImpact,
  "business-impact": businessImpact,
};

const config = JSON.parse(document.getElementById("page-config").textContent);
// Marked once every panel of the first load is drawn, charts included: the page's "complete" time.
const COMPLETE_MARK = "pantau:dashboard-complete";
setTimeZone(config.timezone);

/**
 * The name of the window a section's figures cover under `filters`: the preset ("Last 24 hours"), the section's
 * default when none is chosen, the custom dates, or "Today" for the KPI strip, which takes no range.
 */
function windowName(section, filters) {
  if (!section.ranged) {
    return t("range.today");
  }
  if (filters.startDate || filters.endDate) {
    return `${calendarDate(filters.startDate)} – ${calendarDate(filters.endDate)}`;
  }
  return t(`range.${PRESETS.includes(filters.dateRange) ? filters.dateRange : section.defaultRange}`);
}

/** "Range: <name> · … – … (zone) · compared with … – … · computed …", every instant a figure of the section's JSON. */
function rangeDescription(data, name) {
  const range = data.range;
  return [
    h(
      "span",
      { class: "range-line" },
      `${t("range.label")}: `,
      h("strong", { class: "window-name", "data-role": "window" }, name),
      " · ",
      figure("range.start", "datetime", range.start),
      " – ",
      figure("range.end", "datetime", range.end),
      " (",
      figure("range.timezone", "text", range.timezone),
      ")",
    ),
    h(
      "span",
      { class: "range-line" },
      `${t("range.compared")}: `,
      figure("range.previousStart", "datetime", range.previousStart),
      " – ",
      figure("range.previousEnd", "datetime", range.previousEnd),
    ),
    h("span", { class: "range-line" }, `${t("range.computed")} `, figure("generatedAt", "datetime", data.generatedAt)),
  ];
}

function errorBox(failure, retry) {
  const status = failure.status ? ` (HTTP ${failure.status})` : "";
  return h(
    "div",
    { class: "section-error", role: "alert" },
    h("p", {}, h("strong", {}, t("state.error"))),
    h("p", { class: "error-detail" }, `${failure.detail ?? failure.message}${status}`),
    h("button", { type: "button", class: "control compact", onclick: retry }, t("state.retry")),
  );
}

/** The local dates a range covers, "2026-11-28 to 2026-12-04" in numbers (its end is excluded: the last date is the
 * one of its last instant). */
function coveredDates(range) {
  const first = isoDate(range.start);
  const last = isoDate(Date.parse(range.end) - 1);
  return first === last ? first : `${first} ${t("range.to")} ${last}`;
}

/** The figure at `element` as a button that opens its list (keyboard-reachable, labelled for screen readers). */
function listButton(element, target, open) {
  const button = h(
    "button",
    {
      type: "button",
      class: "drill-open",
      "data-drill": target.figure,
      "data-drill-bucket": target.bucket ?? null,
      "aria-label": t(target.tickets ? "drill.tickets.open" : "drill.open", { figure: target.label(), value: element.textContent }),
      onclick: () => open(target),
    },
  );
  element.replaceWith(button);
  button.append(element);
}

class Panel {
  constructor(element, retry, scopeName, openList) {
    this.element = element;
    this.name = element.dataset.section;
    this.section = SECTIONS[this.name];
    this.body = element.querySelector('[data-role="body"]');
    this.body.addEventListener("rows-redrawn", () => this.armLists()); // a table sorted anew
    this.rangeLine = element.querySelector('[data-role="range"]');
    // A chart's image is named after the section, the chart, the dates shown and whose work they are.
    this.charts = new ChartHost(
      () => [t(`section.${this.name}`), this.data ? coveredDates(this.data.range) : "", scopeName()],
      (target) => this.openList(target),
    );
    this.openListOf = openList;
    this.retry = () => retry(this);
    this.data = null;
    this.filters = null;
    this.failure = null;
  }

  /** Fetch and show the section; a quiet load keeps what is shown until the answer arrives (and if it fails). */
  async load(filters, signal, { quiet }) {
    if (!quiet || this.data === null) {
      this.showLoading();
    }
    try {
      const data = await getJson(`/api/dashboard/${this.name}`, sectionParameters(filters, this.section.ranged), signal);
      if (signal?.aborted) {
        return null;
      }
      if (this.isNewer(filters, data)) {
        // A push brought a later answer while this one was on its way: the later one stays.
        return true;
      }
      this.data = data;
      this.dataText = JSON.stringify(data);
      this.filters = filters;
      this.failure = null;
    } catch (error) {
      if (error.name === "AbortError") {
        return null;
      }
      this.failure = error;
      if (!quiet) {
        this.data = null;
      }
    }
    await this.render();
    return this.failure === null;
  }

  /** Whether what is shown for `filters` was computed after `data`. */
  isNewer(filters, data) {
    return (
      this.data !== null && this.filters === filters && Date.parse(this.data.generatedAt) > Date.parse(data.generatedAt)
    );
  }

  /** A pushed answer: drawn only when it differs from what is shown and is not older than it. Resolves with whether
   * it was drawn. */
  async receive(data, filters) {
    const text = JSON.stringify(data);
    if (this.data !== null && this.failure === null && (text === this.dataText || this.isNewer(filters, data))) {
      return false;
    }
    this.data = data;
    this.dataText = text;
    this.filters = filters;
    this.failure = null;
    await this.render();
    this.element.dataset.pushes = String(Number(this.element.dataset.pushes ?? 0) + 1);
    return true;
  }

  showLoading() {
    this.element.dataset.state = "loading";
    this.element.setAttribute("aria-busy", "true");
    this.rangeLine.replaceChildren();
    this.charts.begin();
    this.body.replaceChildren(h("p", { class: "placeholder" }, t("state.loading")));
  }

  /** Draw from the last answer (also after a language or theme change); resolves once its charts are drawn. */
  render() {
    if (this.data === null && this.failure === null) {
      return Promise.resolve();
    }
    this.element.setAttribute("aria-busy", "false");
    this.charts.begin();
    if (this.data === null) {
      this.element.dataset.state = "error";
      this.rangeLine.replaceChildren();
      this.body.replaceChildren(errorBox(this.failure, this.retry));
    } else {
      const empty = this.section.isEmpty?.(this.data) ?? false;
      this.element.dataset.state = empty ? "empty" : "ready";
      this.element.dataset.generatedAt = this.data.generatedAt;
      const covered = windowName(this.section, this.filters);
      this.rangeLine.replaceChildren(...rangeDescription(this.data, covered));
      const chart = (key, label, build, options) => this.charts.slot(key, t(label), build, options);
      const content = empty
        ? h("p", { class: "placeholder" }, t("state.emptySection"))
        : this.section.render(this.data, { chart, covered });
      const warning = this.failure
        ? h("p", { class: "refresh-warning", role: "status" }, `${t("state.stale")} ${this.failure.detail ?? this.failure.message}`)
        : null;
      // Snapshots made under another SLA target or other business hours were left aside (a settings change): say
      // so until a backfill.
      const stale = this.data.outdatedSnapshots;
      const notes = stale
        ? [
            stale.snapshotSlaTargetSeconds.length
              ? t("state.outdatedSnapshots", {
                  target: stale.slaTargetSeconds,
                  previous: stale.snapshotSlaTargetSeconds.join(", "),
                })
              : null,
            stale.snapshotBusinessHours ? t("state.outdatedBusinessHours") : null,
          ].filter(Boolean)
        : [];
      const outdated = notes.length
        ? h("p", { class: "outdated-snapshots", "data-role": "outdated-snapshots", role: "note" }, notes.join(" "))
        : null;
      this.body.replaceChildren(...[warning, outdated, content].filter(Boolean));
      this.armLists();
    }
    return this.charts.commit();
  }

  /** Every shown count that has conversations behind it opens their list. */
  armLists() {
    if (!this.section.drill) {
      return;
    }
    for (const element of this.body.querySelectorAll("[data-field]")) {
      if (element.parentElement?.classList.contains("drill-open")) {
        continue; // a button already
      }
      const target = this.section.drill(element.dataset.field, this.data);
      if (target && target.count > 0) {
        listButton(element, target, (chosen) => this.openList(chosen));
      }
    }
  }

  /** Open the list of `target` (from `section.drill`) for the filters this panel shows. */
  openList(target) {
    this.openListOf(this, target);
  }

  /** The list the address names, if it is one of this panel's figures: what `section.drill` gives for it. */
  listNamed(named) {
    if (!this.section.drill || this.data === null) {
      return null;
    }
    for (const element of this.body.querySelectorAll("[data-field]")) {
      const target = this.section.drill(element.dataset.field, this.data);
      if (target && target.figure === named.figure && (target.bucket ?? null) === (named.bucket ?? null)) {
        return target;
      }
    }
    return null;
  }
}

class Dashboard {
  constructor() {
    this.filters = readFilters();
    this.options = { teams: [], agents: [] };
    this.panels = [...document.querySelectorAll("section[data-section]")].map(
      (element) =>
        new Panel(
          element,
          (panel) => this.loadPanel(panel),
          () => this.scopeName(),
          (panel, target) => this.openList(panel, target),
        ),
    );
    this.cycle = null;
    this.controller = null;
    this.timer = null;
    this.lastUpdated = null;
    // How the page is kept fresh: null until known, then "live" (pushes), "reconnecting" or "polling".
    this.liveMode = null;
    // What the last load over HTTP said: "live" (all answered), "stale" (some failed), "offline" (none did).
    this.loadState = "live";
    this.alerts = new FiringAlerts(document.getElementById("alert-banner"));
    this.connection = new LiveConnection(
      this.panels.map((panel) => panel.name),
      {
        onSection: (name, data) => this.receivePush(name, data),
        onError: (message) => console.warn("live updates refused", message.detail),
        onState: (mode) => this.followLiveMode(mode),
      },
    );
    this.live = document.getElementById("live");
    this.liveState = document.getElementById("live-state");
    this.lastUpdatedElement = document.getElementById("last-updated");
    this.controls = {
      range: document.getElementById("range"),
      custom: document.getElementById("custom-range"),
      start: document.getElementById("start-date"),
      end: document.getElementById("end-date"),
      rangeError: document.getElementById("range-error"),
      team: document.getElementById("team"),
      teamField: document.getElementById("team-field"),
      agent: document.getElementById("agent"),
      agentField: document.getElementById("agent-field"),
      form: document.getElementById("filters"),
      summaryPdf: document.getElementById("summary-pdf"),
    };
  }

  start() {
    this.wireFilters();
    this.showFilters();
    wirePreferences(() => this.redraw());
    window.addEventListener("popstate", () => {
      this.filters = readFilters();
      this.showFilters();
      this.refresh({ quiet: false });
      this.connection.subscribe(this.filters);
    });
    document.addEventListener("visibilitychange", () => this.followVisibility());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && document.activeElement?.classList.contains("info-button")) {
        document.activeElement.blur();
      }
    });
    this.loadFilterOptions();
    this.alerts.start();
    this.refresh({ quiet: false });
    this.connection.subscribe(this.filters);
    this.startTimer();
  }

  wireFilters() {
    const { range, custom, start, end, team, agent, form } = this.controls;
    range.addEventListener("change", () => {
      if (range.value === "custom") {
        custom.hidden = false;
        start.focus();
        return;
      }
      custom.hidden = true;
      this.apply({ dateRange: range.value, startDate: "", endDate: "" });
    });
    // The page checks the dates itself (the form is novalidate): a refusal says why next to the dates, and any edit
    // clears it, so a corrected range always applies.
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let problem = null;
      if (!start.value || !end.value) {
        problem = { field: start.value ? end : start, key: "filters.bothDates" };
      } else if (start.value > end.value) {
        problem = { field: end, key: "filters.order" };
      }
      this.showRangeError(problem);
      if (problem === null) {
        this.apply({ dateRange: "", startDate: start.value, endDate: end.value });
      } else {
        problem.field.focus();
      }
    });
    for (const input of [start, end]) {
      input.required = true;
      input.addEventListener("input", () => this.showRangeError(null));
    }
    team.addEventListener("change", () => {
      const agentStays = this.agentsOf(team.value).some((person) => person.id === this.filters.agentId);
      this.apply({ teamId: team.value, agentId: agentStays ? this.filters.agentId : "" });
      this.fillAgents();
    });
    agent.addEventListener("change", () => this.apply({ agentId: agent.value }));
    // The summary and each panel's CSV and XLSX follow the filters and the page's language of the moment: the link
    // is written when it is pointed at, focused, opened, middle-clicked or right-clicked (so "copy link" and "save
    // link as" get the view shown too).
    const follow = (link, address) => {
      const write = () => {
        link.href = address();
      };
      for (const type of ["pointerenter", "focus", "mousedown", "contextmenu", "click"]) {
        link.addEventListener(type, write);
      }
    };
    const query = (parameters) =>
      new URLSearchParams(Object.entries(parameters).filter(([, value]) => value));
    follow(
      this.controls.summaryPdf,
      () =>
        `/api/export/summary.pdf?${query({ ...sectionParameters(this.filters, true), lang: currentLanguage() })}`,
    );
    for (const panel of this.panels) {
      for (const link of panel.element.querySelectorAll("a[data-export]")) {
        follow(link, () => {
          const parameters = {
            ...sectionParameters(this.filters, panel.section.ranged),
            format: link.dataset.export,
            lang: currentLanguage(),
          };
          return `/api/dashboard/${panel.name}/export?${query(parameters)}`;
        });
      }
    }
  }

  /** Say what is wrong with the custom dates (`problem` {field, key}), or clear it (null). */
  showRangeError(problem) {
    const { start, end, rangeError } = this.controls;
    for (const input of [start, end]) {
      input.setAttribute("aria-invalid", String(problem?.field === input));
    }
    rangeError.hidden = problem === null;
    if (problem === null) {
      rangeError.removeAttribute("data-i18n");
      rangeError.textContent = "";
    } else {
      rangeError.dataset.i18n = problem.key;
      rangeError.textContent = t(problem.key);
    }
  }

  apply(change) {
    this.filters = { ...this.filters, ...change };
    writeFilters(this.filters);
    this.refresh({ quiet: false });
    this.connection.subscribe(this.filters);
  }

  showFilters() {
    const { range, custom, start, end } = this.controls;
    const isCustom = Boolean(this.filters.startDate || this.filters.endDate);
    range.value = isCustom ? "custom" : PRESETS.includes(this.filters.dateRange) ? this.filters.dateRange : "";
    custom.hidden = !isCustom;
    start.value = this.filters.startDate;
    end.value = this.filters.endDate;
    this.fillTeams();
    this.fillAgents();
  }

  async loadFilterOptions() {
    try {
      this.options = await getJson("/api/dashboard/filters");
    } catch (error) {
      console.warn("filter options unavailable", error);
      return;
    }
    this.fillTeams();
    this.fillAgents();
  }

  /** The conversations behind a figure of `panel`, for the filters it shows, in the list dialog. */
  openList(panel, target) {
    this.drill ??= new DrillDown();
    this.drill.open(
      {
        ...target,
        section: panel.name,
        sectionTitle: () => t(`section.${panel.name}`),
        window: () => windowName(panel.section, panel.filters),
        scopeName: () => this.scopeName(),
      },
      panel.filters,
      panel.section.ranged,
    );
  }

  /** Once a panel has drawn, the list the page's address names (a link to a list) opens, if it is that panel's. */
  openRequestedList(panel) {
    const named = requestedList();
    if (named === null || named.section !== panel.name || this.drill?.dialog.open) {
      return;
    }
    const target = panel.listNamed(named);
    if (target !== null) {
      this.openList(panel, target);
    }
  }

  /** Whose work the page shows, in the page's words: the chosen agent or team, the viewer's only one, or all teams. */
  scopeName() {
    const { team, agent } = this.controls;
    if (this.filters.agentId && agent.selectedOptions[0]) {
      return agent.selectedOptions[0].text;
    }
    if (this.options.agents.length === 1) {
      return this.options.agents[0].name;
    }
    if (this.filters.teamId && team.selectedOptions[0]) {
      return team.selectedOptions[0].text;
    }
    return this.options.teams.length === 1 ? this.options.teams[0].name : t("filters.allTeams");
  }

  agentsOf(teamId) {
    return teamId ? this.options.agents.filter((person) => person.teamId === teamId) : this.options.agents;
  }

  fillTeams() {
    const { team, teamField } = this.controls;
    teamField.hidden = this.options.teams.length === 0;
    team.replaceChildren(
      team.options[0],
      ...this.options.teams.map((option) => h("option", { value: option.id }, option.name)),
    );
    team.value = this.filters.teamId;
  }

  fillAgents() {
    const { agent, agentField } = this.controls;
    agentField.hidden = this.options.agents.length <= 1;
    agent.replaceChildren(
      agent.options[0],
      ...this.agentsOf(this.filters.teamId).map((person) => h("option", { value: person.id }, person.name)),
    );
    agent.value = this.filters.agentId;
  }

  /** Load every panel; a new call replaces a running one, except that a quiet refresh never interrupts a load. */
  async refresh({ quiet }) {
    if (quiet && this.cycle !== null) {
      return;
    }
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const cycle = Promise.all(this.panels.map((panel) => panel.load(this.filters, controller.signal, { quiet })));
    this.cycle = cycle;
    this.live.setAttribute("aria-busy", "true"); // also while a quiet refresh runs, which shows no panel loading
    const results = await cycle;
    if (this.cycle === cycle) {
      this.cycle = null;
      this.live.removeAttribute("aria-busy");
    }
    if (!controller.signal.aborted) {
      this.showLive(results);
      if (performance.getEntriesByName(COMPLETE_MARK).length === 0) {
        performance.mark(COMPLETE_MARK);
        for (const panel of this.panels) {
          this.openRequestedList(panel);
        }
      }
    }
  }

  async loadPanel(panel) {
    const succeeded = await panel.load(this.filters, undefined, { quiet: false });
    this.showLive(this.panels.map((each) => (each === panel ? succeeded : each.failure === null)));
  }

  showLive(results) {
    const failed = results.filter((result) => result === false).length;
    if (failed < results.length) {
      this.lastUpdated = new Date();
    }
    this.loadState = "live";
    if (failed === results.length) {
      this.loadState = "offline";
    } else if (failed > 0) {
      this.loadState = "stale";
    }
    this.setLive(this.liveIndicator());
  }

  /** The indicator: a failed load first, then how the page is kept fresh (paused when hidden and not pushed to). */
  liveIndicator() {
    if (this.loadState !== "live") {
      return this.loadState;
    }
    if (this.liveMode === "live") {
      return "live";
    }
    if (document.hidden) {
      return "paused";
    }
    return this.liveMode ?? "loading";
  }

  async receivePush(name, data) {
    const panel = this.panels.find((each) => each.name === name);
    if (panel === undefined) {
      return;
    }
    if (await panel.receive(data, this.filters)) {
      this.lastUpdated = new Date();
      this.loadState = this.panels.some((each) => each.failure !== null) ? "stale" : "live";
      this.setLive(this.liveIndicator());
    }
  }

  /** Pushes replace the 30-second polling while the socket is live; polling comes back when it is not. */
  followLiveMode(mode) {
    const wasLive = this.liveMode === "live";
    this.liveMode = mode;
    if (mode === "live") {
      clearInterval(this.timer);
      this.timer = null;
    } else if (wasLive || this.timer === null) {
      // What changed while the socket was away is loaded now; then every 30 seconds.
      if (wasLive) {
        this.refresh({ quiet: true });
      }
      this.startTimer();
    }
    this.setLive(this.liveIndicator());
  }

  setLive(state) {
    this.live.dataset.state = state;
    this.liveState.dataset.i18n = `live.${state}`;
    this.liveState.textContent = t(`live.${state}`);
    if (this.lastUpdated !== null) {
      this.lastUpdatedElement.dateTime = this.lastUpdated.toISOString();
      this.lastUpdatedElement.textContent = clockTime(this.lastUpdated);
    }
  }

  startTimer() {
    clearInterval(this.timer);
    if (this.liveMode === "live") {
      this.timer = null;
      return;
    }
    this.timer = setInterval(() => this.refresh({ quiet: true }), config.refreshSeconds * 1000);
  }

  followVisibility() {
    if (document.hidden) {
      clearInterval(this.timer);
      this.timer = null;
      this.setLive(this.liveIndicator());
    } else {
      this.refresh({ quiet: true });
      this.startTimer();
    }
  }

  /** After a language or theme change: the same answers, drawn again in the new words and colours. */
  redraw() {
    for (const panel of this.panels) {
      panel.render();
    }
    this.drill?.draw();
    this.alerts.render();
    this.setLive(this.live.dataset.state);
  }
}

await startLanguage();
new Dashboard().start();
