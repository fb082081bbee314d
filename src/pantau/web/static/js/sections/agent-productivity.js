// Agent productivity (SPEC §5.5): who is online, the workload balance, and the sortable agent table with status and
// its duration, score and rank, and the workload label. An agent sees their own row only (the API decides).

import { badge, figure, figures, h, noDataNote, table, tile, tiles } from "../core/dom.js";
import { t } from "../core/i18n.js";

const STATUS_TONES = { online: "good", away: "warning", offline: null };
const WORKLOAD_TONES = { balanced: "good", overloaded: "critical", underutilized: "warning" };

// The agent table's counts with conversations behind them (docs/drill-down.md): chats handled and resolved (the range's
// cohort) and the open load (open or pending now), each the list of that person's conversations.
const AGENT_COUNTS = { chatsHandled: "column.chats", resolved: "ce.resolved", openLoad: "column.openLoad" };

/** The list behind the figure shown at JSON path `field`, or null when it counts no conversations. */
function drill(field, data) {
  const cell = /^agentMetrics\.(\d+)\.(chatsHandled|resolved|openLoad)$/.exec(field);
  const agent = cell === null ? undefined : data.agentMetrics[Number(cell[1])];
  if (agent === undefined) {
    return null;
  }
  const count = cell[2];
  return {
    figure: `agentMetrics.${count}`,
    bucket: agent.agentId,
    count: agent[count],
    label: () => `${agent.agentName}: ${t(AGENT_COUNTS[count])}`,
  };
}

function summary(data) {
  const statuses = data.statusSummary;
  const workloads = data.workloadDistribution;
  return [
    tile(
      { title: "ap.status", definition: "definition.ap.status" },
      figures(
        ["online", "away", "offline"].map((status) => [`agentStatus.${status}`, figure(`statusSummary.${status}`, "count", statuses[status], { className: "big" })]),
      ),
    ),
    tile(
      { title: "ap.workload", definition: "definition.ap.workload" },
      figures(
        ["balanced", "overloaded", "underutilized"].map((workload) => [
          `workload.${workload}`,
          figure(`workloadDistribution.${workload}`, "count", workloads[workload], { className: "big" }),
        ]),
      ),
      judged(data) ? null : h("p", { class: "unit", "data-role": "workload-not-judged" }, t("ap.workloadNotJudged")),
    ),
  ];
}

/** Whether the API labelled the rows' workload (it does not with too few people or chats to judge). */
function judged(data) {
  return data.agentMetrics.some((row) => row.workload !== null);
}

function workloadCell(row, index) {
  if (row.workload === null) {
    const element = figure(`agentMetrics.${index}.workload`, "enum:workload", null, { nullKey: "table.noData" });
    element.title = t("ap.notJudged");
    return element;
  }
  return badge(`agentMetrics.${index}.workload`, "workload", row.workload, WORKLOAD_TONES[row.workload]);
}

function statusCell(row, index) {
  return h(
    "span",
    { class: "stack" },
    badge(`agentMetrics.${index}.status`, "agentStatus", row.status, STATUS_TONES[row.status]),
    h("span", { class: "unit" }, figure(`agentMetrics.${index}.statusDuration`, "duration", row.statusDuration, { nullKey: "ap.noOpenLog" })),
  );
}

function agents(data) {
  return tile(
    { title: "ap.agents", definition: "definition.ap.agents", size: "wide" },
    data.agentMetrics.length === 0
      ? noDataNote("state.noAgents")
      : table({
          id: "ap-agents",
          path: "agentMetrics",
          rows: data.agentMetrics,
          caption: "ap.agents",
          sortable: true,
          rowHead: "agentName",
          columns: [
            { key: "rank", label: "column.rank", format: "count", numeric: true },
            { key: "agentName", label: "column.agent", format: "text" },
            { key: "productivityScore", label: "column.score", format: "count", numeric: true },
            { key: "status", label: "column.status", cell: statusCell },
            { key: "chatsHandled", label: "column.chats", format: "count", numeric: true },
            { key: "resolved", label: "ce.resolved", format: "count", numeric: true },
            { key: "resolutionRate", label: "ce.resolutionRate", format: "percent", numeric: true },
            { key: "avgResponseTime", label: "ce.avgResponse", format: "duration", numeric: true },
            ...(data.agentMetrics.some((agent) => agent.businessTime)
              ? [{ key: "businessTime.avgResponseTime", label: "ce.avgResponseBusiness", format: "duration", numeric: true }]
              : []),
            { key: "avgHandlingTime", label: "column.handling", format: "duration", numeric: true },
            { key: "messagesSent", label: "wa.messagesSent", format: "count", numeric: true },
            { key: "activeTime", label: "column.online", format: "duration", numeric: true },
            { key: "idleTime", label: "column.away", format: "duration", numeric: true },
            { key: "openLoad", label: "column.openLoad", format: "count", numeric: true },
            { key: "csat", label: "column.csat", format: "decimal", numeric: true },
            { key: "workload", label: "column.workload", cell: workloadCell },
          ],
        }),
  );
}

export default {
  ranged: true,
  defaultRange: "today",
  drill,
  render(data) {
    return tiles(...summary(data), agents(data));
  },
};
