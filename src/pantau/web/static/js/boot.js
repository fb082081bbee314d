// Runs before the page paints: applies the remembered (or the system's) colour scheme so a dark page never flashes
// light. The page scripts keep it in step when the user switches.
(function () {
  let theme = null;
  try {
    theme = localStorage.getItem("pantau.theme");
  } catch (error) {
    theme = null;
  }
  if (theme !== "dark" && theme !== "light") {
    theme = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.dataset.theme = theme;
})();
