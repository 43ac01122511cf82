// The order page: places an order (202 at once), then watches it live over server-sent events until it ends.
"use strict";

const $ = id => document.getElementById(id);

const labels = {
  "coffeeshop.order-placed": "Order taken at the counter",
  "coffeeshop.payment-accepted": "Card charged",
  "coffeeshop.payment-declined": "Card declined",
  "coffeeshop.drink-ready": "Drink ready",
  "coffeeshop.drink-failed": "The machine broke",
  "coffeeshop.counter.barista-deadline": "The barista took too long",
};

const kinds = {
  "timeout-requested": null, "timeout-cancelled": null, "compensation-recorded": null,
  compensated: "Refund sent", completed: "Order finished", late: "Arrived after the order ended",
};

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map(x => x.toString(16).padStart(2, "0")).join("");
}

function describe(update) {
  if (update.kind in kinds) return kinds[update.kind];
  return labels[update.message] ?? update.message;
}

function addToTimeline(update) {
  const text = describe(update);
  if (!text) return;
  const item = document.createElement("li");
  item.dataset.kind = update.kind;
  item.dataset.message = update.message;
  const time = document.createElement("time");
  time.textContent = new Date(update.at).toLocaleTimeString();
  item.append(time, " ", text);
  $("timeline").append(item);
}

function showStatus(status) {
  $("status").textContent = status.status;
  $("status").dataset.stage = status.status;
}

async function showReceipt(order, location) {
  const response = await fetch(location, { headers: { "Resource-Token": order.token } });
  if (!response.ok) return;
  const receipt = await response.json();
  const drinks = receipt.drinks.map(d => `${d.size} ${d.name}`).join(", ");
  $("receipt").innerHTML = "";
  const title = document.createElement("h3");
  title.textContent = "Receipt";
  const lines = document.createElement("p");
  lines.textContent = `${drinks}: ${(receipt.amountCents / 100).toFixed(2)}, made by ${receipt.barista}. Payment ${receipt.paymentId}.`;
  $("receipt").append(title, lines);
  $("receipt").hidden = false;
}

function showFailure(failure) {
  $("failure").textContent = failure ? `${failure.title} ${failure.detail ?? ""}` : "The order did not work out.";
  $("failure").hidden = false;
}

function watch(order) {
  $("order-view").hidden = false;
  $("cup-name").textContent = order.id;
  $("timeline").innerHTML = "";
  const events = new EventSource(`${order.location}/events?token=${encodeURIComponent(order.token)}`);
  events.addEventListener("update", e => addToTimeline(JSON.parse(e.data)));
  events.addEventListener("status", e => showStatus(JSON.parse(e.data)));
  events.addEventListener("end", async e => {
    events.close();
    const status = JSON.parse(e.data);
    showStatus(status);
    if (status.outcome === "succeeded" && status.location) await showReceipt(order, status.location);
    else if (status.outcome === "failed") showFailure(status.failure);
    document.body.dataset.orderEnded = status.status;
  });
}

function showProblem(problem) {
  const errors = problem.errors ? Object.values(problem.errors).flat().join(" ") : "";
  $("problem").textContent = `${problem.title ?? "The order was not taken."} ${problem.detail ?? ""} ${errors}`.trim();
  $("problem").hidden = false;
}

$("order-form").addEventListener("submit", async e => {
  e.preventDefault();
  $("problem").hidden = true;
  $("receipt").hidden = true;
  $("failure").hidden = true;
  delete document.body.dataset.orderEnded;
  const body = {
    customer: $("customer").value.trim(),
    drinks: [{ name: $("drink").value, size: $("size").value }],
    cardToken: $("card").value,
  };
  const response = await fetch("/orders", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": newKey() },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) {
    showProblem(await response.json().catch(() => ({ title: `The counter answered ${response.status}.` })));
    return;
  }
  const order = await response.json();
  sessionStorage.setItem("coffeeshop.order", JSON.stringify(order));
  watch(order);
});

// A reload goes on watching the order placed last in this tab.
const kept = sessionStorage.getItem("coffeeshop.order");
if (kept) watch(JSON.parse(kept));
