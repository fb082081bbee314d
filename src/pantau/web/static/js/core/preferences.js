// The language switch and the dark-mode toggle (templates/preferences.html), the same on every page.

import { currentLanguage, switchLanguage } from "./i18n.js";

const THEME_KEY = "pantau.theme";

function currentTheme() {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Without storage the choice lasts for this page only.
  }
}

/** Wire the controls; `onChange(kind)` runs after the language or the theme changed ("language" or "theme"). */
export function wirePreferences(onChange = () => {}) {
  const languageSelect = document.querySelector('[data-preference="language"]');
  const themeButton = document.querySelector('[data-preference="theme"]');
  languageSelect.value = currentLanguage();
  themeButton.setAttribute("aria-pressed", String(currentTheme() === "dark"));

  languageSelect.addEventListener("change", async () => {
    await switchLanguage(languageSelect.value);
    onChange("language");
  });
  themeButton.addEventListener("click", () => {
    applyTheme(currentTheme() === "dark" ? "light" : "dark");
    themeButton.setAttribute("aria-pressed", String(currentTheme() === "dark"));
    onChange("theme");
  });
}
