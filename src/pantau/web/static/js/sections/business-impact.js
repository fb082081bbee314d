// Business impact (SPEC §5.7): leads, tickets resolved, revenue, cost per conversation, repeat customers, the
// campaign conversion table and the customer lifetime value over the last six months.

import { layout } from "../core/charts.js";
import { comparison, dataTable, figure, figures, noDataNote, table, tile, tiles } from "../core/dom.js";
import { formatValue, monthLabel } from "../core/format.js";
import { t } from "../core/i18n.js";

// The figures with the conversations behind them (docs/drill-down.md), one conversation per customer: each campaign's
// responders (a cell of the campaign table) and the repeat customers.
function campaignList(data, index) {
  const campaign = data.campaignConversion[index];
  return campaign === undefined
    ? null
    : {
        figure: "campaignConversion.responded",
        bucket: campaign.campaignId,
        count: campaign.responded,
        label: () => `${campaign.campaignName}: ${t("bi.responded")}`,
      };
}

/** The list behind the figure shown at JSON path `field`, or null when it counts no conversations. */
function drill(field, data) {
  if (field === "repeatCustomerRate.repeatCustomers") {
    return { figure: field, count: data.repeatCustomerRate.repeatCustomers, label: () => t("bi.repeat") };
  }
  const cell = /^campaignConversion\.(\d+)\.responded$/.exec(field);
  return cell === null ? null : campaignList(data, Number(cell[1]));
}

function leads(data) {
  const generated = data.leadsGenerated;
  return tile(
    { title: "bi.leads", definition: "definition.bi.leads" },
    figures([
      ["bi.leadsTotal", figure("leadsGenerated.total", "count", generated.total, { className: "big" })],
      ["bi.won", figure("leadsGenerated.won", "count", generated.won)],
    ]),
    comparison("leadsGenerated", generated, "count", "up", "compare.previousPeriod"),
  );
}

function tickets(data) {
  const resolved = data.ticketsResolved;
  return tile(
    { title: "bi.tickets", definition: "definition.bi.tickets" },
    figures([
      ["bi.inRange", figure("ticketsResolved.inRange", "count", resolved.inRange, { className: "big" })],
      ["range.today", figure("ticketsResolved.today", "count", resolved.today)],
      ["range.7d", figure("ticketsResolved.week", "count", resolved.week)],
      ["range.30d", figure("ticketsResolved.month", "count", resolved.month)],
    ]),
  );
}

function revenue(data) {
  const attributed = data.revenueAttributed;
  return tile(
    { title: "bi.revenue", definition: "definition.bi.revenue" },
    figures([
      ["bi.revenue", figure("revenueAttributed.amount", "money", attributed.amount, { currency: attributed.currency, className: "big" })],
      ["bi.wonLeads", figure("revenueAttributed.wonLeads", "count", attributed.wonLeads)],
    ]),
  );
}

function cost(data) {
  const perConversation = data.costPerConversation;
  const currency = perConversation.currency;
  return tile(
    { title: "bi.cost", definition: "definition.bi.cost" },
    figures([
      ["bi.costPerConversation", figure("costPerConversation.amount", "money", perConversation.amount, { currency, className: "big" })],
      ["bi.totalCost", figure("costPerConversation.totalCost", "money", perConversation.totalCost, { currency })],
      ["bi.savings", figure("costPerConversation.savings", "money", perConversation.savings, { currency })],
    ]),
  );
}

function repeatCustomers(data) {
  const repeat = data.repeatCustomerRate;
  return tile(
    { title: "bi.repeat", definition: "definition.bi.repeat" },
    figures([
      ["bi.repeatRate", figure("repeatCustomerRate.rate", "percent", repeat.rate, { className: "big" })],
      ["bi.repeatCustomers", figure("repeatCustomerRate.repeatCustomers", "count", repeat.repeatCustomers)],
      ["bi.customers", figure("repeatCustomerRate.customers", "count", repeat.customers)],
    ]),
    comparison("repeatCustomerRate", repeat, "percent", "up", "compare.previousPeriod"),
  );
}

function lifetimeValue(data, chart) {
  const months = data.customerLifetimeValue;
  const currency = data.revenueAttributed.currency;
  return tile(
    { title: "bi.clv", definition: "definition.bi.clv", size: "half" },
    months.every((month) => month.value === null)
      ? noDataNote()
      : chart("clv", "bi.clv", (colours) => ({
          data: [
            {
              type: "scatter",
              mode: "lines+markers",
              x: months.map((month) => monthLabel(month.month)),
              y: months.map((month) => month.value),
              text: months.map((month) =>
                month.value === null ? t("state.noData") : formatValue("money", month.value, currency),
              ),
              hovertemplate: "%{x}: %{text}<extra></extra>",
              line: { color: colours.series[1], width: 2 },
              connectgaps: false,
            },
          ],
          layout: layout(colours, { xaxis: { type: "category" } }),
        })),
    dataTable({
      id: "bi-clv",
      path: "customerLifetimeValue",
      rows: months,
      caption: "bi.clv",
      columns: [
        { key: "month", label: "column.month", format: "month" },
        {
          key: "value",
          label: "bi.clvValue",
          numeric: true,
          cell: (row, index) => figure(`customerLifetimeValue.${index}.value`, "money", row.value, { currency }),
        },
      ],
    }),
  );
}

function campaigns(data) {
  return tile(
    { title: "bi.campaigns", definition: "definition.bi.campaigns", size: "half" },
    data.campaignConversion.length === 0
      ? noDataNote("state.noBroadcasts")
      : table({
          id: "bi-campaigns",
          path: "campaignConversion",
          rows: data.campaignConversion,
          caption: "bi.campaigns",
          sortable: true,
          rowHead: "campaignName",
          columns: [
            { key: "campaignName", label: "column.campaign", format: "text" },
            { key: "sent", label: "wa.sent", format: "count", numeric: true },
            { key: "responded", label: "bi.responded", format: "count", numeric: true },
            { key: "converted", label: "bi.converted", format: "count", numeric: true },
            { key: "conversionRate", label: "bi.conversionRate", format: "percent", numeric: true },
          ],
        }),
  );
}

export default {
  ranged: true,
  defaultRange: "30d",
  drill,
  render(data, { chart }) {
    return tiles(
      leads(data),
      revenue(data),
      cost(data),
      lifetimeValue(data, chart),
      repeatCustomers(data),
      campaigns(data),
      tickets(data),
    );
  },
};
