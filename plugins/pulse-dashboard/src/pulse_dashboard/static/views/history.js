// History of an endpoint or a group: availability, response time and down events over a range,
// as raw checks, 15-minute or daily buckets, with a CSV download through the export API.

import { api, query } from "../api.js";
import { availabilityChart, chartsPanel, lineChart } from "../charts.js";
import { h } from "../dom.js";
import { dateTime, percent, rtt, statusBadge } from "../format.js";
import { indentedName, inTreeOrder } from "../groups.js";

const SPANS = { raw: 0, "15m": 900000, daily: 86400000 };
const DAY_MS = 86400000;

export async function render(root, _params, _app) {
  const [live, groups] = await Promise.all([api("/api/status/live"), api("/api/groups")]);
  const groupList = Array.isArray(groups) ? groups : groups.items || [];
  const endpoints = live.items.map((item) => item.endpoint).sort((a, b) => a.name.localeCompare(b.name));
  const params = new URLSearchParams(location.search);
  const today = new Date();
  const form = {
    subject: params.get("subject") || (endpoints[0] ? `endpoint:${endpoints[0].id}` : ""),
    bucket: params.get("bucket") || "raw",
    from: params.get("from") || isoDate(new Date(today - DAY_MS)),
    to: params.get("to") || isoDate(today),
  };
  const output = h("div", { class: "stack", "aria-live": "polite" });
  const download = h("a", { class: "button", download: true }, "Download CSV");

  const subject = h("select", { name: "subject" },
    h("optgroup", { label: "Endpoints" }, endpoints.map((e) => h("option", { value: `endpoint:${e.id}` }, e.name))),
    h("optgroup", { label: "Groups" }, inTreeOrder(groupList).map((entry) => h("option", { value: `group:${entry.group.id}` }, indentedName(entry)))));
  subject.value = form.subject;
  const bucket = h("select", { name: "bucket" },
    h("option", { value: "raw" }, "Every check"), h("option", { value: "15m" }, "15 minutes"), h("option", { value: "daily" }, "Daily"));
  bucket.value = form.bucket;
  const from = h("input", { type: "date", name: "from", value: form.from, required: true });
  const to = h("input", { type: "date", name: "to", value: form.to, required: true });

  root.append(
    h("h1", {}, "History"),
    h("form", {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        Object.assign(form, { subject: subject.value, bucket: bucket.value, from: from.value, to: to.value });
        history.replaceState(null, "", `/history${query(form)}`);
        show();
      },
    },
    h("label", {}, "Endpoint or group", subject),
    h("label", {}, "Buckets", bucket),
    h("label", {}, "From", from),
    h("label", {}, "To", to),
    h("button", { class: "primary", type: "submit" }, "Show"),
    download),
    output,
  );

  async function show() {
    const [kind, id] = form.subject.split(":");
    const start = Date.parse(`${form.from}T00:00:00Z`);
    const end = Date.parse(`${form.to}T00:00:00Z`) + DAY_MS;
    const range = { startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() };
    const exportFilter = kind === "group" ? { group: id } : { endpointId: id };
    download.href = `/api/export/history${query({ format: "csv", bucket: form.bucket, ...range, ...exportFilter })}`;
    output.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const rows = await loadRows(kind, id, form.bucket, range, start, end);
      output.replaceChildren(...describe(rows, form.bucket, start, end));
    } catch (error) {
      output.replaceChildren(h("p", { class: "error-text", role: "alert" }, error.message));
    }
  }

  if (form.subject) show();
}

async function loadRows(kind, id, bucket, range, start, end) {
  if (kind === "endpoint") {
    const body = await api(`/api/history/endpoint/${encodeURIComponent(id)}${query({
      bucket, from: new Date(start).toISOString(), to: new Date(end).toISOString(),
    })}`);
    if (bucket === "raw") return body.raw.map((c) => ({ ...c, name: body.endpoint.name }));
    const buckets = bucket === "15m" ? body.rollup15m : body.rollupDaily;
    return buckets.map((b) => ({ ...b, name: body.endpoint.name, t: Date.parse(b.bucketTs || `${b.bucketDate}T00:00:00Z`) }));
  }
  const body = await api(`/api/export/history${query({ format: "json", bucket, group: id, ...range })}`);
  const rows = Array.isArray(body) ? body : body.items || body.rows || [];
  return rows.map((row) => ({ ...row, name: row.endpointName, t: Date.parse(row.bucketTs || row.ts || `${row.bucketDate}T00:00:00Z`) }));
}

