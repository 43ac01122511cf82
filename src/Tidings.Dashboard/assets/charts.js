// Inline SVG charts: a sparkline and stacked bars per minute. Small enough to need no charting library.
"use strict";

const svgNs = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/**
 * A line of values (oldest first) in a small box, the last value marked. With `times` (ms, one per value) and `from`,
 * `to`, each value sits at its time; else the values are evenly spaced.
 */
export function sparkline(values, { width = 160, height = 32, label = "", times, from, to } = {}) {
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "sparkline", role: "img", "aria-label": label });
  if (values.length === 0) return chart;
  const most = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const x = i => times ? Math.min(width, Math.max(0, ((times[i] - from) / Math.max(1, to - from)) * width)) : i * step;
  const y = v => height - 2 - (v / most) * (height - 4);
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  if (values.length > 1) {
    chart.append(svg("polygon", { points: `${x(0).toFixed(1)},${height} ${points.join(" ")} ${x(values.length - 1).toFixed(1)},${height}`, class: "area" }));
    chart.append(svg("polyline", { points: points.join(" "), class: "line" }));
  }
  const last = values.length - 1;
  chart.append(svg("circle", { cx: x(last).toFixed(1), cy: y(values[last]).toFixed(1), r: 2.5, class: "dot" }));
  const title = svg("title");
  title.textContent = label;
  chart.append(title);
  return chart;
}

/**
 * Stacked bars, one per entry: series is [{ key, className, label }], entries are objects with those keys and `label`.
 * The y axis is marked at its top value.
 */
export function bars(entries, series, { width = 720, height = 160, label = "" } = {}) {
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 18}`, width, height: height + 18, class: "bars", role: "img", "aria-label": label });
  const totals = entries.map(e => series.reduce((sum, s) => sum + (e[s.key] ?? 0), 0));
  const most = Math.max(1, ...totals);
  const slot = width / Math.max(1, entries.length);
  entries.forEach((entry, i) => {
    let top = height;
    for (const s of series) {
      const value = entry[s.key] ?? 0;
      if (value <= 0) continue;
      const h = (value / most) * (height - 4);
      top -= h;
      const bar = svg("rect", { x: (i * slot + 1).toFixed(1), y: top.toFixed(1), width: Math.max(1, slot - 2).toFixed(1), height: h.toFixed(1), class: s.className });
      const title = svg("title");
      title.textContent = `${entry.label}: ${value} ${s.label}`;
      bar.append(title);
      chart.append(bar);
    }
  });
  const axis = svg("text", { x: 2, y: 10, class: "axis" });
  axis.textContent = `${most.toLocaleString("en")}/min`;
  const start = svg("text", { x: 2, y: height + 14, class: "axis" });
  start.textContent = entries[0]?.label ?? "";
  const end = svg("text", { x: width - 2, y: height + 14, class: "axis", "text-anchor": "end" });
  end.textContent = entries.at(-1)?.label ?? "";
  chart.append(svg("line", { x1: 0, y1: height, x2: width, y2: height, class: "baseline" }), axis, start, end);
  return chart;
}
