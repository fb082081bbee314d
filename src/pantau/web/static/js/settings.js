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

/** Load the settings in force. A field the user has edited and not yet saved keeps its text, unless it is among
 * `written` (the keys just saved or put back), which show what is now in force. */
async function load(written = null) {
  const body = await getJson("/api/settings");
  const before = loaded;
  current = body.settings;
  loaded = Object.fromEntries(current.map((setting) => [setting.key, setting.text]));
  for (const setting of current) {
    const input = form.querySelector(`#setting-${setting.key}`);
    const edited = setting.key in before && input.value.trim() !== before[setting.key];
    if (written === null || written.has(setting.key) || !edited) {
      input.value = setting.text;
    }
  }
  draw();
}

/** Show a refusal beside the setting it names (the API's detail starts with the key), or under the form. */
function showRefusal(message) {
  const key = /^([a-z_]+):/.exec(message)?.[1];
  const row = rows.find((candidate) => candidate.dataset.key === key);
  if (!row) {
    show(errorLine, message);
    errorLine.scrollIntoView({ block: "nearest" });
    return;
  }
  const input = row.querySelector("input");
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-errormessage", `setting-${key}-error`);
  show(row.querySelector('[data-role="error"]'), message);
  input.focus();
  row.scrollIntoView({ block: "nearest" });
}

function clearRefusals() {
  show(errorLine, null);
  for (const row of rows) {
    row.querySelector("input").removeAttribute("aria-invalid");
    show(row.querySelector('[data-role="error"]'), null);
  }
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
  clearRefusals();
  show(savedLine, null);
  if (Object.keys(changes).length === 0) {
    show(savedLine, t("settings.nothingChanged"));
    savedLine.scrollIntoView({ block: "nearest" });
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
    showRefusal(error.message);
    return;
  }
  await load(new Set(Object.keys(changes)));
  savedLine.scrollIntoView({ block: "nearest" });
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
