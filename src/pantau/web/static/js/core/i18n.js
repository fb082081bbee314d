// The page's words. One dictionary per language in /static/i18n/<language>.json; the server renders the templates
// from the same files and embeds the page language's one (#page-phrases). The choice is remembered in localStorage,
// and mirrored in a cookie so that the server renders the next page (the sign-in form too) in it straight away.

const STORAGE_KEY = "pantau.lang";
const COOKIE = "pantau_lang";
const ONE_YEAR = 365 * 24 * 3600;

const LANGUAGES = ["id", "en"];
const LOCALES = { id: "id-ID", en: "en-US" };

let language = document.documentElement.lang;
let phrases = {};

export function currentLanguage() {
  return language;
}

/** The locale for Intl formatters. */
export function locale() {
  return LOCALES[language];
}

function rememberedLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : null;
  } catch {
    return null;
  }
}

function remember(choice) {
  try {
    localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage can be off (private mode); the cookie still carries the choice for this browser session.
  }
  document.cookie = `${COOKIE}=${choice}; path=/; max-age=${ONE_YEAR}; samesite=lax`;
}

/** A static file's URL as the page's import map versions it (fetch does not read the map), or as given. */
function versioned(url) {
  const map = document.querySelector('script[type="importmap"]');
  return (map && JSON.parse(map.textContent).imports[url]) || url;
}

async function loadDictionary(choice) {
  const embedded = document.getElementById("page-phrases");
  if (choice === document.documentElement.lang && embedded !== null) {
    return JSON.parse(embedded.textContent);
  }
  const response = await fetch(versioned(`/static/i18n/${choice}.json`), { headers: { Accept: "application/json" } });
  if (!response.ok) {
    throw new Error(`dictionary ${choice} answered ${response.status}`);
  }
  return response.json();
}

/** `t("wait.minutes", {count: 3})`: the phrase in the current language with its {placeholders} filled in. */
export function t(key, values = {}) {
  const phrase = phrases[key];
  if (phrase === undefined) {
    console.error(`missing phrase ${key} (${language})`);
    return key;
  }
  return phrase.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

export function waitPhrase(seconds) {
  if (seconds < 60) {
    return t("wait.seconds", { count: seconds });
  }
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? t("wait.minute") : t("wait.minutes", { count: minutes });
}

/** Re-label every element the templates marked with data-i18n (and data-i18n-label for aria-label). */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const wait = element.dataset.i18nWait;
    element.textContent = t(element.dataset.i18n, wait === undefined ? {} : { wait: waitPhrase(Number(wait)) });
  }
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}

/** Load the language the browser chose before (else the one the server rendered) and label the page with it. */
export async function startLanguage() {
  const chosen = rememberedLanguage();
  const wanted = chosen ?? language;
  phrases = await loadDictionary(wanted);
  if (chosen !== null) {
    remember(chosen);
  }
  if (wanted !== language) {
    language = wanted;
    document.documentElement.lang = wanted;
    translatePage();
  }
  return wanted;
}

/** Switch to `choice`, remember it, and re-label the page. */
export async function switchLanguage(choice) {
  phrases = await loadDictionary(choice);
  language = choice;
  document.documentElement.lang = choice;
  remember(choice);
  translatePage();
}
