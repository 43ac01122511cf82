// Scheduled messages: what fires next, soonest first, paged on the server, with cancel.
"use strict";
import { change, el, get, live, number, rows, serial, start, toast, when } from "./dashboard.js";

let cursors = [null];
let seen = null;
const inTurn = serial();

async function cancel(s) {
  if (!confirm(`Cancel ${s.messageName} due ${new Date(s.dueAt).toLocaleString()}? It will never be sent.`)) return;
  try {
    const result = await change("scheduled/cancel", { ids: [s.id] });
    toast(result.cancelled ? "Cancelled." : "Already sent or cancelled.");
    cursors = [null];
    await inTurn(load);
  } catch {
    // The banner shows the problem.
  }
}

async function load() {
  const page = await get("scheduled", { after: cursors.at(-1), limit: 25 });
  rows(document.querySelector("#scheduled tbody"), page.items, s => el("tr", { dataset: { schedule: s.id, message: s.messageName } },
    el("td", {}, when(s.dueAt)), el("td", {}, s.destination), el("td", {}, el("code", {}, s.messageName)), el("td", {}, el("code", {}, s.messageId)),
    el("td", { class: "actions changes" }, el("button", { class: "danger", on: { click: () => cancel(s) } }, "Cancel"))),
  "Nothing scheduled.");
  const next = document.getElementById("next");
  next.hidden = !page.next;
  next.onclick = () => { cursors.push(page.next); inTurn(load); };
  const first = document.getElementById("first");
  first.hidden = cursors.length === 1;
  first.onclick = () => { cursors = [null]; inTurn(load); };
}

await start("scheduled");
await inTurn(load);
live(state => {
  if (!state.store) return;
  document.getElementById("counts").textContent = `${number(state.store.scheduledDue)} due, ${number(state.store.scheduledPending)} later`;
  const now = `${state.store.scheduledDue}:${state.store.scheduledPending}`;
  if (now !== seen && cursors.length === 1) inTurn(load);
  seen = now;
});
