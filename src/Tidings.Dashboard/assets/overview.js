// Overview: this minute at a glance, messages handled and failed per minute over the last hour, and each endpoint's health.
"use strict";
import { bars, sparkline } from "./charts.js";
import { duration, el, get, live, number, rows, start } from "./dashboard.js";

const series = [
  { key: "handled", className: "handled", label: "handled" },
  { key: "retried", className: "retried", label: "retried" },
  { key: "deadLettered", className: "dead", label: "dead-lettered" },
];
let endpoints = [];

/** Sums the endpoints' minutes into one hour of minutes. */
function total() {
  const minutes = new Map();
  for (const e of endpoints) {
    for (const m of e.minutes) {
      const sum = minutes.get(m.minute) ?? { minute: m.minute, handled: 0, retried: 0, deadLettered: 0 };
      sum.handled += m.handled; sum.retried += m.retried; sum.deadLettered += m.deadLettered;
      minutes.set(m.minute, sum);
    }
  }
  return [...minutes.values()].sort((a, b) => a.minute.localeCompare(b.minute))
    .map(m => ({ ...m, label: new Date(m.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }));
}

function draw() {
  const hour = total();
  const now = hour.at(-1) ?? { handled: 0, retried: 0, deadLettered: 0 };
  document.getElementById("handled").textContent = number(now.handled);
  document.getElementById("failed").textContent = number(now.retried + now.deadLettered);
  document.getElementById("failed-tile").classList.toggle("bad", now.retried + now.deadLettered > 0);
  const chart = document.getElementById("chart");
  chart.replaceChildren(bars(hour, series, { width: Math.max(320, chart.clientWidth || 720), label: "Messages per minute over the last hour" }));
  rows(document.querySelector("#endpoints tbody"), endpoints, e => el("tr", { dataset: { endpoint: e.name, health: e.health } },
    el("td", {}, el("strong", {}, e.name)),
    el("td", {}, el("span", { class: "health", dataset: { health: e.health } }, e.health)),
    el("td", {}, sparkline(e.minutes.map(m => m.handled), { label: `${e.name}: handled per minute` })),
    el("td", { class: "num" }, number(e.queue?.depth)),
    el("td", { class: "num" }, number(e.queue?.inFlight)),
    el("td", { class: "num" }, e.queue?.deadLetters ? el("a", { href: "failures" }, number(e.queue.deadLetters)) : number(e.queue?.deadLetters)),
    el("td", { class: "num" }, number(e.queue?.consumers)),
    el("td", { class: "num" }, duration(e.queue?.oldestAgeSeconds))),
  "This service has no endpoints of its own.");
}

function store(s, failures) {
  document.getElementById("outbox").textContent = s ? number(s.outbox.count) : "–";
  document.getElementById("due").textContent = s ? number(s.scheduledDue) : "–";
  if (failures !== undefined) {
    document.getElementById("dead").textContent = number(failures);
    document.getElementById("dead-tile").classList.toggle("bad", failures > 0);
  }
}

await start("overview");
const first = await get("overview").catch(() => null);
if (first) {
  endpoints = first.endpoints;
  store(first.store);
  draw();
}
live(state => {
  // This minute's and the last minute's counts replace or extend each endpoint's hour.
  for (const a of state.activity) {
    const e = endpoints.find(x => x.name === a.endpoint);
    if (!e) continue;
    for (const m of a.minutes) {
      const i = e.minutes.findIndex(x => x.minute === m.minute);
      if (i >= 0) e.minutes[i] = m;
      else { e.minutes.push(m); e.minutes.shift(); }
    }
    e.health = a.health;
    const q = state.queues.find(x => x.name === a.endpoint);
    if (q) e.queue = q;
  }
  store(state.store, state.failures.count);
  draw();
});
