// Reading Pantau's JSON API with the browser's session cookie. A failure becomes an ApiError carrying the HTTP
// status and the API's `detail`; an expired session goes back to the sign-in form, which returns here afterwards.

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

export async function getJson(path, parameters = {}, signal = undefined) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(parameters)) {
    if (value) {
      url.searchParams.set(name, value);
    }
  }
  const response = await fetch(url, { signal, credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) {
    const here = window.location.pathname + window.location.search;
    window.location.assign(here === "/" ? "/login" : `/login?next=${encodeURIComponent(here)}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, body?.detail ?? response.statusText);
  }
  return body;
}
