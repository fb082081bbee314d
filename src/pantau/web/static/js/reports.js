// The schedules page: the caller's report schedules and their latest runs from /api/reports/schedules, a form that
// makes one, and buttons that send one now or delete it. Refusals (a team outside one's scope, a recipient who is
// not allowed) are shown as the API words them.

import { getJson } from "./core/api.js";
import { h } from "./core/dom.js";
import { dateTime, setTimeZone } from "./core/format.js";
import { startLanguage, t } from "./core/i18n.js";
import { wirePreferences } from "./core/preferences.js";

const controls = {
  form: document.getElementById("schedule-form"),
  recipients: document.getElementById("recipients"),
  cadence: document.getElementById("cadence"),
  weekday: document.getElementById("weekday"),
  weekdayField: document.getElementById("weekday-field"),
  day: document.getElementById("day"),
  dayField: document.getElementById("day-field"),
  at: document.getElementById("at"),
  format: document.getElementById("format"),
  lang: document.getElementById("report-lang"),
  team: document.getElementById("report-team"),
  teamField: document.getElementById("report-team-field"),
  error: document.getElementById("schedule-error"),
};

async function send(method, path, body = undefined) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new Error(detail);
  }
  return response.status === 204 ? null : response.json();
}

function showError(message) {
  controls.error.hidden = message === null;
  controls.error.textContent = message ?? "";
}

function followCadence() {
  controls.weekdayField.hidden = controls.cadence.value !== "weekly";
  controls.dayField.hidden = controls.cadence.value !== "monthly";
}

// Without SMTP nothing can be sent, so there is no "send now" (the banner says why).
function scheduleRow(schedule, canSend) {
  return h(
    "tr",
    { "data-schedule": schedule.id },
    h("td", {}, schedule.description),
    h("td", {}, schedule.recipients.join(", ")),
    h(
      "td",
      {},
      t(`reports.format.${schedule.format}`),
      ` · ${schedule.lang}`,
      schedule.sections ? ` · ${schedule.sections.map((part) => t(`reports.part.${part}`)).join(", ")}` : "",
    ),
    h("td", {}, schedule.teamId ?? "–"),
    h("td", {}, h("time", { datetime: schedule.nextRunAt }, dateTime(schedule.nextRunAt))),
    h(
      "td",
      { class: "actions" },
      canSend
        ? h("button", { type: "button", class: "control compact", onclick: () => act("POST", `/api/reports/schedules/${schedule.id}/run`) }, t("reports.sendNow"))
        : null,
      h("button", { type: "button", class: "control compact", onclick: () => act("DELETE", `/api/reports/schedules/${schedule.id}`) }, t("reports.delete")),
    ),
  );
}

function runRow(run) {
  return h(
    "tr",
    { "data-run": run.id, "data-state": run.state },
    h("td", {}, h("time", { datetime: run.dueAt }, dateTime(run.dueAt))),
    h("td", {}, `#${run.scheduleId}`),
    h("td", {}, t(`reports.state.${run.state}`)),
    h("td", {}, String(run.attempts)),
    h("td", {}, run.error ?? ""),
  );
}

async function refresh() {
  const overview = await getJson("/api/reports/schedules");
  document.querySelector("#schedules tbody").replaceChildren(...overview.schedules.map((schedule) => scheduleRow(schedule, overview.smtpConfigured)));
  document.getElementById("schedules-empty").hidden = overview.schedules.length > 0;
  document.querySelector("#runs tbody").replaceChildren(...overview.runs.map(runRow));
  document.getElementById("history-empty").hidden = overview.runs.length > 0;
}

async function act(method, path) {
  try {
    showError(null);
    await send(method, path);
  } catch (error) {
    showError(error.message);
  }
  await refresh();
}

async function loadTeams() {
  const options = await getJson("/api/dashboard/filters");
  const teams = options.teams ?? [];
  controls.team.replaceChildren(
    h("option", { value: "" }, t("reports.allTeams")),
    ...teams.map((team) => h("option", { value: team.id }, team.name)),
  );
  controls.teamField.hidden = teams.length === 0;
}

controls.cadence.addEventListener("change", followCadence);
controls.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const cadence = controls.cadence.value;
  const body = {
    recipients: controls.recipients.value.split(/[,;\s]+/).filter(Boolean),
    cadence,
    at: controls.at.value,
    weekday: cadence === "weekly" ? controls.weekday.value : null,
    day: cadence === "monthly" ? Number(controls.day.value) : null,
    format: controls.format.value,
    lang: controls.lang.value,
    teamId: controls.team.value || null,
    sections: [...controls.form.querySelectorAll("input[name=section]:checked")].map((box) => box.value),
  };
  try {
    showError(null);
    await send("POST", "/api/reports/schedules", body);
    controls.recipients.value = "";
  } catch (error) {
    showError(error.message);
  }
  await refresh();
});

setTimeZone(document.getElementById("content").dataset.timezone);
await startLanguage();
wirePreferences(() => refresh());
followCadence();
await Promise.all([refresh(), loadTeams()]);
document.body.dataset.ready = "true";
