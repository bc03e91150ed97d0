// One endpoint: its configuration, what the probe told about the latest check, recent checks,
// charts of the last day, and its outages.

import { api, query } from "../api.js";
import { availabilityChart, chartsPanel, lineChart } from "../charts.js";
import { latestCheckCard } from "../details.js";
import { h } from "../dom.js";
import { dateTime, duration, percent, rtt, statusBadge } from "../format.js";
import { Topology, dependencyTree } from "../topology.js";

const DAY_MS = 86400000;
const QUARTER_HOUR_MS = 900000;

export async function render(root, [endpointId], app) {
  const end = Date.now();
  const start = end - DAY_MS;
  await app.live.ready(); // the page's status is read after the live socket opened, so no change is missed
  const [detail, history] = await Promise.all([
    api(`/api/endpoints/${encodeURIComponent(endpointId)}${query({ windowMinutes: 1440 })}`),
    api(`/api/history/endpoint/${encodeURIComponent(endpointId)}${query({
      bucket: "15m", from: new Date(start).toISOString(), to: new Date(end).toISOString(),
    })}`),
  ]);
  const endpoint = detail.endpoint;
  const recent = detail.recent;
  const latest = recent[recent.length - 1];
  // an unreachable endpoint's latest check failed: its live status (in topology) says why
  const status = h("span", {}, statusBadge(detail.topology?.status || (latest ? latest.status : "down")));
  const latestCheck = h("div", { class: "latest-check" }, latestCheckCard(detail.details, endpoint.type));
  // The tree view, when the endpoint depends on others or others on it; drawn again at each
  // pushed change, since any member's status may be in it.
  const dependencies = h("div", {});
  const drawTree = async () => {
    if (!detail.topology) return;
    const tree = dependencyTree(endpointId, await Topology.read().catch(() => new Topology()));
    dependencies.replaceChildren(tree || "");
  };
  await drawTree();

  const buckets = (history.rollup15m || []).map((b) => ({ t: Date.parse(b.bucketTs), span: QUARTER_HOUR_MS, upPct: b.upPct }));
  const rttPoints = recent.map((c) => ({ t: Date.parse(c.ts), v: c.status === "up" ? c.rttMs : null }));
  const upCount = recent.filter((c) => c.status === "up").length;

  root.append(
    h("p", {}, h("a", { href: "/", "data-link": true }, "← Overview")),
    h("h1", {}, endpoint.name, " ", status),
    h("section", { class: "panel", "aria-label": "Configuration" }, h("h2", {}, "Configuration"), configurationList(endpoint)),
    latestCheck,
    dependencies,
    chartsPanel("Last 24 hours",
      h("p", { class: "muted" }, `Availability ${recent.length ? percent((upCount * 100) / recent.length) : "–"} over ${recent.length} checks`),
      [availabilityChart("Availability per 15 minutes", buckets, start, end), lineChart("Response time", rttPoints, " ms", start, end)]),
    h("h2", {}, "Outages"),
    outagesTable(detail.outages),
    h("h2", {}, "Recent checks"),
    checksTable(recent.slice(-50).reverse()),
  );

  return app.live.subscribe(async (batch) => {
    drawTree();
    const update = batch.get(endpointId);
    if (!update) return;
    status.replaceChildren(statusBadge(update.status));
    const details = await latestDetails(endpointId);
    if (details) latestCheck.replaceChildren(latestCheckCard(details, endpoint.type) || "");
  });
}

// The details of the check that brought a status change: the endpoint again, with the
// shortest window, since only `details` is wanted. Without an answer the card keeps what it
// showed, until the next change.
async function latestDetails(endpointId) {
  try {
    const answer = await api(`/api/endpoints/${encodeURIComponent(endpointId)}${query({ windowMinutes: 1 })}`);
    return answer.details;
  } catch {
    return null;
  }
}

// Every setting /api/endpoints/{id} returns, in a grid of term and value that fills its rows,
// so the card is as tall as its content. The HTTP settings exist only for http endpoints.
function configurationList(endpoint) {
  const notSet = "not set";
  const http = endpoint.type === "http" || endpoint.httpPath || endpoint.httpMatch;
  const rows = [
    ["Type", endpoint.type],
    ["Address", endpoint.address || endpoint.host],
    ["Host", endpoint.host],
    ["Port", endpoint.port ?? notSet],
    ...(http ? [["HTTP path", endpoint.httpPath ?? "/"], ["Body must contain", endpoint.httpMatch ?? notSet]] : []),
    ["Group", endpoint.group.name],
    ["Interval", `${endpoint.intervalSeconds} s`],
    ["Timeout", `${endpoint.timeoutMs} ms`],
    ["Retries", endpoint.retries],
    ["Offline after", checks(endpoint.failureThreshold, "failed")],
    ["Online after", checks(endpoint.successThreshold, "good")],
    ["Expected response", endpoint.expectedRttMs != null ? `${endpoint.expectedRttMs} ms` : notSet],
    ["Enabled", endpoint.enabled ? "yes" : "no"],
    ["Id", endpoint.id],
  ];
  return h("dl", { class: "settings" },
    rows.map(([term, value]) => h("div", { "data-setting": term }, h("dt", {}, term), h("dd", {}, String(value)))),
    h("div", { class: "wide", "data-setting": "Notes" }, h("dt", {}, "Notes"), h("dd", {}, endpoint.notes || notSet)));
}

function checks(count, kind) {
  return `${count} ${kind} check${count === 1 ? "" : "s"} in a row`;
}

function outagesTable(outages) {
  if (!outages.length) return h("p", { class: "muted" }, "No outages in the last 24 hours.");
  return h("div", { class: "table-scroll" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {}, h("th", {}, "Started"), h("th", {}, "Ended"), h("th", {}, "Duration"), h("th", {}, "Last error"))),
    h("tbody", {}, [...outages].reverse().map((o) => h("tr", {},
      h("td", {}, dateTime(o.startedTs)),
      h("td", {}, o.endedTs ? dateTime(o.endedTs) : "ongoing"),
      h("td", {}, o.endedTs ? duration(o.durationS) : duration((Date.now() - Date.parse(o.startedTs)) / 1000)),
      h("td", {}, o.lastError || "–"))))));
}

function checksTable(checks) {
  return h("div", { class: "table-scroll" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "Status"), h("th", {}, "Response"), h("th", {}, "Error"))),
    h("tbody", {}, checks.map((c) => h("tr", {},
      h("td", {}, dateTime(c.ts)), h("td", {}, statusBadge(c.status)), h("td", {}, rtt(c.rttMs)), h("td", {}, c.error || "–"))))));
}
