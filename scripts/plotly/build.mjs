// Builds ../../src/pantau/web/static/vendor/plotly.min.js: plotly.js (the npm package, at the version package.json
// pins: the one the `plotly` Python wheel ships) holding only the traces the dashboard draws (entry.js), minified.
// Run `npm ci && npm run build` in this folder; the result is committed, so neither users nor CI need node.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const plotlyPackage = require("plotly.js/package.json");
const esbuildVersion = require("esbuild/package.json").version;
const output = join(here, "..", "..", "src", "pantau", "web", "static", "vendor", "plotly.min.js");

const result = await esbuild.build({
  entryPoints: [join(here, "entry.js")],
  absWorkingDir: here,
  bundle: true,
  write: false,
  minify: true,
  // As plotly.js builds its own bundles (its esbuild-config.js).
  format: "iife",
  globalName: "Plotly",
  target: "es2016",
  define: { global: "window", "define.amd": "false" },
  alias: { stream: "stream-browserify" },
  // The only stylesheet plotly.js imports is maplibre's, for the map traces, which this bundle leaves out.
  loader: { ".css": "empty" },
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});

const traces = readFileSync(join(here, "entry.js"), "utf8")
  .match(/lib\/(\w+)"/g)
  .map((name) => name.slice(4, -1))
  .filter((name) => name !== "core");
// The copyright line of plotly.js's own bundles.
const copyright = readFileSync(require.resolve("plotly.js/dist/plotly.min.js"), "utf8")
  .slice(0, 400)
  .match(/Copyright [^\n]*/)[0];
const header = `/**
* plotly.js v${plotlyPackage.version} (https://github.com/plotly/plotly.js), partial bundle for Pantau: the core (scatter, image
* export) and the ${traces.join(", ")} traces. Built from the npm package plotly.js@${plotlyPackage.version} with
* esbuild ${esbuildVersion} by scripts/plotly/build.mjs.
* ${copyright} All rights reserved. Licensed under the ${plotlyPackage.license} license.
* The licences of the packages it bundles follow at the end.
*/
`;
writeFileSync(output, header + result.outputFiles[0].text);
console.log(`${output}: ${Buffer.byteLength(header + result.outputFiles[0].text)} bytes`);
