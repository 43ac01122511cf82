// What every page of the dashboard shares: the header, the API (with problem details shown, not swallowed), changes
// with the antiforgery token, the one live stream per page, and small helpers to build the DOM safely (text, never HTML).
"use strict";

const pages = [["./", "Overview", "overview"], ["queues", "Queues", "queues"], ["failures", "Failures", "failures"],
  ["sagas", "Sagas", "sagas"], ["scheduled", "Scheduled", "scheduled"], ["flow", "Flow", "flow"]];

let session;

/** Builds an element: el("td", { class: "num", dataset: { id } }, "text", child). Strings become text, never markup. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Says for a few seconds what a change did. */
export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

/** Shows a problem (RFC 9457) or an error at the top of the page; hides it when called with nothing. */
export function showProblem(problem) {
  const banner = document.getElementById("problem");
  banner.replaceChildren();
  banner.hidden = !problem;
  if (problem) banner.append(el("strong", {}, problem.title ?? "Something went wrong."), " ", problem.detail ?? "");
}

async function answer(response) {
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const problem = body ?? { title: `${response.status} ${response.statusText}` };
    showProblem(problem);
    throw Object.assign(new Error(problem.title), { problem });
  }
  return body;
}

/** GETs the dashboard's API (a path under api/), with query parameters left out when empty. */
export async function get(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const text = params.toString();
  return answer(await fetch(`api/${path}${text ? `?${text}` : ""}`, { headers: { Accept: "application/json" } }));
}

/** The session: read-only or not, who, and the antiforgery token a change sends. */
export async function getSession() {
  session ??= await get("session");
  return session;
}

function post(path, body, antiforgery) {
  return fetch(`api/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", [antiforgery.header]: antiforgery.token },
    body: JSON.stringify(body),
  });
}

/**
 * POSTs a change with the antiforgery token in the header the server names. A token the server no longer knows (it
 * restarted with new keys) is fetched anew, once.
 */
export async function change(path, body) {
  let response = await post(path, body, (await getSession()).antiforgery);
  if (response.status === 400) {
    const problem = await response.clone().json().catch(() => ({}));
    if (String(problem.type ?? "").endsWith("dashboard-antiforgery")) {
      session = undefined;
      response = await post(path, body, (await getSession()).antiforgery);
    }
  }
  const result = await answer(response);
  showProblem(null);
  return result;
}

/** Runs page loads one after another: a slow earlier answer never overwrites a newer one. */
export function serial() {
  let last = Promise.resolve();
  return work => {
    last = last.then(work, work).catch(error => {
      // A problem the server answered is on the banner already; anything else (the network, a bug) is said here.
      if (!error?.problem) {
        console.error(error);
        showProblem({ title: "The page could not load.", detail: String(error?.message ?? error) });
      }
    });
    return last;
  };
}

/** Follows the live stream; calls back with each new state. One stream per open page. */
export function live(onState) {
  const badge = document.getElementById("live");
  const events = new EventSource("events");
  events.addEventListener("open", () => { badge.textContent = "live"; badge.dataset.state = "live"; });
  events.addEventListener("error", () => {
    badge.dataset.state = "down";
    if (events.readyState === EventSource.CLOSED) {
      // Refused (signed out, the gate) or gone for good: the browser will not try again by itself.
      badge.textContent = "stopped";
      showProblem({ title: "The live stream stopped.", detail: "Reload the page to follow the service again." });
    } else {
      badge.textContent = "reconnecting";
    }
  });
  events.addEventListener("state", e => {
    const state = JSON.parse(e.data);
    badge.title = `updated ${new Date().toLocaleTimeString()}`;
    if (state.error) {
      showProblem({ title: "The dashboard cannot read the service's state.", detail: state.error });
      return;
    }
    onState(state);
  });
  return events;
}

/** Fills the header, hides the changes' buttons in read-only mode; returns the session. */
export async function start(page) {
  const nav = document.getElementById("nav");
  for (const [href, label, name] of pages) {
    nav.append(el("a", { href, class: name === page ? "current" : undefined, "aria-current": name === page ? "page" : undefined }, label));
  }
  try {
    const current = await getSession();
    document.body.dataset.readOnly = current.readOnly;
    if (current.readOnly) document.getElementById("live").after(el("span", { class: "badge" }, "read-only"));
    if (current.user) nav.after(el("span", { class: "user" }, current.user));
    return current;
  } catch {
    return null;
  }
}

export function number(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en");
}

/** "3 s", "4 min", "2 h", "5 d": an age or a wait, short. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.abs(seconds);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** "12 s ago" or "in 3 min", with the exact time as a tooltip. */
export function when(iso) {
  if (!iso) return el("span", {}, "–");
  const at = new Date(iso);
  const seconds = (at.getTime() - Date.now()) / 1000;
  const text = Math.abs(seconds) < 1 ? "now" : seconds < 0 ? `${duration(seconds)} ago` : `in ${duration(seconds)}`;
  return el("time", { datetime: iso, title: at.toLocaleString() }, text);
}

/** A table body's rows replaced, or one row saying there is nothing. */
export function rows(tbody, items, row, empty) {
  tbody.replaceChildren(...(items.length ? items.map(row) : [el("tr", { class: "empty" }, el("td", { colspan: 99 }, empty))]));
}