function describe(rows, bucket, start, end) {
  if (!rows.length) return [h("p", { class: "muted" }, "No data in this range.")];
  if (bucket === "raw") return describeRaw(rows, start, end);
  const total = rows.reduce((sum, r) => sum + (r.total ?? 1), 0);
  const upWeighted = rows.reduce((sum, r) => sum + r.upPct * (r.total ?? 1), 0);
  const rtts = rows.filter((r) => r.avgRttMs !== null && r.avgRttMs !== undefined);
  const downEvents = rows.reduce((sum, r) => sum + r.downEvents, 0);
  const chartBuckets = mergeByTime(rows).map((b) => ({ t: b.t, span: SPANS[bucket], upPct: b.upPct }));
  return [
    summary(total ? upWeighted / total : null, rtts.length ? rtts.reduce((s, r) => s + r.avgRttMs, 0) / rtts.length : null, downEvents),
    chartsPanel("Charts", null, [
      availabilityChart("Availability", chartBuckets, start, end),
      lineChart("Average response time", mergeByTime(rows).map((b) => ({ t: b.t, v: b.avgRttMs })), " ms", start, end),
    ]),
    h("div", { class: "table-scroll" }, h("table", { class: "data" },
      h("thead", {}, h("tr", {}, h("th", {}, "Bucket"), h("th", {}, "Endpoint"), h("th", {}, "Availability"), h("th", {}, "Avg response"), h("th", {}, "Down events"))),
      h("tbody", {}, rows.slice(0, 2000).map((r) => h("tr", {},
        h("td", {}, r.bucketDate || dateTime(r.bucketTs)), h("td", {}, r.name), h("td", {}, percent(r.upPct)), h("td", {}, rtt(r.avgRttMs)), h("td", {}, r.downEvents)))))),
  ];
}

function describeRaw(rows, start, end) {
  const up = rows.filter((r) => r.status === "up");
  const downEvents = rows.filter((r, i) => i > 0 && r.status === "down" && rows[i - 1].status === "up").length;
  return [
    summary((up.length * 100) / rows.length, up.length ? up.reduce((s, r) => s + (r.rttMs || 0), 0) / up.length : null, downEvents),
    chartsPanel("Charts", null, [
      lineChart("Response time", rows.map((r) => ({ t: Date.parse(r.ts), v: r.status === "up" ? r.rttMs : null })), " ms", start, end),
    ]),
    h("div", { class: "table-scroll" }, h("table", { class: "data" },
      h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "Status"), h("th", {}, "Response"), h("th", {}, "Error"))),
      h("tbody", {}, rows.slice(-2000).reverse().map((r) => h("tr", {},
        h("td", {}, dateTime(r.ts)), h("td", {}, statusBadge(r.status)), h("td", {}, rtt(r.rttMs)), h("td", {}, r.error || "–")))))),
  ];
}

function summary(availability, averageRtt, downEvents) {
  return h("section", { class: "summary", "aria-label": "Summary" },
    h("div", { class: "count up" }, h("span", { class: "value", "data-summary": "availability" }, percent(availability)), h("span", { class: "label" }, "Availability")),
    h("div", { class: "count" }, h("span", { class: "value", "data-summary": "rtt" }, rtt(averageRtt)), h("span", { class: "label" }, "Average response")),
    h("div", { class: "count down" }, h("span", { class: "value", "data-summary": "down-events" }, downEvents), h("span", { class: "label" }, "Down events")));
}

// A group's rows hold one entry per endpoint and bucket: chart the mean of each bucket.
function mergeByTime(rows) {
  const byTime = new Map();
  for (const row of rows) {
    const entry = byTime.get(row.t) || { t: row.t, up: 0, n: 0, rtt: 0, rttN: 0 };
    entry.up += row.upPct;
    entry.n += 1;
    if (row.avgRttMs !== null && row.avgRttMs !== undefined) {
      entry.rtt += row.avgRttMs;
      entry.rttN += 1;
    }
    byTime.set(row.t, entry);
  }
  return [...byTime.values()].sort((a, b) => a.t - b.t).map((e) => ({ t: e.t, upPct: e.up / e.n, avgRttMs: e.rttN ? e.rtt / e.rttN : null }));
}

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}
