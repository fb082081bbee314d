// The page's filters live in the URL (dateRange or startDate + endDate, teamId, agentId), so a link reproduces
// the view and Back returns to the previous one.

export const PRESETS = ["today", "yesterday", "24h", "7d", "30d", "90d"];
const NAMES = ["dateRange", "startDate", "endDate", "teamId", "agentId"];

export function readFilters(search = window.location.search) {
  const parameters = new URLSearchParams(search);
  const filters = Object.fromEntries(NAMES.map((name) => [name, parameters.get(name) ?? ""]));
  if (filters.dateRange === "week") {
    filters.dateRange = "7d";
  } else if (filters.dateRange === "month") {
    filters.dateRange = "30d";
  }
  return filters;
}

export function writeFilters(filters) {
  const parameters = new URLSearchParams();
  for (const name of NAMES) {
    if (filters[name]) {
      parameters.set(name, filters[name]);
    }
  }
  const query = parameters.toString();
  window.history.pushState(null, "", query ? `?${query}` : window.location.pathname);
}

/** A section's query: the range only for sections that take one (the KPI strip is always today), and the scope. */
export function sectionParameters(filters, ranged) {
  const parameters = { teamId: filters.teamId, agentId: filters.agentId };
  if (ranged) {
    if (filters.startDate || filters.endDate) {
      Object.assign(parameters, { startDate: filters.startDate, endDate: filters.endDate });
    } else {
      parameters.dateRange = filters.dateRange;
    }
  }
  return parameters;
}
