// Failures: the failure groups, a page of dead letters (all, or one group's), one dead letter's headers, body and
// stack, and retry or purge of one or a whole group. New dead letters show as they arrive.
"use strict";
import { change, el, get, live, number, rows, serial, showProblem, start, toast, when } from "./dashboard.js";

const url = new URL(location.href);
let group = url.searchParams.get("group");
let selected = url.searchParams.get("id");
let cursors = [null];
let groups = [];
let seen = null;
let stale = false;
const inTurn = serial();

function remember() {
  const next = new URL(location.href);
  next.search = "";
  if (group) next.searchParams.set("group", group);
  if (selected) next.searchParams.set("id", selected);
  history.replaceState(null, "", next);
}

async function act(path, selection, done, question) {
  if (question && !confirm(question)) return;
  try {
    const result = await change(path, selection);
    toast(done(result));
    // What was acted on may have held the page's cursor: start again from the newest.
    cursors = [null];
    await refresh();
  } catch {
    // The banner shows the problem.
  }
}

function groupRow(g) {
  const title = g.exceptionType ? g.exceptionType.split(".").at(-1) : g.reason;
  return el("tr", { dataset: { group: g.id, count: g.count }, class: g.id === group ? "selected" : undefined, on: { click: () => choose(g.id) } },
    el("td", { class: "num" }, el("strong", {}, number(g.count))),
    el("td", {}, el("div", {}, title), el("small", {}, g.reason, g.exceptionType ? ` · ${g.exceptionType}` : "")),
    el("td", {}, el("code", { title: g.userFrame }, shortFrame(g.userFrame))),
    el("td", {}, g.endpoints.join(", ")),
    el("td", {}, when(g.last)),
    el("td", { class: "actions stacked changes" },
      el("button", { class: "primary", on: { click: e => { e.stopPropagation(); act("failures/replay", { group: g.id }, r => `${number(r.replayed)} replayed`); } } }, "Retry all"),
      el("button", { class: "danger", on: { click: e => { e.stopPropagation(); act("failures/purge", { group: g.id }, r => `${number(r.purged)} purged`, `Purge all ${g.count} dead letters of this group? They are gone for good.`); } } }, "Purge all")));
}

/** "Cafe.SettleTabHandler.HandleAsync(SettleTab message, ...)" as "SettleTabHandler.HandleAsync": the full frame is its tooltip. */
function shortFrame(frame) {
  if (!frame) return "–";
  const method = frame.split("(")[0].split(".");
  return method.slice(-2).join(".");
}

function letterRow(d) {
  return el("tr", { dataset: { id: d.id }, class: d.id === selected ? "selected" : undefined, on: { click: () => open(d.id) } },
    el("td", {}, when(d.deadLetteredAt)),
    el("td", {}, d.endpoint ?? "–"),
    el("td", {}, el("code", {}, d.messageName)),
    el("td", {}, el("div", {}, d.exceptionMessage ?? d.reason), el("small", {}, d.exceptionType ?? d.reason)),
    el("td", { class: "num" }, d.attempts, d.replayCount ? el("small", {}, ` · replayed ${d.replayCount}×`) : ""));
}

async function loadGroups() {
  groups = await get("failures/groups");
  const total = groups.reduce((sum, g) => sum + g.count, 0);
  document.getElementById("total").textContent = number(total);
  document.body.dataset.failures = total;
  rows(document.querySelector("#groups tbody"), groups, groupRow, "No dead letters. Everything that failed was handled in the end.");
}

async function loadLetters() {
  if (group && !groups.some(g => g.id === group)) {
    // The group is gone (replayed or purged): show what is left.
    group = null;
    cursors = [null];
    remember();
  }
  const page = await get("failures", { group, after: cursors.at(-1), limit: 25 });
  const chosen = groups.find(g => g.id === group);
  document.getElementById("list-title").textContent = chosen ? `${number(chosen.count)} of ${chosen.exceptionType ?? chosen.reason}` : "All dead letters";
  document.getElementById("show-all").hidden = !group;
  rows(document.querySelector("#letters tbody"), page.items, letterRow, "None here.");
  const older = document.getElementById("older");
  older.hidden = !page.next;
  older.onclick = () => { cursors.push(page.next); inTurn(loadLetters); };
  const newest = document.getElementById("newest");
  newest.hidden = cursors.length === 1;
  newest.textContent = stale ? "Newest (changed)" : "Newest";
  newest.onclick = () => { cursors = [null]; refresh(); };
}

