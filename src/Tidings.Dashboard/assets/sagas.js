// Sagas: instances by status per saga, one saga's instances (by status, paged on the server), and one instance's
// timeline of messages, timeouts and compensations.
"use strict";
import { el, get, live, number, rows, serial, start, when } from "./dashboard.js";

const url = new URL(location.href);
let saga = url.searchParams.get("saga");
let instance = url.searchParams.get("id");
let status = url.searchParams.get("status") ?? "";
let cursors = [null];
let seen = null;
const inTurn = serial();

function remember() {
  const next = new URL(location.href);
  next.search = "";
  if (saga) next.searchParams.set("saga", saga);
  if (status) next.searchParams.set("status", status);
  if (instance) next.searchParams.set("id", instance);
  history.replaceState(null, "", next);
}

function share(byStatus, total) {
  return el("div", { class: "bar", title: Object.entries(byStatus).map(([k, v]) => `${k}: ${v}`).join(", ") },
    ...["active", "completed", "compensated"].map(k => {
      // Set through the CSSOM: the page's policy refuses style attributes.
      const part = el("span", { class: k });
      part.style.width = `${total ? (100 * (byStatus[k] ?? 0)) / total : 0}%`;
      return part;
    }));
}

async function loadSagas() {
  const sagas = await get("sagas");
  rows(document.querySelector("#sagas tbody"), sagas, s => el("tr", { dataset: { saga: s.saga }, class: s.saga === saga ? "selected" : undefined, on: { click: () => choose(s.saga) } },
    el("td", {}, el("strong", {}, s.saga)),
    el("td", { class: "num" }, number(s.byStatus.active ?? 0)),
    el("td", { class: "num" }, number(s.byStatus.completed ?? 0)),
    el("td", { class: "num" }, number(s.byStatus.compensated ?? 0)),
    el("td", {}, share(s.byStatus, s.total))), "No saga instances yet.");
}

async function loadInstances() {
  const section = document.getElementById("instances-section");
  section.hidden = !saga;
  if (!saga) return;
  document.getElementById("instances-title").textContent = `${saga}: instances `;
  document.getElementById("status").value = status;
  const page = await get(`sagas/${encodeURIComponent(saga)}`, { status, after: cursors.at(-1), limit: 25 });
  rows(document.querySelector("#instances tbody"), page.items, i => el("tr", {
    dataset: { instance: i.correlationId, status: i.status }, class: i.correlationId === instance ? "selected" : undefined, on: { click: () => inTurn(() => open(i.correlationId)) },
  }, el("td", {}, el("code", {}, i.correlationId)), el("td", {}, el("span", { class: "status", dataset: { status: i.status } }, i.status)),
    el("td", {}, when(i.startedAt)), el("td", {}, when(i.updatedAt))), "None in this status.");
  const next = document.getElementById("next");
  next.hidden = !page.next;
  next.onclick = () => { cursors.push(page.next); inTurn(loadInstances); };
  const first = document.getElementById("first");
  first.hidden = cursors.length === 1;
  first.onclick = () => { cursors = [null]; refresh(); };
}

async function open(id) {
  instance = id;
  remember();
  for (const row of document.querySelectorAll("#instances tr[data-instance]")) row.classList.toggle("selected", row.dataset.instance === id);
  const d = await get(`sagas/${encodeURIComponent(saga)}/${id.split("/").map(encodeURIComponent).join("/")}`).catch(() => null);
  const aside = document.getElementById("instance");
  aside.hidden = !d;
  if (!d) return;
  aside.dataset.instance = id;
  aside.dataset.status = d.summary.status;
  document.getElementById("instance-title").textContent = `${d.summary.sagaName} ${d.summary.correlationId}`;
  document.getElementById("instance-summary").replaceChildren(...[
    ["Status", el("span", { class: "status", dataset: { status: d.summary.status } }, d.summary.status)], ["Started", when(d.summary.startedAt)],
    ["Updated", when(d.summary.updatedAt)], ["Instance", el("code", {}, d.summary.instanceId)],
  ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const timeline = document.getElementById("timeline");
  timeline.replaceChildren(...(d.earlierEntries ? [el("li", { class: "earlier" }, el("small", {}, `${d.earlierEntries} earlier entries not kept`))] : []),
    ...d.history.map(h => el("li", { dataset: { kind: h.kind } },
      el("span", { class: "kind" }, h.kind), " ", el("code", {}, h.messageName),
      el("small", {}, new Date(h.at).toLocaleString(), h.detail ? ` · ${h.detail}` : ""))));
  document.getElementById("timeouts").replaceChildren(...(d.pendingTimeouts.length
    ? d.pendingTimeouts.map(t => el("li", {}, el("code", {}, t))) : [el("li", { class: "none" }, "none")]));
  rows(document.querySelector("#compensations tbody"), d.compensations, c => el("tr", { dataset: { step: c.step, run: c.sentAt !== null } },
    el("td", {}, el("strong", {}, c.step)), el("td", {}, el("code", {}, c.messageName), el("small", {}, `to ${c.destination}`)),
    el("td", {}, c.sentAt ? el("span", {}, "ran ", when(c.sentAt)) : "recorded, not run"), el("td", {}, c.reason ?? "")), "none");
  document.getElementById("state").textContent = JSON.stringify(d.state, null, 2);
}

function choose(name) {
  saga = name;
  instance = null;
  cursors = [null];
  remember();
  document.getElementById("instance").hidden = true;
  refresh();
}

function refresh() {
  return inTurn(async () => {
    await loadSagas();
    await loadInstances();
    if (instance) await open(instance);
  });
}

document.getElementById("status").onchange = e => { status = e.target.value; cursors = [null]; remember(); inTurn(loadInstances); };
await start("sagas");
await refresh();
live(state => {
  const now = JSON.stringify(state.store?.sagas ?? []);
  if (now !== seen && cursors.length === 1) refresh();
  seen = now;
});
