// WhatsApp performance (SPEC §5.3): the alert when delivery falls below the threshold, the sent → delivered → read
// funnel, broadcasts, failed messages and their reasons, the sessions, and the queue.

import { layout } from "../core/charts.js";
import { badge, figure, figures, h, noDataNote, table, tile, tiles } from "../core/dom.js";
import { formatValue } from "../core/format.js";
import { t } from "../core/i18n.js";

const SESSION_TONES = { connected: "good", connecting: "warning", disconnected: "critical" };
const QUALITY_TONES = { GREEN: "good", YELLOW: "warning", RED: "critical" };

/** The alert over the panel's range, which it names: the KPI strip's delivery rate covers today only. */
function deliveryAlert(alert, covered) {
  return h(
    "div",
    { class: "delivery-alert", "data-active": String(alert.active), role: alert.active ? "alert" : null },
    h("strong", {}, figure("deliveryAlert.active", "enum:alert", alert.active)),
    h(
      "span",
      {},
      `${t("wa.alertRate")} `,
      h("span", { class: "window", "data-role": "window" }, covered),
      " ",
      figure("deliveryAlert.rate", "percent", alert.rate),
      ` · ${t("wa.alertThreshold")} `,
      figure("deliveryAlert.threshold", "percent", alert.threshold),
    ),
  );
}

function funnel(data, chart) {
  const funnelData = data.messageFunnel;
  const stages = [
    ["wa.sent", funnelData.sent],
    ["wa.delivered", funnelData.delivered],
    ["wa.read", funnelData.read],
  ];
  return tile(
    { title: "wa.funnel", definition: "definition.wa.funnel", size: "half" },
    funnelData.sent + funnelData.failed + funnelData.queued === 0
      ? noDataNote()
      : chart("funnel", "wa.funnel", (colours) => ({
          data: [
            {
              type: "funnel",
              y: stages.map(([label]) => t(label)),
              x: stages.map(([, count]) => count),
              text: stages.map(([, count]) => formatValue("count", count)),
              textinfo: "text",
              hovertemplate: "%{y}: %{text}<extra></extra>",
              marker: { color: [colours.series[1], colours.series[0], colours.good] },
              connector: { fillcolor: colours.line, line: { color: colours.line } },
            },
          ],
          layout: layout(colours, { yaxis: { rangemode: "normal" } }),
        })),
    figures([
      ["wa.queued", figure("messageFunnel.queued", "count", funnelData.queued)],
      ["wa.sent", figure("messageFunnel.sent", "count", funnelData.sent)],
      ["wa.delivered", figure("messageFunnel.delivered", "count", funnelData.delivered)],
      ["wa.read", figure("messageFunnel.read", "count", funnelData.read)],
      ["wa.failed", figure("messageFunnel.failed", "count", funnelData.failed)],
      ["wa.deliveryRate", figure("messageFunnel.deliveryRate", "percent", funnelData.deliveryRate)],
      ["wa.readRate", figure("messageFunnel.readRate", "percent", funnelData.readRate)],
    ]),
  );
}

function broadcastSuccess(data) {
  const success = data.broadcastSuccessRate;
  return tile(
    { title: "wa.broadcastSuccess", definition: "definition.wa.broadcastSuccess" },
    figures([["wa.successRate", figure("broadcastSuccessRate.percentage", "percent", success.percentage, { className: "big" })]]),
    figures([
      ["wa.messages", figure("broadcastSuccessRate.total", "count", success.total)],
      ["wa.successful", figure("broadcastSuccessRate.successful", "count", success.successful)],
      ["wa.failed", figure("broadcastSuccessRate.failed", "count", success.failed)],
      ["wa.pending", figure("broadcastSuccessRate.pending", "count", success.pending)],
    ]),
  );
}

function queue(data) {
  const metrics = data.queueMetrics;
  return tile(
    { title: "wa.queue", definition: "definition.wa.queue" },
    figures([
      ["wa.depth", figure("queueMetrics.depth", "count", metrics.depth, { className: "big" })],
      ["wa.oldest", figure("queueMetrics.oldestQueuedSeconds", "duration", metrics.oldestQueuedSeconds)],
      ["wa.processingRate", h("span", {}, figure("queueMetrics.processingRate", "decimal", metrics.processingRate), h("span", { class: "unit" }, ` ${t("unit.perMinute")}`))],
      ["wa.queueWait", figure("queueMetrics.avgQueueWaitSeconds", "duration", metrics.avgQueueWaitSeconds)],
    ]),
  );
}

