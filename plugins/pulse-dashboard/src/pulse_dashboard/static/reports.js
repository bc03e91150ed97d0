// The Integrations page's "Reports" panel: the pulse-reports plugin's scheduled reports, when
// each is next due and its last runs. Without the plugin (404) or for a viewer (403) the
// page simply has no panel.

import { api, ApiError } from "./api.js";
import { h } from "./dom.js";
import { dateTime, stateWord } from "./format.js";

// runs shown per report (the API gives up to 20, newest first)
const RUNS_SHOWN = 5;

export async function scheduledReports() {
  try {
    return (await api("/api/reports")).items;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return [];
    throw error;
  }
}

export function reportsPanel(reports) {
  return h("section", { class: "panel stack reports", "aria-label": "Reports" },
    h("h2", {}, "Reports"),
    reports.map((report) => h("article", { class: "report stack", "data-report": report.name },
      h("h3", {}, report.name),
      h("dl", { class: "settings" },
        setting("Schedule", `${report.schedule} (${report.timezone})`),
        setting("Format", report.format.toUpperCase()),
        setting("Next due", h("time", { datetime: report.nextDue }, dateTime(report.nextDue))),
        setting("Recipients", report.recipients.length ? report.recipients.join(", ") : "none (made and recorded, not sent)")),
      runsTable(report.runs.slice(0, RUNS_SHOWN)))));
}

function setting(term, value) {
  return h("div", { "data-setting": term }, h("dt", {}, term), h("dd", {}, value));
}

function runsTable(runs) {
  if (!runs.length) return h("p", { class: "muted" }, "No runs recorded yet.");
  return h("div", { class: "table-scroll" }, h("table", { class: "data" },
    h("caption", { class: "muted" }, "Last runs, newest first"),
    h("thead", {}, h("tr", {},
      h("th", {}, "Due"), h("th", {}, "Period"), h("th", {}, "Outcome"), h("th", {}, "Size"), h("th", {}, "Recipients"))),
    h("tbody", {}, runs.map((run) => h("tr", { "data-due": run.due },
      h("td", {}, dateTime(run.due), run.trigger === "catch-up" ? h("div", { class: "muted" }, "catch-up") : null),
      h("td", {}, `${dateTime(run.periodStart)} – ${dateTime(run.periodEnd)}`),
      h("td", { class: "outcome" }, outcome(run.outcome)),
      h("td", {}, size(run.size)),
      h("td", {}, run.recipients.length ? run.recipients.join(", ") : "–"))))));
}

// "sent", "rendered" (no recipients: made but not delivered) or "failed: <reason>".
function outcome(text) {
  if (text === "sent") return stateWord(text, "up");
  if (text.startsWith("failed")) return stateWord(text, "down");
  return stateWord(text, "flapping");
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
