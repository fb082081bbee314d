// The settings page: each setting in force from /api/settings in its text form, with where it comes from; the form
// saves the ones changed in one PATCH (nothing is saved when any is refused, and the refusal is shown as the API words
// it), and a setting saved on the page can be put back to the environment's value.

import { getJson } from "./core/api.js";
import { dateTime, setTimeZone } from "./core/format.js";
import { startLanguage, t } from "./core/i18n.js";
import { wirePreferences } from "./core/preferences.js";

const form = document.getElementById("settings-form");
const errorLine = document.getElementById("settings-error");
const savedLine = document.getElementById("settings-saved");
const rows = [...form.querySelectorAll(".setting[data-key]")];
// The text of each setting as last loaded: only what the user changed is sent.
let loaded = {};
let current = [];

function show(line, message) {
  line.hidden = message === null;
  line.textContent = message ?? "";
}

function sourceText(setting) {
  if (setting.source === "environment") {
    return t("settings.fromEnvironment");
  }
  return t("settings.savedBy", {
    who: setting.updatedBy ?? t("settings.commandLine"),
    when: setting.updatedAt ? dateTime(setting.updatedAt) : "",
  });
}

function draw() {
  for (const setting of current) {
    const row = form.querySelector(`.setting[data-key="${setting.key}"]`);
    row.dataset.source = setting.source;
    row.querySelector('[data-role="source"]').textContent = sourceText(setting);
    row.querySelector('[data-role="reset"]').hidden = setting.source !== "database";
  }
}

async function load() {
  const body = await getJson("/api/settings");
  current = body.settings;
  loaded = Object.fromEntries(current.map((setting) => [setting.key, setting.text]));
  for (const setting of current) {
    form.querySelector(`#setting-${setting.key}`).value = setting.text;
  }
  draw();
}

async function save(changes) {
  const response = await fetch("/api/settings", {
    method: "PATCH",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(changes),
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new Error(body?.detail ?? response.statusText);
  }
  return body;
}

async function submit(changes) {
  show(errorLine, null);
  show(savedLine, null);
  if (Object.keys(changes).length === 0) {
    show(savedLine, t("settings.nothingChanged"));
    return;
  }
  try {
    const body = await save(changes);
    const names = body.changes.map((change) => t(`settings.key.${change.key}`));
    show(savedLine, names.length ? t("settings.saved", { keys: names.join(", ") }) : t("settings.nothingChanged"));
    if (body.changes.some((change) => change.key === "sla_first_response_seconds")) {
      show(savedLine, `${savedLine.textContent} ${t("settings.slaLive")}`);
    }
  } catch (error) {
    show(errorLine, error.message);
    return;
  }
  await load();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const changes = {};
  for (const row of rows) {
    const key = row.dataset.key;
    const value = row.querySelector("input").value.trim();
    if (value !== loaded[key]) {
      changes[key] = value;
    }
  }
  await submit(changes);
});

for (const row of rows) {
  row.querySelector('[data-role="reset"]').addEventListener("click", () => submit({ [row.dataset.key]: null }));
}

setTimeZone(document.getElementById("content").dataset.timezone);
await startLanguage();
wirePreferences(() => draw());
await load();
document.body.dataset.ready = "true";
