// The live message flow: a map of the services, their endpoints and the message names between them, from the traffic
// each service reports with its statistics, with rates on the arrows.
"use strict";
import { el, get, live, number, rows, serial, start } from "./dashboard.js";

const svgNs = "http://www.w3.org/2000/svg";
const width = 230, gap = 190, nodeHeight = 34, nodeGap = 16, top = 48;
const inTurn = serial();

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const key = (service, endpoint) => `${service}/${endpoint ?? ""}`;
const label = (service, endpoint) => endpoint ?? `${service} (outside handlers)`;
const rate = e => e.perMinute === null ? "…" : `${number(e.perMinute)}/min`;

/** Where each box goes: a column per service (and one for queues and topics no one was seen receiving from). */
function layout(flow) {
  const columns = flow.services.map(s => ({ title: s.name, service: s.name, nodes: [] }));
  const column = name => columns.find(c => c.service === name) ?? columns[columns.push({ title: name, service: name, nodes: [] }) - 1];
  const add = (c, id, text, data) => { if (!c.nodes.some(n => n.id === id)) c.nodes.push({ id, text, data }); };
  for (const s of flow.services) for (const e of s.endpoints) add(column(s.name), key(s.name, e), e, { service: s.name, endpoint: e });
  let elsewhere = null;
  for (const e of flow.edges) {
    add(column(e.from.service), key(e.from.service, e.from.endpoint), label(e.from.service, e.from.endpoint), { service: e.from.service, endpoint: e.from.endpoint ?? "" });
    if (e.to.service) add(column(e.to.service), key(e.to.service, e.to.endpoint), e.to.endpoint, { service: e.to.service, endpoint: e.to.endpoint });
    else {
      elsewhere ??= { title: "not seen received", service: null, nodes: [] };
      add(elsewhere, `~${e.to.destination}`, `${e.to.topic ? "topic" : "queue"} ${e.to.destination}`, { destination: e.to.destination });
    }
  }
  if (elsewhere) columns.push(elsewhere);
  const place = new Map();
  columns.forEach((c, i) => c.nodes.forEach((n, j) => place.set(n.id, { x: 30 + i * (width + gap), y: top + j * (nodeHeight + nodeGap), column: i })));
  return { columns, place };
}

function draw(flow) {
  const map = document.getElementById("map");
  if (flow.services.length === 0) {
    map.replaceChildren(el("p", { class: "hint" }, "No service has reported its traffic yet: each reports with its statistics (TidingsOptions.StatisticsInterval, 30 s by default)."));
    return;
  }
  const { columns, place } = layout(flow);
  const tallest = Math.max(...columns.map(c => c.nodes.length));
  const chart = svg("svg", { class: "flow", width: columns.length * (width + gap), height: top + tallest * (nodeHeight + nodeGap) + 20, role: "img", "aria-label": "Message flow between services" });
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }));
  defs.append(marker);
  chart.append(defs);

  columns.forEach((c, i) => {
    const x = 20 + i * (width + gap);
    chart.append(svg("rect", { x, y: 8, width: width + 20, height: top - 8 + c.nodes.length * (nodeHeight + nodeGap), rx: 10, class: c.service ? "service" : "elsewhere" }));
    chart.append(svg("text", { x: x + 12, y: 30, class: "service-name" }, c.title));
    for (const n of c.nodes) {
      const p = place.get(n.id);
      const g = svg("g", { class: "node" });
      for (const [k, v] of Object.entries(n.data)) g.setAttribute(`data-${k}`, v);
      g.append(svg("rect", { x: p.x, y: p.y, width, height: nodeHeight, rx: 6 }), svg("text", { x: p.x + 10, y: p.y + 22 }, n.text));
      chart.append(g);
    }
  });

  const pairs = new Map();
  for (const e of flow.edges) {
    const from = place.get(key(e.from.service, e.from.endpoint));
    const to = place.get(e.to.service ? key(e.to.service, e.to.endpoint) : `~${e.to.destination}`);
    const pair = `${from.x},${from.y}>${to.x},${to.y}`;
    const nth = pairs.get(pair) ?? 0;
    pairs.set(pair, nth + 1);
    const y1 = from.y + nodeHeight / 2 + nth * 6, y2 = to.y + nodeHeight / 2 + nth * 6;
    // Rightwards from the right side to the left side, leftwards from the left side to the right side, and within one
    // service out of the right side and back into it.
    let x1, x2, c1, c2;
    if (to.column > from.column) {
      x1 = from.x + width; x2 = to.x; c1 = x1 + (x2 - x1) / 2; c2 = x2 - (x2 - x1) / 2;
    } else if (to.column < from.column) {
      x1 = from.x; x2 = to.x + width; c1 = x1 - (x1 - x2) / 2; c2 = x2 + (x1 - x2) / 2;
    } else {
      x1 = from.x + width; x2 = to.x + width; c1 = x1 + 90 + nth * 20; c2 = c1;
    }
    chart.append(svg("path", { d: `M ${x1} ${y1} C ${c1} ${y1}, ${c2} ${y2}, ${x2} ${y2}`, class: "edge", "marker-end": "url(#arrow)", "data-message": e.message }));
    // The label at the curve's middle (t = 1/2 of the cubic).
    const mx = (x1 + 3 * c1 + 3 * c2 + x2) / 8, my = (y1 + 3 * y1 + 3 * y2 + y2) / 8 - 6 - nth * 12;
    chart.append(svg("text", { x: mx, y: my, class: "edge-label", "text-anchor": "middle" }, `${e.message} · ${rate(e)}`));
  }
  map.replaceChildren(chart);
}

function table(flow) {
  rows(document.querySelector("#edges tbody"), flow.edges, e => el("tr", {
    dataset: { from: key(e.from.service, e.from.endpoint), message: e.message, to: e.to.service ? key(e.to.service, e.to.endpoint) : e.to.destination },
  }, el("td", {}, el("strong", {}, e.from.service), " ", label(e.from.service, e.from.endpoint)),
    el("td", {}, el("code", {}, e.message)),
    el("td", {}, e.to.service ? [el("strong", {}, e.to.service), " ", e.to.endpoint] : `${e.to.topic ? "topic" : "queue"} ${e.to.destination} (no receiver seen)`),
    el("td", { class: "num" }, rate(e)), el("td", { class: "num" }, number(e.total))), "No messages seen yet.");
}

async function load() {
  const flow = await get("flow");
  document.body.dataset.services = flow.services.map(s => s.name).join(" ");
  draw(flow);
  table(flow);
}

await start("flow");
await inTurn(load);
let heard = null;
let waiting = false;
live(state => {
  // Redrawn when a service's report has come in, not on every change of the other pages' figures.
  if (state.flow !== heard && !waiting) {
    waiting = true;
    inTurn(async () => { waiting = false; await load(); });
  }
  heard = state.flow;
});
