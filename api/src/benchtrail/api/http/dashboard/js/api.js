// Reading the benchtrail JSON API from a page: one place for URLs, errors and pages.

/** An HTTP answer that is not 2xx, with the API's error body when it sent one. */
export class ApiError extends Error {
  constructor(status, body, path) {
    super(describe(status, body, path));
    this.status = status;
    this.body = body;
    this.path = path;
  }

  /** The server has no such endpoint (a 404 that is not the API's own "not_found"). */
  get endpointMissing() {
    return this.status === 404 && !(this.body && this.body.error === "not_found");
  }

  /** The API named what it did not find (an unknown id or serial). */
  get notFound() {
    return this.status === 404 && Boolean(this.body && this.body.error === "not_found");
  }
}

function describe(status, body, path) {
  if (body && typeof body === "object" && body.detail) return `${path}: ${body.detail}`;
  return `${path} answered HTTP ${status}`;
}

/** A same-origin URL with query parameters (arrays repeat the key; empty values are left out). */
export function apiUrl(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  return url;
}

/** GET a JSON document; throws ApiError for a non-2xx answer. */
export async function getJson(path, params = {}) {
  const url = apiUrl(path, params);
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (response.status === 401) showSignIn(body && body.detail);
  if (!response.ok) throw new ApiError(response.status, body, url.pathname);
  return body;
}

/**
 * The hub wants a token: show a sign-in form (once). A token signs this browser in with
 * an HttpOnly session cookie (POST /api/auth/session); the page then reloads.
 */
export function showSignIn(reason) {
  if (document.getElementById("signin")) return;
  const form = document.createElement("form");
  form.id = "signin";
  form.className = "signin";
  const title = document.createElement("h2");
  title.textContent = "Sign in to benchtrail";
  const hint = document.createElement("p");
  hint.textContent = reason || "This hub needs a token.";
  const label = document.createElement("label");
  label.textContent = "Token ";
  const input = document.createElement("input");
  input.type = "password";
  input.name = "token";
  input.autocomplete = "off";
  input.required = true;
  label.append(input);
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = "Sign in";
  const message = document.createElement("p");
  message.className = "signin-message";
  message.setAttribute("role", "alert");
  form.append(title, hint, label, button, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/auth/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token: input.value.trim() }),
    });
    if (response.ok) {
      window.location.reload();
      return;
    }
    const answer = await response.json().catch(() => null);
    message.textContent = (answer && answer.detail) || `Sign-in failed (HTTP ${response.status}).`;
  });
  document.body.prepend(form);
  document.body.classList.add("signed-out"); // the page behind holds nothing until then
  input.focus();
}

/** Sign this browser out (its session ends) and show the sign-in form again. */
export async function signOut() {
  await fetch("/api/auth/session", { method: "DELETE" });
  window.location.reload();
}

/** Every item of a paged list endpoint ({items, next_cursor}), up to maxItems. */
export async function getAllPages(path, params = {}, maxItems = 10000) {
  const items = [];
  let cursor = null;
  do {
    const limit = Math.min(1000, maxItems - items.length);
    const page = await getJson(path, { ...params, limit, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < maxItems);
  return { items, truncated: Boolean(cursor) };
}

/** What to tell the user when `what` could not be loaded. */
export function explain(error, what) {
  if (error instanceof ApiError && error.endpointMissing) {
    return `${what} is not available on this server: ${error.path} answered 404.`;
  }
  if (error instanceof ApiError) return `${what}: ${error.message}`;
  return `${what} could not be loaded: ${error.message || error}`;
}
