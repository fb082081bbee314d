// Customer load (SPEC §5.4): incoming chats with the peak marked, new vs returning customers, waits at peak and
// off-peak hours, the week as a 7 × 24 heatmap, and the busiest hour to expect next.

import { countAxis, layout } from "../core/charts.js";
import { dataTable, figure, figures, h, noDataNote, tableFrame, tile, tiles } from "../core/dom.js";
import { bucketGranularity, bucketLabel, formatValue, wallClock, weekdayNames } from "../core/format.js";
import { t } from "../core/i18n.js";

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

// The figures with the conversations behind them (docs/drill-down.md): where a count is, its list opens.
const CONTACT_LABELS = { "newVsReturning.new": "cl.newCustomers", "newVsReturning.returning": "cl.returningCustomers" };

function incomingList(data, index) {
  const bucket = data.incomingChatsPerHour[index];
  const step = bucketGranularity(data.range, 7 * 24);
  return bucket === undefined
    ? null
    : {
        figure: "incomingChatsPerHour",
        bucket: bucket.timestamp,
        count: bucket.count,
        label: () => `${t("cl.incoming")}: ${bucketLabel(bucket.timestamp, step)}`,
      };
}

function peakList(data) {
  const peak = data.peakHour;
  const step = bucketGranularity(data.range, 7 * 24);
  return peak === null
    ? null
    : {
        figure: "peakHour",
        count: peak.count,
        label: () => `${t("cl.peakHour")}: ${bucketLabel(peak.timestamp, step)}`,
      };
}

function cellList(data, index) {
  const cell = data.heatmap[index];
  return cell === undefined
    ? null
    : {
        figure: "heatmap",
        bucket: `${cell.dayOfWeek}-${cell.hour}`,
        count: cell.count,
        label: () => `${weekdayNames()[cell.dayOfWeek]} ${formatValue("hour", cell.hour)}`,
      };
}

function contactList(data, field) {
  const [parent, key] = field.split(".");
  return { figure: field, count: data[parent][key], label: () => t(CONTACT_LABELS[field]) };
}

/** What a click on a chart opens: the list, unless it holds no conversation. */
function nonEmpty(target) {
  return target !== null && target.count > 0 ? target : null;
}

/** The list behind the figure shown at JSON path `field`, or null when it counts no conversations. */
function drill(field, data) {
  if (field in CONTACT_LABELS) {
    return contactList(data, field);
  }
  if (field === "peakHour.count") {
    return peakList(data);
  }
  const item = /^(incomingChatsPerHour|heatmap)\.(\d+)\.count$/.exec(field);
  if (item === null) {
    return null;
  }
  return item[1] === "heatmap" ? cellList(data, Number(item[2])) : incomingList(data, Number(item[2]));
}

function incoming(data, chart) {
  const series = data.incomingChatsPerHour;
  const step = bucketGranularity(data.range, 7 * 24);
  const peak = data.peakHour;
  return tile(
    { title: "cl.incoming", definition: "definition.cl.incoming", size: "half" },
    series.every((bucket) => bucket.count === 0)
      ? noDataNote()
      : chart("incoming", "cl.incoming", (colours) => ({
          data: [
            {
              type: "scatter",
              mode: "lines",
              fill: "tozeroy",
              x: series.map((bucket) => wallClock(bucket.timestamp)),
              y: series.map((bucket) => bucket.count),
              line: { color: colours.series[0], width: 2, shape: "hv" },
              hovertemplate: "%{x}<br>%{y}<extra></extra>",
            },
            {
              type: "scatter",
              mode: "markers",
              x: [wallClock(peak.timestamp)],
              y: [peak.count],
              marker: { color: colours.critical, size: 10, symbol: "diamond" },
              hovertemplate: `${t("cl.peak")}: %{y}<extra></extra>`,
            },
          ],
          layout: layout(colours, {
            xaxis: { type: "date" },
            yaxis: countAxis(series.map((bucket) => bucket.count)),
            annotations: [
              {
                x: wallClock(peak.timestamp),
                y: peak.count,
                text: t("cl.peak"),
                showarrow: true,
                arrowcolor: colours.critical,
                font: { color: colours.critical },
                ay: -24,
              },
            ],
          }),
        }), { pick: (point) => nonEmpty(point.curveNumber === 1 ? peakList(data) : incomingList(data, point.pointIndex)) }),
    dataTable({
      id: "cl-incoming",
      path: "incomingChatsPerHour",
      rows: series,
      caption: "cl.incoming",
      columns: [
        { key: "timestamp", label: "column.time", format: `bucket-${step}` },
        { key: "hour", label: "column.hour", format: "text" },
        { key: "count", label: "cl.chats", format: "count", numeric: true },
      ],
    }),
  );
}

function peakHour(data) {
  const peak = data.peakHour;
  return tile(
    { title: "cl.peakHour", definition: "definition.cl.peakHour" },
    peak === null
      ? figures([["cl.peak", figure("peakHour", "text", null)]])
      : figures([
          ["cl.peakHour", figure("peakHour.hour", "text", peak.hour, { className: "big" })],
          ["column.time", figure("peakHour.timestamp", "datetime", peak.timestamp)],
          ["cl.chats", figure("peakHour.count", "count", peak.count)],
        ]),
  );
}

