// Queues: each endpoint's queue, waiting messages over the last hour (the statistics samples, then live), in flight,
// the oldest message's age, consumers and dead letters.
"use strict";
import { sparkline } from "./charts.js";
import { duration, el, get, live, number, rows, start } from "./dashboard.js";

const hour = 3600_000;
let queues = [];

/** A queue's points over the last hour, each at its time. */
function trim(points) {
  const from = Date.now() - hour;
  while (points.length && points[0].at < from) points.shift();
  return points;
}

function draw() {
  const to = Date.now();
  rows(document.querySelector("#queues tbody"), queues, q => el("tr", { dataset: { queue: q.now.name, depth: q.now.depth } },
    el("td", {}, el("strong", {}, q.now.name)),
    el("td", {}, sparkline(trim(q.points).map(p => p.depth), { times: q.points.map(p => p.at), from: to - hour, to, label: `${q.now.name}: waiting over the last hour` })),
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
  // The samples carry the server's clock: placed on this browser's, by the difference of the two at this answer.
  const skew = Date.now() - Date.parse(first.at);
  queues = first.queues.map(q => ({ now: q.now, points: [...q.history.map(h => ({ at: Date.parse(h.at) + skew, depth: h.depth })), { at: Date.now(), depth: q.now.depth }] }));
  draw();
}
live(state => {
  for (const now of state.queues) {
    let q = queues.find(x => x.now.name === now.name);
    if (!q) queues.push(q = { now, points: [] });
    q.now = now;
    q.points.push({ at: Date.now(), depth: now.depth });
  }
  draw();
});