async function open(id) {
  selected = id;
  remember();
  for (const row of document.querySelectorAll("#letters tr[data-id]")) row.classList.toggle("selected", row.dataset.id === id);
  const detail = document.getElementById("detail");
  detail.hidden = false;
  detail.dataset.id = id;
  const gone = document.getElementById("detail-gone");
  const buttons = [document.getElementById("detail-retry"), document.getElementById("detail-purge")];
  let d;
  try {
    d = await get(`failures/${id.split("/").map(encodeURIComponent).join("/")}`);
  } catch (e) {
    if (selected !== id) return;
    if (e.problem?.status === 404) {
      showProblem(null);
      gone.hidden = false;
      detail.dataset.gone = "true";
      for (const b of buttons) b.disabled = true;
    }
    return;
  }
  for (const b of buttons) b.disabled = false;
  // Another row was opened meanwhile: its answer, not this one, fills the panel.
  if (selected !== id) return;
  gone.hidden = true;
  delete detail.dataset.gone;
  const s = d.summary;
  document.getElementById("detail-title").textContent = s.messageName;
  document.getElementById("detail-summary").replaceChildren(...[
    ["Endpoint", s.endpoint ?? "–"], ["Dead-lettered", when(s.deadLetteredAt)], ["Reason", s.reason], ["Exception", s.exceptionType ?? "–"],
    ["Message", s.exceptionMessage ?? "–"], ["Attempts", s.attempts], ["Replayed", s.replayCount], ["Message id", el("code", {}, s.messageId)],
  ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  document.getElementById("detail-exception").textContent = d.exception ?? "(no stack)";
  document.getElementById("detail-body").textContent = d.body === null ? "(not text)" : pretty(d.body);
  // The failure's message and stack are shown above; the rest of the headers here.
  const shownAbove = ["tidings-exception-message", "tidings-exception-stack"];
  rows(document.querySelector("#detail-headers tbody"), Object.entries(d.headers).filter(([k]) => !shownAbove.includes(k)).sort(([a], [b]) => a.localeCompare(b)),
    ([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)), "No headers.");
  document.getElementById("detail-retry").onclick = () => act("failures/replay", { ids: [id] }, r => r.replayed ? "Sent back to its endpoint." : r.queueMissing ? "Its queue is gone: it stays here." : "It was already gone.");
  document.getElementById("detail-purge").onclick = () => act("failures/purge", { ids: [id] }, () => "Purged.", "Purge this dead letter? It is gone for good.");
}

function pretty(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function choose(id) {
  group = id;
  cursors = [null];
  remember();
  refresh();
}

/** A refresh for the live stream: at most one waits its turn, however many states come meanwhile. */
let waiting = false;
function refreshSoon() {
  if (waiting) return;
  waiting = true;
  inTurn(async () => {
    waiting = false;
    await refreshNow();
  });
}

function refresh() {
  return inTurn(refreshNow);
}

async function refreshNow() {
  if (cursors.length === 1) stale = false;
  await loadGroups();
  await loadLetters();
  if (selected) await open(selected);
}

document.getElementById("show-all").onclick = () => choose(null);
await start("failures");
await refresh();
live(state => {
  const now = `${state.failures.count}:${state.failures.newest}`;
  if (now !== seen) {
    // On an older page the list stays put (its rows would move under the reader); the Newest button says it changed.
    if (cursors.length === 1) refreshSoon();
    else { stale = true; document.getElementById("newest").textContent = "Newest (changed)"; }
  }
  seen = now;
});
