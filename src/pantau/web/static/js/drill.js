// Behind a figure, its conversations (SPEC §8.3): a count, a bar, a slice or a table cell that counts conversations
// opens the list of them in a dialog, read from `GET /api/dashboard/<section>/conversations` for the filters shown,
// fifty at a time, sortable, with the same list as CSV or XLSX and a link that opens it again. The list's total is
// the figure (the API guarantees it); the page says how many of them are shown.

import { getJson } from "./core/api.js";
import { h, table } from "./core/dom.js";
import { formatValue } from "./core/format.js";
import { currentLanguage, t } from "./core/i18n.js";
import { sectionParameters } from "./core/url-state.js";

const COLUMNS = [
  { key: "createdAt", label: "drill.column.created", format: "datetime" },
  { key: "contactName", label: "drill.column.contact", format: "text" },
  { key: "contactPhone", label: "drill.column.phone", format: "code" },
  { key: "teamName", label: "filters.team", format: "text" },
  { key: "agentName", label: "column.agent", format: "text" },
  { key: "status", label: "column.status", format: "enum:conversationStatus" },
  { key: "firstResponseSeconds", label: "column.delay", format: "duration", numeric: true },
  { key: "resolvedAt", label: "drill.column.resolved", format: "datetime" },
];
// A list of tickets (kpi's open tickets): each ticket, and beside it the conversation behind it (empty when it has
// none, or none the caller may see).
const TICKET_COLUMNS = [
  { key: "createdAt", label: "drill.column.created", format: "datetime" },
  { key: "priority", label: "drill.column.priority", format: "enum:priority" },
  { key: "status", label: "column.status", format: "enum:ticketStatus" },
  { key: "teamName", label: "filters.team", format: "text" },
  { key: "agentName", label: "column.agent", format: "text" },
  { key: "contactName", label: "drill.column.contact", format: "text" },
  { key: "contactPhone", label: "drill.column.phone", format: "code" },
  { key: "conversationStatus", label: "drill.column.conversation", format: "enum:conversationStatus" },
  { key: "conversationCreatedAt", label: "drill.column.conversationCreated", format: "datetime" },
];
// With business hours set (SPEC §8.5), the first response the SLA judges, beside the first response.
const BUSINESS_COLUMN = {
  key: "businessFirstResponseSeconds",
  label: "drill.column.businessDelay",
  format: "duration",
  numeric: true,
};

/** The list's columns: the tickets' for a list of tickets; the business-time one only when the API gives it. */
function columns(rows, tickets) {
  if (tickets) {
    return TICKET_COLUMNS;
  }
  if (!rows.some((each) => each.businessFirstResponseSeconds !== undefined)) {
    return COLUMNS;
  }
  const at = COLUMNS.findIndex((column) => column.key === "firstResponseSeconds") + 1;
  return [...COLUMNS.slice(0, at), BUSINESS_COLUMN, ...COLUMNS.slice(at)];
}

/** An item of the API as a row of the table: one value per column. */
function row(item) {
  if (item.ticketId !== undefined) {
    const conversation = item.conversation;
    return {
      id: item.ticketId,
      createdAt: item.createdAt,
      priority: item.priority,
      status: item.status,
      teamName: item.team?.name ?? null,
      agentName: item.agent?.name ?? null,
      contactName: conversation?.contact?.name ?? null,
      contactPhone: conversation?.contact?.phone ?? null,
      conversationStatus: conversation?.status ?? null,
      conversationCreatedAt: conversation?.createdAt ?? null,
    };
  }
  return {
    id: item.id,
    createdAt: item.createdAt,
    contactName: item.contact?.name ?? null,
    contactPhone: item.contact?.phone ?? null,
    teamName: item.team?.name ?? null,
    agentName: item.agent?.name ?? null,
    status: item.status,
    firstResponseSeconds: item.firstResponseSeconds,
    ...(item.businessTime ? { businessFirstResponseSeconds: item.businessTime.firstResponseSeconds } : {}),
    resolvedAt: item.resolvedAt,
  };
}

/**
 * The dialog's title: the figure's label, after "Conversations:" unless the label already says what the rows are (a
 * list of tickets; a label naming conversations, "Active conversations"), so no title says it twice.
 */
function title(target) {
  const label = target.label();
  if (target.tickets || label.toLowerCase().includes(t("drill.noun"))) {
    return label;
  }
  return t("drill.title", { figure: label });
}

/** The query naming a figure's list: the section's filters, the figure and its bucket. */
function listParameters(target, filters, ranged) {
  const parameters = { ...sectionParameters(filters, ranged), figure: target.figure };
  if (target.bucket !== undefined && target.bucket !== null) {
    parameters.bucket = target.bucket;
  }
  return parameters;
}

function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value) {
      search.set(name, value);
    }
  }
  return search.toString();
}

/** The page's address with a figure's list named in it (`drill`, `drillBucket`), or without one. */
export function pageAddress(target) {
  const search = new URLSearchParams(window.location.search);
  search.delete("drill");
  search.delete("drillBucket");
  if (target) {
    search.set("drill", `${target.section}:${target.figure}`);
    if (target.bucket !== undefined && target.bucket !== null) {
      search.set("drillBucket", target.bucket);
    }
  }
  const text = search.toString();
  return `${window.location.pathname}${text ? `?${text}` : ""}`;
}

