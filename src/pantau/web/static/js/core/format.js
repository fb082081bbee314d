// How figures read: numbers through Intl in the page language, instants in the organisation's time zone (the
// `range.timezone` the API sends). Null never becomes 0: callers show "no data" instead (see dom.js `figure`).

import { locale } from "./i18n.js";

let timeZone = "UTC";

export function setTimeZone(zone) {
  timeZone = zone;
}

const numberFormats = new Map();
const dateFormats = new Map();

function numberFormat(options) {
  const key = `${locale()}|${JSON.stringify(options)}`;
  if (!numberFormats.has(key)) {
    numberFormats.set(key, new Intl.NumberFormat(locale(), options));
  }
  return numberFormats.get(key);
}

function dateFormat(options, zone = timeZone) {
  const key = `${locale()}|${zone}|${JSON.stringify(options)}`;
  if (!dateFormats.has(key)) {
    dateFormats.set(key, new Intl.DateTimeFormat(locale(), { ...options, timeZone: zone }));
  }
  return dateFormats.get(key);
}

function unit(name, amount) {
  return numberFormat({ style: "unit", unit: name, unitDisplay: "narrow", maximumFractionDigits: 0 }).format(amount);
}

/** Seconds as "42s", "4m 5s", "3h 12m" (whole seconds; the units in the page language). */
export function duration(seconds) {
  const total = Math.round(seconds);
  if (total < 60) {
    return unit("second", total);
  }
  if (total < 3600) {
    return `${unit("minute", Math.floor(total / 60))} ${unit("second", total % 60)}`;
  }
  return `${unit("hour", Math.floor(total / 3600))} ${unit("minute", Math.floor((total % 3600) / 60))}`;
}

// Rupiah are written whole ("Rp 35.000", "Rp 35,000" in English): no price in Indonesia carries sen.
const WHOLE_CURRENCIES = new Set(["IDR"]);

/** An amount in `currency`: its symbol ("Rp", "US$"), and its usual decimals (none for rupiah). */
function money(value, currency) {
  const whole = WHOLE_CURRENCIES.has(currency);
  const digits = whole ? 0 : numberFormat({ style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  return numberFormat({
    style: "currency",
    currency,
    currencyDisplay: whole ? "narrowSymbol" : "symbol",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

const NUMBER_FORMATS = {
  count: (value) => numberFormat({ maximumFractionDigits: 0 }).format(value),
  decimal: (value) => numberFormat({ maximumFractionDigits: 1 }).format(value),
  percent: (value) => numberFormat({ style: "percent", maximumFractionDigits: 1 }).format(value / 100),
  duration,
  money,
  hour: (value) => `${String(value).padStart(2, "0")}:00`,
  code: (value) => String(value),
  text: (value) => String(value),
};

/** A non-null value in one of the formats above (count, decimal, percent, duration, money, hour, code, text). */
export function formatValue(format, value, currency) {
  const formatter = NUMBER_FORMATS[format];
  if (formatter === undefined) {
    throw new Error(`unknown format ${format}`);
  }
  return formatter(value, currency);
}

/** An ISO 8601 instant as a date and time in the organisation's zone. */
export function dateTime(iso) {
  return dateFormat({ dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/** A bucket's start: "2 Mar, 09:00" for hours, "2 Mar 2026" for days. */
export function bucketLabel(iso, granularity) {
  const options =
    granularity === "day"
      ? { dateStyle: "medium" }
      : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return dateFormat(options).format(new Date(iso));
}

/** Whether a section's buckets are hours or days: hours while the range spans at most `hourlyUpToHours` (SPEC §5). */
export function bucketGranularity(range, hourlyUpToHours) {
  return Date.parse(range.end) - Date.parse(range.start) <= hourlyUpToHours * 3600 * 1000 ? "hour" : "day";
}

/** The organisation's calendar date of an instant as "YYYY-MM-DD" (for file names: the same in every language). */
export function isoDate(instant) {
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(
    new Date(instant),
  );
}

/** A calendar date "YYYY-MM-DD" (a custom range's end) as "2 Mar 2026". */
export function calendarDate(date) {
  return dateFormat({ dateStyle: "medium" }, "UTC").format(new Date(`${date}T00:00:00Z`));
}

/** "YYYY-MM" as "Mar 2026". */
export function monthLabel(month) {
  return dateFormat({ month: "short", year: "numeric" }, "UTC").format(new Date(`${month}-01T00:00:00Z`));
}

/** The wall-clock time now in the organisation's zone, for "last updated". */
export function clockTime(date) {
  return dateFormat({ timeStyle: "medium" }).format(date);
}

function weekdays(style) {
  const sunday = Date.UTC(2024, 0, 7);
  return Array.from({ length: 7 }, (_, day) =>
    dateFormat({ weekday: style }, "UTC").format(new Date(sunday + day * 86400000)),
  );
}

/** Weekday names from Sunday (the API's dayOfWeek 0), short. */
export function weekdayNames() {
  return weekdays("short");
}

/**
 * The local wall-clock part of an ISO instant with offset ("2026-03-02T09:00:00+07:00" → "2026-03-02 09:00:00"):
 * chart axes draw it as written, which is the organisation's local time the API already chose.
 */
export function wallClock(iso) {
  return iso.slice(0, 19).replace("T", " ");
}

/** Names and separators for plotly's axes in the page language. */
export function calendarNames() {
  const months = (style) =>
    Array.from({ length: 12 }, (_, month) =>
      dateFormat({ month: style }, "UTC").format(new Date(Date.UTC(2024, month, 15))),
    );
  return {
    months: months("long"),
    shortMonths: months("short"),
    days: weekdays("long"),
    shortDays: weekdays("short"),
    decimal: numberFormat({}).formatToParts(1.5).find((part) => part.type === "decimal").value,
    thousands: numberFormat({}).formatToParts(12345).find((part) => part.type === "group").value,
  };
}