function customers(data) {
  const split = data.newVsReturning;
  return tile(
    { title: "cl.newVsReturning", definition: "definition.cl.newVsReturning" },
    figures([
      ["cl.returningShare", figure("newVsReturning.percentageReturning", "percent", split.percentageReturning, { className: "big" })],
    ]),
    figures([
      ["cl.new", figure("newVsReturning.new", "count", split.new)],
      ["cl.returning", figure("newVsReturning.returning", "count", split.returning)],
    ]),
  );
}

function waits(data) {
  const wait = data.avgWaitTime;
  return tile(
    { title: "cl.wait", definition: "definition.cl.wait" },
    figures([
      ["cl.peakWait", figure("avgWaitTime.peak", "duration", wait.peak, { className: "big" })],
      ["cl.offPeakWait", figure("avgWaitTime.offPeak", "duration", wait.offPeak, { className: "big" })],
    ]),
    // With business hours set, the same waits counted in business hours.
    wait.businessTime
      ? h(
          "p",
          { class: "unit", "data-role": "business-time" },
          `${t("businessTime.label")}: ${t("cl.peakWait")} `,
          figure("avgWaitTime.businessTime.peak", "duration", wait.businessTime.peak),
          ` · ${t("cl.offPeakWait")} `,
          figure("avgWaitTime.businessTime.offPeak", "duration", wait.businessTime.offPeak),
        )
      : null,
    h(
      "p",
      { class: "unit" },
      `${t("cl.peakHours")}: `,
      wait.peakHours.flatMap((span, index) => [
        index ? ", " : "",
        figure(`avgWaitTime.peakHours.${index}.start`, "hour", span.start),
        "–",
        figure(`avgWaitTime.peakHours.${index}.end`, "hour", span.end),
      ]),
    ),
  );
}

function forecast(data) {
  const next = data.nextPeakForecast;
  return tile(
    { title: "cl.forecast", definition: "definition.cl.forecast" },
    next === null
      ? figures([["cl.forecastAt", figure("nextPeakForecast", "text", null, { nullKey: "cl.noHistory" })]])
      : figures([
          ["cl.forecastAt", figure("nextPeakForecast.hour", "text", next.hour, { className: "big" })],
          ["column.time", figure("nextPeakForecast.timestamp", "datetime", next.timestamp)],
          ["cl.expected", figure("nextPeakForecast.expectedCount", "decimal", next.expectedCount)],
          ["cl.basisWeeks", figure("nextPeakForecast.basisWeeks", "count", next.basisWeeks)],
        ]),
  );
}

function heatmap(data, chart) {
  const days = weekdayNames();
  const counts = days.map(() => HOURS.map(() => 0));
  const positions = days.map(() => HOURS.map(() => null));
  data.heatmap.forEach((cell, index) => {
    counts[cell.dayOfWeek][cell.hour] = cell.count;
    positions[cell.dayOfWeek][cell.hour] = index;
  });
  const hourLabels = HOURS.map((hour) => formatValue("hour", hour));
  return tile(
    { title: "cl.heatmap", definition: "definition.cl.heatmap", size: "wide" },
    chart(
      "heatmap",
      "cl.heatmap",
      (colours) => ({
        data: [
          {
            type: "heatmap",
            x: hourLabels,
            y: days,
            z: counts,
            colorscale: [
              [0, colours.heat[0]],
              [1, colours.heat[1]],
            ],
            xgap: 2,
            ygap: 2,
            hovertemplate: "%{y} %{x}: %{z}<extra></extra>",
            showscale: false,
          },
        ],
        layout: layout(colours, {
          yaxis: { autorange: "reversed", rangemode: "normal", gridcolor: "rgba(0,0,0,0)" },
          xaxis: { gridcolor: "rgba(0,0,0,0)" },
        }),
      }),
      { pick: (point) => nonEmpty(cellList(data, positions[days.indexOf(point.y)]?.[hourLabels.indexOf(point.x)] ?? -1)) },
    ),
    h(
      "details",
      { class: "data" },
      h("summary", {}, t("chart.dataTable")),
      tableFrame(
        h(
          "table",
          { class: "heat" },
          h("caption", { class: "sr-only" }, t("cl.heatmap")),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("column.day")), hourLabels.map((label) => h("th", { scope: "col" }, label)))),
          h(
            "tbody",
            {},
            days.map((day, dayIndex) =>
              h(
                "tr",
                {},
                h("th", { scope: "row", class: "row-head" }, day),
                HOURS.map((hour) => {
                  const index = positions[dayIndex][hour];
                  return h("td", {}, index === null ? "" : figure(`heatmap.${index}.count`, "count", counts[dayIndex][hour]));
                }),
              ),
            ),
          ),
        ),
        t("cl.heatmap"),
      ),
    ),
  );
}

export default {
  ranged: true,
  defaultRange: "24h",
  drill,
  render(data, { chart }) {
    return tiles(
      incoming(data, chart),
      peakHour(data),
      customers(data),
      waits(data),
      forecast(data),
      heatmap(data, chart),
    );
  },
};
