// Conversation effectiveness (SPEC §5.2): conversations per agent (red bars above the SLA target), response time
// over time, SLA compliance, resolved vs open, the average handling time, messages per conversation, the
// first-response distribution, and the cohort against last period.

import { categoryRange, countAxis, DONUT, layout } from "../core/charts.js";
import { comparison, dataTable, figure, figures, h, noDataNote, tile, tiles } from "../core/dom.js";
import { bucketGranularity, duration, wallClock } from "../core/format.js";
import { t } from "../core/i18n.js";

// The figures with the conversations behind them (docs/drill-down.md): where a count is, its list opens.
const FIGURE_LABELS = {
  "totals.value": "ce.conversations",
  "resolvedVsOpen.resolved": "ce.resolved",
  "resolvedVsOpen.open": "ce.open",
  "slaCompliance.compliant": "ce.compliant",
  "slaCompliance.nonCompliant": "ce.nonCompliant",
  "slaCompliance.pending": "ce.pending",
};

function figureList(data, path) {
  const [parent, key] = path.split(".");
  return { figure: path, count: data[parent][key], label: () => t(FIGURE_LABELS[path]) };
}

function agentList(data, index) {
  const agent = data.conversationsPerAgent[index];
  return agent === undefined
    ? null
    : {
        figure: "conversationsPerAgent",
        bucket: agent.agentId,
        count: agent.count,
        label: () => agent.agentName,
      };
}

function bucketList(data, index) {
  const bucket = data.firstResponseDistribution[index];
  return bucket === undefined
    ? null
    : {
        figure: "firstResponseDistribution",
        bucket: bucket.bucket,
        count: bucket.count,
        label: () => `${t("column.delay")}: ${t(`frt.${bucket.bucket}`)}`,
      };
}

/** The list behind the figure shown at JSON path `field`, or null when it counts no conversations. */
function drill(field, data) {
  if (field in FIGURE_LABELS) {
    return figureList(data, field);
  }
  const cell = /^(conversationsPerAgent|firstResponseDistribution)\.(\d+)\.count$/.exec(field);
  if (cell === null) {
    return null;
  }
  return cell[1] === "conversationsPerAgent" ? agentList(data, Number(cell[2])) : bucketList(data, Number(cell[2]));
}

function perAgent(data, chart) {
  const agents = data.conversationsPerAgent;
  const body = agents.length
    ? [
        chart("per-agent", "ce.perAgent", (colours, size) => ({
          data: [
            {
              type: "bar",
              // By id, labelled by name: two people may share a name, never an id.
              x: agents.map((agent) => agent.agentId),
              y: agents.map((agent) => agent.count),
              customdata: agents.map((agent) => agent.agentName),
              marker: { color: agents.map((agent) => (agent.belowThreshold ? colours.critical : colours.series[0])) },
              text: agents.map((agent) =>
                agent.avgResponseTime === null ? t("state.noData") : duration(agent.avgResponseTime),
              ),
              hovertemplate: `%{customdata}<br>${t("ce.count")}: %{y}<br>${t("ce.avgResponse")}: %{text}<extra></extra>`,
              textposition: "none",
            },
          ],
          layout: layout(colours, {
            xaxis: {
              type: "category",
              tickmode: "array",
              tickvals: agents.map((agent) => agent.agentId),
              ticktext: agents.map((agent) => agent.agentName),
              tickangle: agents.length > 8 ? -40 : 0,
              range: categoryRange(agents.length, size.width),
            },
            yaxis: countAxis(agents.map((agent) => agent.count)),
          }),
        }), { pick: (point) => agentList(data, agents.findIndex((agent) => agent.agentId === point.x)) }),
        h("p", { class: "unit" }, t("ce.legend")),
        dataTable({
          id: "ce-agents",
          path: "conversationsPerAgent",
          rows: agents,
          caption: "ce.perAgent",
          sortable: true,
          rowHead: "agentName",
          columns: [
            { key: "agentName", label: "column.agent", format: "text" },
            { key: "count", label: "ce.count", format: "count", numeric: true },
            { key: "avgResponseTime", label: "ce.avgResponse", format: "duration", numeric: true },
            { key: "resolved", label: "ce.resolved", format: "count", numeric: true },
            { key: "resolutionRate", label: "ce.resolutionRate", format: "percent", numeric: true },
            { key: "slaCompliance", label: "ce.slaCompliance", format: "percent", numeric: true },
            { key: "belowThreshold", label: "ce.belowThreshold", format: "enum:belowThreshold" },
            // With business hours set, the mean first response counted in business hours.
            ...(agents.some((agent) => agent.businessTime)
              ? [{ key: "businessTime.avgResponseTime", label: "ce.avgResponseBusiness", format: "duration", numeric: true }]
              : []),
          ],
        }),
      ]
    : [noDataNote("state.noAgents")];
  return tile({ title: "ce.perAgent", definition: "definition.ce.perAgent", size: "wide" }, ...body);
}

