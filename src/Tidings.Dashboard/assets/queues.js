// Queues: each endpoint's queue, waiting messages over the last hour (the statistics samples, then live), in flight,
// the oldest message's age, consumers and dead letters.
"use strict";
import { sparkline } from "./charts.js";
import { duration, el, get, live, number, rows, start } from "./dashboard.js";

let queues = [];

function draw() {
  rows(document.querySelector("#queues tbody"), queues, q => el("tr", { dataset: { queue: q.now.name, depth: q.now.depth } },
    el("td", {}, el("strong", {}, q.now.name)),
    el("td", {}, sparkline(q.depths, { label: `${q.now.name}: waiting over the last hour` })),
    el("td", { class: "num" }, number(q.now.depth)),
    el("td", { class: "num" }, number(q.now.inFlight)),
    el("td", { class: "num" }, duration(q.now.oldestAgeSeconds)),
    el("td", { class: "num" }, number(q.now.consumers)),
    el("td", { class: "num" }, q.now.deadLetters ? el("a", { href: "failures" }, number(q.now.deadLetters)) : "0")),
  "This service has no endpoints of its own.");
}

await start("queues");
const first = await get("queues").catch(() => null);
if (first) {
  document.getElementById("interval").textContent = first.intervalSeconds
    ? `Waiting messages over the last hour: a sample every ${first.intervalSeconds} s, then live.`
    : "Statistics sampling is off (TidingsOptions.StatisticsInterval): live figures only.";
  queues = first.queues.map(q => ({ now: q.now, depths: [...q.history.map(h => h.depth), q.now.depth] }));
  draw();
}
live(state => {
  for (const now of state.queues) {
    let q = queues.find(x => x.now.name === now.name);
    if (!q) queues.push(q = { now, depths: [] });
    q.now = now;
    q.depths.push(now.depth);
    if (q.depths.length > 240) q.depths.shift();
  }
  draw();
});
