// The KPI strip (SPEC §5.1): five figures for today, each against its comparison, coloured by status where the
// specification gives one (response time against the SLA target, delivery rate). Status values double as tones.

import { badge, comparison, figure, h, infoTip } from "../core/dom.js";
import { t } from "../core/i18n.js";

/**
 * One KPI card. `window` names what it covers: "range.today" for figures of today so far, "window.now" for counts
 * as they stand now; a card beside a panel over another window (delivery today against WhatsApp's 24 hours) says so.
 */
const PRIORITIES = ["urgent", "high", "medium", "low"];

// The counts with a list behind them (docs/drill-down.md), by JSON path: the conversations active now, and the tickets
// open now.
const LISTS = {
  "activeConversations.value": () => t("kpi.activeConversations"),
  "activeConversations.byStatus.open": () => `${t("kpi.activeConversations")}: ${t("status.open")}`,
  "activeConversations.byStatus.pending": () => `${t("kpi.activeConversations")}: ${t("status.pending")}`,
  "openTickets.value": () => t("drill.openTickets"),
  ...Object.fromEntries(
    PRIORITIES.map((priority) => [`openTickets.byPriority.${priority}`, () => t("drill.openTicketsOf", { priority: t(`priority.${priority}`) })]),
  ),
};

/** The list behind the figure shown at JSON path `field`, or null when it counts no conversations. */
function drill(field, data) {
  const label = LISTS[field];
  if (label === undefined) {
    return null;
  }
  const count = field.split(".").reduce((value, key) => value[key], data);
  // The card counts tickets; the list holds them, each with the conversation behind it.
  const tickets = field.startsWith("openTickets.");
  return { figure: field, count, label, tickets, note: tickets ? "drill.ticketsNote" : null };
}

function card({ name, data, format, better, compareKey, window, status = null, extra = [], footer = [] }) {
  return h(
    "article",
    { class: "kpi", "data-kpi": name, "data-status": status },
    h("div", { class: "tile-head" }, h("h3", {}, t(`kpi.${name}`)), infoTip(`definition.kpi.${name}`, `kpi.${name}`)),
    h("span", { class: "window", "data-role": "window" }, t(window)),
    h("div", { class: "big" }, figure(`${name}.value`, format, data.value)),
    ...extra,
    comparison(name, data, format, better, compareKey),
    ...footer,
  );
}

function businessTime(business) {
  return h(
    "div",
    { class: "business-time", "data-role": "business-time" },
    breakdown([
      ["businessTime.label", figure("avgResponseTime.businessTime.value", "duration", business.value)],
      ["kpi.median", figure("avgResponseTime.businessTime.median", "duration", business.median)],
      ["kpi.p90", figure("avgResponseTime.businessTime.p90", "duration", business.p90)],
    ]),
    comparison("avgResponseTime.businessTime", business, "duration", "down", "compare.yesterday"),
  );
}

function breakdown(entries) {
  return h(
    "div",
    { class: "breakdown" },
    entries.map(([label, node]) => h("span", {}, `${t(label)} `, h("strong", {}, node))),
  );
}

export default {
  ranged: false,
  drill,
  render(data) {
    const response = data.avgResponseTime;
    const delivery = data.whatsappDeliveryRate;
    const active = data.activeConversations;
    const tickets = data.openTickets;
    return h(
      "div",
      { class: "kpis" },
      card({
        name: "activeConversations",
        data: active,
        window: "window.now",
        format: "count",
        better: null,
        compareKey: "compare.dayAgo",
        extra: [
          breakdown([
            ["status.open", figure("activeConversations.byStatus.open", "count", active.byStatus.open)],
            ["status.pending", figure("activeConversations.byStatus.pending", "count", active.byStatus.pending)],
          ]),
        ],
      }),
      card({
        name: "avgResponseTime",
        data: response,
        window: "range.today",
        format: "duration",
        better: "down",
        compareKey: "compare.yesterday",
        status: response.slaStatus,
        extra: [
          h(
            "div",
            { class: "breakdown" },
            badge("avgResponseTime.slaStatus", "sla", response.slaStatus, response.slaStatus),
            h("span", {}, `${t("kpi.target")} `, h("strong", {}, figure("avgResponseTime.slaTargetSeconds", "duration", response.slaTargetSeconds))),
          ),
          breakdown([
            ["kpi.median", figure("avgResponseTime.median", "duration", response.median)],
            ["kpi.p90", figure("avgResponseTime.p90", "duration", response.p90)],
          ]),
        ],
        // With business hours set, the same figure counted in business hours (what the SLA status judges), below the
        // figure's own comparison.
        footer: response.businessTime ? [businessTime(response.businessTime)] : [],
      }),
      card({
        name: "whatsappDeliveryRate",
        data: delivery,
        window: "range.today",
        format: "percent",
        better: "up",
        compareKey: "compare.yesterday",
        status: delivery.status,
        extra: [
          h("div", { class: "breakdown" }, badge("whatsappDeliveryRate.status", "delivery", delivery.status, delivery.status)),
        ],
      }),
      card({
        name: "openTickets",
        data: tickets,
        window: "window.now",
        format: "count",
        better: "down",
        compareKey: "compare.dayAgo",
        extra: [
          breakdown(
            PRIORITIES.map((priority) => [
              `priority.${priority}`,
              figure(`openTickets.byPriority.${priority}`, "count", tickets.byPriority[priority]),
            ]),
          ),
        ],
      }),
      card({
        name: "messagesToday",
        data: data.messagesToday,
        window: "range.today",
        format: "count",
        better: null,
        compareKey: "compare.yesterday",
      }),
    );
  },
};
