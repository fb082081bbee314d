// Automation impact (SPEC §5.6): chatbot vs hybrid vs human, auto-reply success, drop-off, escalation, the top
// intents, the agent time the bot saved, and CSAT by kind of conversation.

import { categoryRange, countAxis, DONUT, layout } from "../core/charts.js";
import { dataTable, figure, figures, h, noDataNote, tile, tiles } from "../core/dom.js";
import { formatValue } from "../core/format.js";
import { t } from "../core/i18n.js";

// The figures with the conversations behind them (docs/drill-down.md): where a count is, its list opens. Every rate's
// total is the bot-engaged conversations.
const FIGURE_LABELS = {
  "chatbotVsHuman.chatbot": "ai.chatbot",
  "chatbotVsHuman.hybrid": "ai.hybrid",
  "chatbotVsHuman.human": "ai.human",
  "autoReplySuccess.total": "ai.botEngaged",
  "autoReplySuccess.successful": "ai.successful",
  "dropOffRate.total": "ai.botEngaged",
  "dropOffRate.dropped": "ai.dropped",
  "escalationRate.total": "ai.botEngaged",
  "escalationRate.escalated": "ai.escalated",
};
const KINDS = ["chatbotVsHuman.chatbot", "chatbotVsHuman.hybrid", "chatbotVsHuman.human"];

function figureList(data, path) {
  const [parent, key] = path.split(".");
  return { figure: path, count: data[parent][key], label: () => t(FIGURE_LABELS[path]) };
}

function intentList(data, index) {
  const item = data.topIntents[index];
  return item === undefined
    ? null
    : { figure: "topIntents", bucket: item.intent, count: item.count, label: () => `${t("column.intent")}: ${item.intent}` };
}

/** The list behind the figure shown at JSON path `field`, or null when it counts no conversations. */
function drill(field, data) {
  if (field in FIGURE_LABELS) {
    return figureList(data, field);
  }
  const cell = /^topIntents\.(\d+)\.count$/.exec(field);
  return cell === null ? null : intentList(data, Number(cell[1]));
}

function split(data, chart) {
  const kinds = data.chatbotVsHuman;
  const parts = [
    ["ai.chatbot", kinds.chatbot],
    ["ai.hybrid", kinds.hybrid],
    ["ai.human", kinds.human],
  ];
  return tile(
    { title: "ai.split", definition: "definition.ai.split" },
    kinds.chatbot + kinds.hybrid + kinds.human === 0
      ? noDataNote()
      : chart("split", "ai.split", (colours) => ({
          data: [
            {
              ...DONUT,
              labels: parts.map(([label]) => t(label)),
              values: parts.map(([, count]) => count),
              marker: { colors: [colours.series[0], colours.series[3], colours.series[1]] },
            },
          ],
          layout: layout(colours, { showlegend: true, legend: { orientation: "h" } }),
        }), { size: "compact", pick: (point) => figureList(data, KINDS[point.pointNumber]) }),
    figures([
      ["ai.chatbot", figure("chatbotVsHuman.chatbot", "count", kinds.chatbot)],
      ["ai.hybrid", figure("chatbotVsHuman.hybrid", "count", kinds.hybrid)],
      ["ai.human", figure("chatbotVsHuman.human", "count", kinds.human)],
      ["ai.botShare", figure("chatbotVsHuman.percentage", "percent", kinds.percentage)],
    ]),
  );
}

/** A rate tile: the percentage large, then its numerator and the bot-engaged total. */
function rate(name, path, values, part) {
  return tile(
    { title: `ai.${name}`, definition: `definition.ai.${name}` },
    figures([["ai.rate", figure(`${path}.percentage`, "percent", values.percentage, { className: "big" })]]),
    figures([
      [`ai.${part}`, figure(`${path}.${part}`, "count", values[part])],
      ["ai.botEngaged", figure(`${path}.total`, "count", values.total)],
    ]),
  );
}

