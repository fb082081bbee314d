// The firing-alerts banner at the top of the dashboard: the alerts firing now whose rule the caller's scope covers
// (GET /api/alerts/firing), each with its figure, threshold, scope and since when. Hidden when none fire; read again
// every minute (rules are evaluated once a minute) and drawn again after a language change.

import { getJson } from "./api.js";
import { h } from "./dom.js";
import { dateTime, formatValue } from "./format.js";
import { t } from "./i18n.js";

const EVERY_MINUTE = 60 * 1000;
const FORMATS = {
  delivery_rate: "percent",
  sla_compliance: "percent",
  longest_wait_seconds: "duration",
  session_quality: "decimal",
};

function value(rule, number) {
  return number === null ? t("alerts.noData") : formatValue(FORMATS[rule.metric] ?? "count", number);
}

function alertLine(rule) {
  const scope = rule.teamId === null ? t("alerts.organisation") : t("alerts.team", { team: rule.teamName ?? rule.teamId });
  return h(
    "li",
    { "data-rule": rule.id, "data-metric": rule.metric },
    h("strong", {}, t(`alerts.metric.${rule.metric}`)),
    " ",
    h("span", { class: "alert-value", "data-field": "lastValue" }, value(rule, rule.lastValue)),
    " ",
    t(`alerts.${rule.comparison}`, { threshold: value(rule, rule.threshold) }),
    " · ",
    scope,
    " · ",
    t("alerts.since"),
    " ",
    h("time", { datetime: rule.since }, dateTime(rule.since)),
  );
}

export class FiringAlerts {
  constructor(element) {
    this.element = element;
    this.rules = [];
    this.timer = null;
  }

  start() {
    this.load();
    this.timer = setInterval(() => this.load(), EVERY_MINUTE);
  }

  async load() {
    try {
      this.rules = (await getJson("/api/alerts/firing")).rules;
    } catch {
      // The banner is an extra: a failed read leaves what was shown, and the next minute tries again.
      return;
    }
    this.render();
  }

  render() {
    this.element.hidden = this.rules.length === 0;
    this.element.replaceChildren(
      h("h2", { class: "alert-title" }, t("alerts.title", { count: this.rules.length })),
      h("ul", { class: "alert-list" }, this.rules.map(alertLine)),
    );
  }
}