function overTime(data, chart) {
  const series = data.avgResponseTimeOverTime;
  const step = bucketGranularity(data.range, 48);
  const target = data.slaCompliance.targetSeconds;
  const answered = series.some((bucket) => bucket.avgSeconds !== null);
  const body = [
    answered
      ? chart("over-time", "ce.overTime", (colours) => ({
          data: [
            {
              type: "scatter",
              mode: "lines+markers",
              x: series.map((bucket) => wallClock(bucket.timestamp)),
              y: series.map((bucket) => (bucket.avgSeconds === null ? null : bucket.avgSeconds / 60)),
              text: series.map((bucket) => (bucket.avgSeconds === null ? t("state.noData") : duration(bucket.avgSeconds))),
              hovertemplate: "%{x}<br>%{text}<extra></extra>",
              line: { color: colours.series[0], width: 2 },
              connectgaps: false,
            },
          ],
          layout: layout(colours, {
            xaxis: { type: "date" },
            yaxis: { title: { text: t("chart.minutes") } },
            shapes: [
              {
                type: "line",
                xref: "paper",
                x0: 0,
                x1: 1,
                y0: target / 60,
                y1: target / 60,
                line: { color: colours.critical, dash: "dash", width: 1 },
              },
            ],
          }),
        }))
      : noDataNote(),
    dataTable({
      id: "ce-over-time",
      path: "avgResponseTimeOverTime",
      rows: series,
      caption: "ce.overTime",
      columns: [
        { key: "timestamp", label: "column.time", format: `bucket-${step}` },
        { key: "avgSeconds", label: "ce.avgResponse", format: "duration", numeric: true },
        { key: "count", label: "ce.answered", format: "count", numeric: true },
        ...(series.some((bucket) => bucket.businessTime)
          ? [{ key: "businessTime.avgSeconds", label: "ce.avgResponseBusiness", format: "duration", numeric: true }]
          : []),
      ],
    }),
  ];
  return tile({ title: "ce.overTime", definition: "definition.ce.overTime", size: "half" }, ...body);
}

function sla(data, chart) {
  const compliance = data.slaCompliance;
  return tile(
    { title: "ce.sla", definition: "definition.ce.sla" },
    compliance.percentage === null
      ? noDataNote()
      : chart("sla", "ce.sla", (colours) => ({
          data: [
            {
              type: "indicator",
              mode: "gauge+number",
              value: compliance.percentage,
              number: { suffix: "%", valueformat: ".1f", font: { size: 32 } },
              gauge: {
                axis: { range: [0, 100], tickcolor: colours.muted },
                bar: { color: colours.series[0] },
                bgcolor: colours.surface,
                bordercolor: colours.line,
              },
            },
          ],
          layout: layout(colours, { margin: { l: 32, r: 32, t: 16, b: 4 } }),
        }), { size: "compact" }),
    figures([
      ["ce.slaPercentage", figure("slaCompliance.percentage", "percent", compliance.percentage)],
      ["ce.compliant", figure("slaCompliance.compliant", "count", compliance.compliant)],
      ["ce.nonCompliant", figure("slaCompliance.nonCompliant", "count", compliance.nonCompliant)],
      ["ce.pending", figure("slaCompliance.pending", "count", compliance.pending)],
      ["kpi.target", figure("slaCompliance.targetSeconds", "duration", compliance.targetSeconds)],
    ]),
  );
}

