// Our own small SVG charts: a response-time line and availability bars over time.

import { h, svg } from "./dom.js";

// A chart's labels are drawn in its own units and scale with the width it is shown at, so
// every page shows its charts through chartsPanel: the same panel and grid, the same width,
// the same label size. 600 units is about the width of one grid column at desktop width.
const WIDTH = 600;
const HEIGHT = 200;
const PAD = { left: 48, right: 10, top: 12, bottom: 24 };

function scale(domainMin, domainMax, rangeMin, rangeMax) {
  const span = domainMax - domainMin || 1;
  return (value) => rangeMin + ((value - domainMin) / span) * (rangeMax - rangeMin);
}

function frame(title, yMax, yUnit, start, end) {
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title });
  const bottom = HEIGHT - PAD.bottom;
  root.append(
    svg("line", { class: "axis", x1: PAD.left, y1: bottom, x2: WIDTH - PAD.right, y2: bottom }),
    svg("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: bottom }),
    svg("text", { x: PAD.left - 6, y: PAD.top + 8, "text-anchor": "end" }, `${formatNumber(yMax)}${yUnit}`),
    svg("text", { x: PAD.left - 6, y: bottom, "text-anchor": "end" }, `0${yUnit}`),
    svg("text", { x: PAD.left, y: HEIGHT - 6 }, timeLabel(start)),
    svg("text", { x: WIDTH - PAD.right, y: HEIGHT - 6, "text-anchor": "end" }, timeLabel(end)),
  );
  return root;
}

function formatNumber(value) {
  return value >= 10 ? Math.round(value).toString() : value.toFixed(1);
}

function timeLabel(ms) {
  return new Date(ms).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// A titled panel holding charts side by side, one per column while they fit.
export function chartsPanel(title, note, charts) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), note, h("div", { class: "charts" }, charts));
}

// points: [{t: ms, v: number|null}]; gaps (null) break the line.
export function lineChart(title, points, unit, start, end) {
  const values = points.map((p) => p.v).filter((v) => v !== null && v !== undefined);
  const yMax = Math.max(1, ...values) * 1.1;
  const root = frame(title, yMax, unit, start, end);
  const x = scale(start, end, PAD.left, WIDTH - PAD.right);
  const y = scale(0, yMax, HEIGHT - PAD.bottom, PAD.top);
  let path = "";
  let pen = "M";
  for (const point of points) {
    if (point.v === null || point.v === undefined) {
      pen = "M";
      continue;
    }
    path += `${pen}${x(point.t).toFixed(1)},${y(point.v).toFixed(1)} `;
    pen = "L";
  }
  if (path) root.append(svg("path", { class: "line", d: path.trim() }));
  return root;
}

// buckets: [{t: ms, span: ms, upPct: number}]; each bar shows availability, the rest in red.
export function availabilityChart(title, buckets, start, end) {
  const root = frame(title, 100, " %", start, end);
  const x = scale(start, end, PAD.left, WIDTH - PAD.right);
  const y = scale(0, 100, HEIGHT - PAD.bottom, PAD.top);
  for (const bucket of buckets) {
    const left = x(bucket.t);
    const width = Math.max(1, x(bucket.t + bucket.span) - left - 1);
    const top = y(bucket.upPct);
    root.append(
      svg("rect", { class: "bar-up", x: left.toFixed(1), y: top.toFixed(1), width: width.toFixed(1), height: (HEIGHT - PAD.bottom - top).toFixed(1) }),
      svg("rect", { class: "bar-down", x: left.toFixed(1), y: PAD.top, width: width.toFixed(1), height: Math.max(0, top - PAD.top).toFixed(1) }),
    );
  }
  return root;
}

// The trend strip of an overview row: one small bar per recent check.
export function sparkline(points) {
  const width = 120;
  const height = 18;
  const count = Math.max(points.length, 1);
  const step = width / Math.max(count, 20);
  const root = svg("svg", { class: "spark", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  points.forEach((point, index) => {
    const up = point.s === "u";
    root.append(svg("rect", {
      class: up ? "u" : "d", "data-ts": point.ts, x: (index * step).toFixed(1), y: up ? 4 : 0,
      width: Math.max(1, step - 1).toFixed(1), height: up ? height - 4 : height,
    }));
  });
  return root;
}