function intents(data, chart) {
  const top = data.topIntents;
  return tile(
    { title: "ai.intents", definition: "definition.ai.intents", size: "half" },
    top.length === 0
      ? noDataNote("state.noIntents")
      : chart("intents", "ai.intents", (colours, size) => ({
          data: [
            {
              type: "bar",
              orientation: "h",
              y: top.map((intent) => intent.intent),
              x: top.map((intent) => intent.count),
              text: top.map((intent) =>
                intent.successRate === null ? t("state.noData") : formatValue("percent", intent.successRate),
              ),
              hovertemplate: `%{y}: %{x}<br>${t("ai.successRate")}: %{text}<extra></extra>`,
              textposition: "none",
              marker: { color: colours.series[3] },
            },
          ],
          layout: layout(colours, {
            xaxis: countAxis(top.map((intent) => intent.count)),
            yaxis: { range: categoryRange(top.length, size.height, true), rangemode: "normal" },
          }),
        }), { pick: (point) => intentList(data, point.pointIndex) }),
    top.length === 0
      ? null
      : dataTable({
          id: "ai-intents",
          path: "topIntents",
          rows: top,
          caption: "ai.intents",
          columns: [
            { key: "intent", label: "column.intent", format: "text" },
            { key: "count", label: "ce.conversations", format: "count", numeric: true },
            { key: "successRate", label: "ai.successRate", format: "percent", numeric: true },
          ],
        }),
  );
}

function timeSaved(data) {
  const saved = data.timeSaved;
  return tile(
    { title: "ai.timeSaved", definition: "definition.ai.timeSaved" },
    figures([
      [
        "ai.hours",
        h("span", { class: "big" }, figure("timeSaved.hours", "decimal", saved.hours), h("span", { class: "unit" }, ` ${t("unit.hours")}`)),
      ],
      ["ai.estimatedCost", figure("timeSaved.estimatedCost", "money", saved.estimatedCost, { currency: saved.currency })],
      [
        "ai.minutesPerConversation",
        h("span", {}, figure("timeSaved.minutesPerConversation", "decimal", saved.minutesPerConversation), h("span", { class: "unit" }, ` ${t("unit.minutes")}`)),
      ],
    ]),
  );
}

function csat(data, chart) {
  const scores = data.csatComparison;
  const kinds = [
    ["ai.chatbot", "botOnly"],
    ["ai.hybrid", "hybrid"],
    ["ai.human", "humanOnly"],
  ];
  return tile(
    { title: "ai.csat", definition: "definition.ai.csat" },
    kinds.every(([, key]) => scores[key] === null)
      ? noDataNote()
      : chart("csat", "ai.csat", (colours, size) => ({
          data: [
            {
              type: "bar",
              x: kinds.map(([label]) => t(label)),
              y: kinds.map(([, key]) => scores[key]),
              marker: { color: [colours.series[0], colours.series[3], colours.series[1]] },
              hovertemplate: "%{x}: %{y}<extra></extra>",
            },
          ],
          layout: layout(colours, {
            xaxis: { range: categoryRange(kinds.length, size.width) },
            yaxis: { range: [0, 5], dtick: 1, rangemode: "normal" },
          }),
        }), { size: "compact" }),
    figures(kinds.map(([label, key]) => [label, figure(`csatComparison.${key}`, "decimal", scores[key])])),
  );
}

export default {
  ranged: true,
  defaultRange: "30d",
  drill,
  isEmpty: (data) => data.chatbotVsHuman.chatbot + data.chatbotVsHuman.hybrid + data.chatbotVsHuman.human === 0,
  render(data, { chart }) {
    return tiles(
      split(data, chart),
      rate("autoReply", "autoReplySuccess", data.autoReplySuccess, "successful"),
      rate("escalation", "escalationRate", data.escalationRate, "escalated"),
      intents(data, chart),
      rate("dropOff", "dropOffRate", data.dropOffRate, "dropped"),
      timeSaved(data),
      csat(data, chart),
    );
  },
};