function broadcasts(data) {
  return tile(
    { title: "wa.broadcasts", definition: "definition.wa.broadcasts", size: "half" },
    data.broadcasts.length === 0
      ? noDataNote("state.noBroadcasts")
      : table({
          id: "wa-broadcasts",
          path: "broadcasts",
          rows: data.broadcasts,
          caption: "wa.broadcasts",
          sortable: true,
          rowHead: "name",
          columns: [
            { key: "name", label: "column.broadcast", format: "text" },
            { key: "total", label: "wa.messages", format: "count", numeric: true },
            { key: "sent", label: "wa.sent", format: "count", numeric: true },
            { key: "delivered", label: "wa.delivered", format: "count", numeric: true },
            { key: "read", label: "wa.read", format: "count", numeric: true },
            { key: "failed", label: "wa.failed", format: "count", numeric: true },
            { key: "replied", label: "wa.replied", format: "count", numeric: true },
          ],
        }),
  );
}

function failures(data) {
  return [
    tile(
      { title: "wa.failedMessages", definition: "definition.wa.failedMessages", size: "half" },
      data.failedMessages.length === 0
        ? noDataNote("state.noFailures")
        : table({
            id: "wa-failed",
            path: "failedMessages",
            rows: data.failedMessages,
            caption: "wa.failedMessages",
            scroll: true,
            columns: [
              { key: "timestamp", label: "column.time", format: "datetime" },
              { key: "recipient", label: "column.recipient", format: "text", wrap: false },
              { key: "errorCode", label: "column.errorCode", format: "code" },
              { key: "error", label: "column.error", format: "text" },
              {
                key: "broadcastName",
                label: "column.broadcast",
                wrap: true,
                cell: (row, index) =>
                  figure(`failedMessages.${index}.broadcastName`, "text", row.broadcastName, { nullKey: "wa.direct" }),
              },
            ],
          }),
    ),
    tile(
      { title: "wa.failureReasons", definition: "definition.wa.failureReasons", size: "half" },
      data.failureReasons.length === 0
        ? noDataNote("state.noFailures")
        : table({
            id: "wa-reasons",
            path: "failureReasons",
            rows: data.failureReasons,
            caption: "wa.failureReasons",
            columns: [
              { key: "errorCode", label: "column.errorCode", format: "code" },
              { key: "error", label: "column.error", format: "text" },
              { key: "count", label: "wa.messages", format: "count", numeric: true },
            ],
          }),
    ),
  ];
}

function sessions(data) {
  return tile(
    { title: "wa.sessions", definition: "definition.wa.sessions", size: "wide" },
    data.activeSessions.length === 0
      ? noDataNote("state.noSessions")
      : table({
          id: "wa-sessions",
          path: "activeSessions",
          rows: data.activeSessions,
          caption: "wa.sessions",
          sortable: true,
          rowHead: "displayName",
          columns: [
            { key: "displayName", label: "column.session", format: "text" },
            { key: "phoneNumber", label: "column.phone", format: "text", wrap: false },
            {
              key: "status",
              label: "column.status",
              cell: (row, index) => badge(`activeSessions.${index}.status`, "session", row.status, SESSION_TONES[row.status]),
            },
            {
              key: "qualityRating",
              label: "column.quality",
              cell: (row, index) =>
                badge(`activeSessions.${index}.qualityRating`, "quality", row.qualityRating, QUALITY_TONES[row.qualityRating]),
            },
            { key: "lastSeen", label: "column.lastSeen", format: "datetime" },
            { key: "messagesSent", label: "wa.messagesSent", format: "count", numeric: true },
          ],
        }),
  );
}

export default {
  ranged: true,
  defaultRange: "24h",
  render(data, { chart, covered }) {
    return h(
      "div",
      {},
      deliveryAlert(data.deliveryAlert, covered),
      tiles(funnel(data, chart), queue(data), broadcastSuccess(data), failures(data), broadcasts(data), sessions(data)),
    );
  },
};