/** The list the address names, {section, figure, bucket}, or null. */
export function requestedList(search = window.location.search) {
  const parameters = new URLSearchParams(search);
  const named = parameters.get("drill");
  if (!named || !named.includes(":")) {
    return null;
  }
  const at = named.indexOf(":");
  return { section: named.slice(0, at), figure: named.slice(at + 1), bucket: parameters.get("drillBucket") };
}

export class DrillDown {
  constructor() {
    this.title = h("h2", { id: "drill-title" });
    this.scopeLine = h("p", { class: "drill-scope" });
    this.count = h("p", { class: "drill-count", role: "status", "aria-live": "polite" });
    // What a list says about its rows beside the figure (the tickets' conversations).
    this.note = h("p", { class: "drill-note unit", hidden: true });
    this.list = h("div", { class: "drill-list" });
    this.more = h("button", { type: "button", class: "control compact", hidden: true, onclick: () => this.loadMore() });
    this.downloads = h("p", { class: "drill-downloads" });
    this.close = h("button", { type: "button", class: "control compact drill-close", onclick: () => this.dialog.close() });
    this.dialog = h(
      "dialog",
      { id: "drill", class: "drill", "aria-labelledby": "drill-title" },
      h("header", { class: "drill-head" }, h("div", {}, this.title, this.scopeLine), this.close),
      this.count,
      this.note,
      this.list,
      h("footer", { class: "drill-foot" }, this.more, this.downloads),
    );
    this.dialog.addEventListener("close", () => {
      this.controller?.abort();
      window.history.replaceState(null, "", pageAddress(null));
      this.returnFocus?.focus?.();
    });
    document.body.append(this.dialog);
    this.target = null;
    this.rows = [];
    this.sequence = 0;
  }

  /**
   * Open the list of `target` {section, figure, bucket, label, note?, tickets?, sectionTitle, scopeName} for `filters`
   * (the page's) of a section that takes a range or not (`ranged`). With `tickets`, the figure counts tickets and its
   * list holds them (the words say tickets, the columns are the tickets').
   */
  async open(target, filters, ranged) {
    this.returnFocus = document.activeElement;
    this.target = target;
    this.filters = filters;
    this.ranged = ranged;
    this.rows = [];
    this.total = null;
    this.next = null;
    window.history.replaceState(null, "", pageAddress(target));
    this.draw();
    if (!this.dialog.open) {
      this.dialog.showModal();
    }
    this.close.focus();
    const path = `/api/dashboard/${target.section}/conversations`;
    await this.read(path, listParameters(target, filters, ranged));
  }

  loadMore() {
    if (this.next) {
      const next = new URL(this.next, window.location.origin);
      this.read(next.pathname, Object.fromEntries(next.searchParams), { appending: true });
    }
  }

  async read(path, parameters, { appending = false } = {}) {
    this.controller?.abort();
    this.controller = new AbortController();
    const sequence = ++this.sequence;
    this.dialog.setAttribute("aria-busy", "true");
    this.more.disabled = true;
    if (!appending) {
      this.list.replaceChildren(h("p", { class: "placeholder" }, t("state.loading")));
    }
    try {
      const body = await getJson(path, parameters, this.controller.signal);
      if (sequence !== this.sequence) {
        return;
      }
      this.rows = [...this.rows, ...body.items.map(row)];
      this.total = body.total;
      this.next = body.next;
      this.failure = null;
    } catch (error) {
      if (error.name === "AbortError") {
        return;
      }
      this.failure = error;
    }
    this.dialog.setAttribute("aria-busy", "false");
    this.draw();
  }

  /** Draw what is known (also after a language change). */
  draw() {
    const target = this.target;
    if (target === null) {
      return;
    }
    const words = target.tickets ? "drill.tickets" : "drill";
    this.title.textContent = title(target);
    this.scopeLine.textContent = `${target.sectionTitle()} · ${target.window()} · ${target.scopeName()}`;
    this.close.textContent = t("drill.close");
    this.note.hidden = !target.note;
    this.note.textContent = target.note ? t(target.note) : "";
    this.more.textContent = t("drill.more");
    this.more.hidden = !this.next;
    this.more.disabled = false;
    if (this.failure) {
      this.count.textContent = "";
      this.list.replaceChildren(
        h("p", { class: "section-error", role: "alert" }, `${t("state.error")} ${this.failure.detail ?? this.failure.message}`),
      );
    } else if (this.total !== null) {
      this.count.textContent = t(`${words}.count`, {
        shown: formatValue("count", this.rows.length),
        total: formatValue("count", this.total),
      });
      this.list.replaceChildren(
        this.rows.length === 0
          ? h("p", { class: "placeholder" }, t(`${words}.empty`))
          : table({
              id: "drill-table",
              path: "items",
              rows: this.rows,
              columns: columns(this.rows, target.tickets),
              caption: `${words}.caption`,
              sortable: true,
            }),
      );
    }
    const parameters = listParameters(target, this.filters, this.ranged);
    const file = (format) =>
      `/api/dashboard/${target.section}/conversations/export?${query({ ...parameters, format, lang: currentLanguage() })}`;
    this.downloads.replaceChildren(
      h("a", { class: "control compact", href: pageAddress(target), "data-role": "drill-link" }, t("drill.link")),
      h(
        "a",
        { class: "control compact", href: file("csv"), download: "", "data-export": "csv", "aria-label": t(`${words}.csv`) },
        "CSV",
      ),
      h(
        "a",
        { class: "control compact", href: file("xlsx"), download: "", "data-export": "xlsx", "aria-label": t(`${words}.xlsx`) },
        "XLSX",
      ),
    );
  }
}
