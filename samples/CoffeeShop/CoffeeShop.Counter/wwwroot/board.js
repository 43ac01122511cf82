// The board: every order as a cup in the lane of where it stands, the services' lights and the queues, live.
"use strict";

const lanes = { placed: "placed", paid: "paid", ready: "ready", served: "served", "written-off": "undone", refunded: "undone" };

function item(list, text, data) {
  const li = document.createElement("li");
  li.textContent = text;
  Object.assign(li.dataset, data);
  list.append(li);
}

function cup(order) {
  const div = document.createElement("div");
  div.className = "cup";
  Object.assign(div.dataset, { id: order.id, stage: order.stage });
  const name = document.createElement("strong");
  name.textContent = order.id;
  const drinks = document.createElement("span");
  drinks.textContent = order.drinks.map(d => `${d.size} ${d.name}`).join(", ");
  div.append(name, drinks);
  if (order.stage === "written-off" || order.stage === "refunded") {
    const why = document.createElement("em");
    why.textContent = order.stage;
    div.append(why);
  }
  return div;
}

function render(board) {
  const services = document.getElementById("services");
  services.innerHTML = "";
  for (const s of board.services) item(services, `${s.name}: ${s.detail}`, { service: s.name, up: s.up });
  const queues = document.getElementById("queues");
  queues.innerHTML = "";
  const most = Math.max(10, ...board.queues.map(q => q.waiting ?? 0));
  for (const q of board.queues) {
    const li = document.createElement("li");
    li.dataset.queue = q.name;
    li.dataset.waiting = q.waiting ?? "";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${((q.waiting ?? 0) / most) * 100}%`;
    li.append(`${q.name}: ${q.waiting ?? "not there yet"}`, bar);
    queues.append(li);
  }
  const finished = document.getElementById("finished");
  finished.innerHTML = "";
  for (const [stage, count] of Object.entries(board.finished)) item(finished, `${stage}: ${count}`, { stage, count });
  for (const lane of document.querySelectorAll(".lane .cups")) lane.innerHTML = "";
  for (const order of board.orders) {
    const lane = document.querySelector(`.lane[data-lane="${lanes[order.stage] ?? "placed"}"] .cups`);
    lane.append(cup(order));
  }
  document.body.dataset.updated = board.at;
}

async function start() {
  // The board shows everyone's orders: without the shop's key it answers this machine only, and says so. With a key
  // configured, open the board as /board.html?key=... (the live stream cannot send a header).
  const key = new URLSearchParams(location.search).get("key");
  const query = key ? `?key=${encodeURIComponent(key)}` : "";
  const first = await fetch(`/board${query}`);
  if (!first.ok) {
    const problem = await first.json().catch(() => ({}));
    const refused = document.getElementById("refused");
    refused.textContent = `${problem.title ?? first.status} ${problem.detail ?? ""}`;
    refused.hidden = false;
    return;
  }
  render(await first.json());
  const events = new EventSource(`/board/events${query}`);
  events.addEventListener("board", e => render(JSON.parse(e.data)));
}

start();
