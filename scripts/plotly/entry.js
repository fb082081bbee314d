// plotly.js with only what the dashboard draws: scatter (part of the core), bar, funnel, heatmap, indicator and pie,
// plus the core's image export (Plotly.toImage) used by the charts' PNG buttons.
var Plotly = require("plotly.js/lib/core");

Plotly.register([
  require("plotly.js/lib/bar"),
  require("plotly.js/lib/funnel"),
  require("plotly.js/lib/heatmap"),
  require("plotly.js/lib/indicator"),
  require("plotly.js/lib/pie"),
]);

module.exports = Plotly;