function resolvedVsOpen(data, chart) {
  const split = data.resolvedVsOpen;
  return tile(
    { title: "ce.resolvedVsOpen", definition: "definition.ce.resolvedVsOpen" },
    split.resolved + split.open === 0
      ? noDataNote()
      : chart("resolved", "ce.resolvedVsOpen", (colours) => ({
          data: [
            {
              ...DONUT,
              labels: [t("ce.resolved"), t("ce.open")],
              values: [split.resolved, split.open],
              marker: { colors: [colours.series[0], colours.series[2]] },
            },
          ],
          layout: layout(colours, { showlegend: true, legend: { orientation: "h" } }),
        }), { size: "compact", pick: (point) => figureList(data, ["resolvedVsOpen.resolved", "resolvedVsOpen.open"][point.pointNumber]) }),
    figures([
      ["ce.resolved", figure("resolvedVsOpen.resolved", "count", split.resolved)],
      ["ce.open", figure("resolvedVsOpen.open", "count", split.open)],
      ["ce.resolvedShare", figure("resolvedVsOpen.percentage", "percent", split.percentage)],
    ]),
  );
}

function distribution(data, chart) {
  const buckets = data.firstResponseDistribution;
  return tile(
    { title: "ce.distribution", definition: "definition.ce.distribution" },
    buckets.every((bucket) => bucket.count === 0)
      ? noDataNote()
      : chart("distribution", "ce.distribution", (colours) => ({
          data: [
            {
              type: "bar",
              orientation: "h",
              y: buckets.map((bucket) => t(`frt.${bucket.bucket}`)),
              x: buckets.map((bucket) => bucket.count),
              marker: {
                color: buckets.map((bucket) => (bucket.bucket === "unanswered" ? colours.critical : colours.series[1])),
              },
              hovertemplate: "%{y}: %{x}<extra></extra>",
            },
          ],
          layout: layout(colours, {
            xaxis: countAxis(buckets.map((bucket) => bucket.count)),
            yaxis: { autorange: "reversed", rangemode: "normal" },
          }),
        }), { pick: (point) => bucketList(data, point.pointIndex) }),
    dataTable({
      id: "ce-distribution",
      path: "firstResponseDistribution",
      rows: buckets,
      caption: "ce.distribution",
      columns: [
        { key: "bucket", label: "column.delay", format: "enum:frt" },
        { key: "count", label: "ce.conversations", format: "count", numeric: true },
      ],
    }),
  );
}

function totals(data) {
  return tile(
    { title: "ce.totals", definition: "definition.ce.totals" },
    figures([["ce.conversations", figure("totals.value", "count", data.totals.value, { className: "big" })]]),
    comparison("totals", data.totals, "count", null, "compare.previousPeriod"),
  );
}

function handling(data) {
  const handled = data.handlingTime;
  return tile(
    { title: "ce.handling", definition: "definition.ce.handling" },
    figures([
      ["ce.avgHandling", figure("handlingTime.avgSeconds", "duration", handled.avgSeconds, { className: "big" })],
      ["ce.handled", figure("handlingTime.count", "count", handled.count)],
    ]),
  );
}

function messagesPerConversation(data) {
  const messages = data.messagesPerConversation;
  return tile(
    { title: "ce.messages", definition: "definition.ce.messages" },
    figures([
      ["ce.inboundPerConversation", figure("messagesPerConversation.inbound", "decimal", messages.inbound)],
      ["ce.outboundPerConversation", figure("messagesPerConversation.outbound", "decimal", messages.outbound)],
      ["ce.inboundMessages", figure("messagesPerConversation.inboundMessages", "count", messages.inboundMessages)],
      ["ce.outboundMessages", figure("messagesPerConversation.outboundMessages", "count", messages.outboundMessages)],
      ["ce.conversations", figure("messagesPerConversation.conversations", "count", messages.conversations)],
    ]),
  );
}

export default {
  ranged: true,
  defaultRange: "today",
  drill,
  isEmpty: (data) => data.totals.value === 0,
  render(data, { chart }) {
    return tiles(
      totals(data),
      sla(data, chart),
      resolvedVsOpen(data, chart),
      handling(data),
      messagesPerConversation(data),
      perAgent(data, chart),
      overTime(data, chart),
      distribution(data, chart),
    );
  },
};
