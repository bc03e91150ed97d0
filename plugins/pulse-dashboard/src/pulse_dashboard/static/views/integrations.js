// Integrations: each notifier's health and last error, and a button that sends a test message;
// with the pulse-reports plugin, the scheduled reports and their recorded runs.

import { api, ApiError } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { reportsPanel, scheduledReports } from "../reports.js";

export async function render(root, _params, app) {
  const [body, reports] = await Promise.all([api("/api/integrations"), scheduledReports()]);
  const notifiers = Array.isArray(body) ? body : body.items || body.notifiers || [];
  root.append(h("h1", {}, "Integrations"), notifiers.length ? notifiersTable(notifiers, app) : noNotifiers(app));
  if (reports.length) root.append(reportsPanel(reports));
}

function notifiersTable(notifiers, app) {
  return h("div", { class: "table-scroll" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {},
      h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Sent"), h("th", {}, "Failed"), h("th", {}, "Pending"),
      h("th", {}, "Last success"), h("th", {}, "Last error"), h("th", {}, ""))),
    h("tbody", {}, notifiers.map((notifier) => notifierRow(notifier, app)))));
}

// The first visit has nothing to list: say what a notifier is for and how to add one.
const EXAMPLE = `notifiers:
  - name: ops-webhook
    webhook: {url: "https://alerts.example.org/pulse"}`;

function noNotifiers(app) {
  return h("section", { class: "panel stack", "aria-label": "No notifiers yet" },
    h("h2", {}, "No notifiers yet"),
    h("p", {}, "Pulse tells no one when an endpoint goes offline until a notifier is configured. ",
      "Add a ", h("code", {}, "notifiers:"), " block to the configuration, for example a webhook:"),
    h("pre", { class: "example" }, h("code", {}, EXAMPLE)),
    h("p", {}, app.canEdit()
      ? [h("a", { href: "/configuration", "data-link": true }, "Open the Configuration page"), ", add the block, Validate, then Apply."]
      : "An editor or administrator adds it on the Configuration page."),
    h("p", { class: "muted" },
      "Slack, Teams, Splunk, email, ServiceNow and Jira, the rules that pick who is told, and maintenance windows are described in ",
      h("code", {}, "docs/alerting.md"), ", sections Configuration and Notifiers."));
}

function notifierRow(notifier, app) {
  const result = h("span", { class: "muted", "aria-live": "polite" });
  const health = notifier.health || notifier;
  const lastError = health.lastError;
  return h("tr", {},
    h("td", {}, notifier.name),
    h("td", {}, notifier.type),
    h("td", {}, health.sent ?? 0),
    h("td", {}, health.failed ?? 0),
    h("td", {}, health.pending ?? 0),
    h("td", {}, dateTime(health.lastSuccessTs)),
    h("td", { class: lastError ? "error-text" : "" }, lastError || "–",
      lastError && health.lastErrorTs ? h("div", { class: "muted" }, dateTime(health.lastErrorTs)) : null),
    h("td", {}, app.canEdit()
      ? h("button", {
          type: "button",
          onclick: async () => {
            result.className = "muted";
            result.textContent = "Sending…";
            try {
              const answer = await api(`/api/integrations/${encodeURIComponent(notifier.name)}/test`, { method: "POST" });
              result.textContent = answer.detail || "Sent";
            } catch (error) {
              result.className = "error-text";
              result.textContent = error instanceof ApiError ? testFailure(error) : "Pulse did not answer";
            }
          },
        }, "Send test")
      : null, " ", result));
}

// A failed test in Pulse's words; a permanent one (a refused certificate, a bad token) says
// that sending again will not help until the configuration changes.
function testFailure(error) {
  return error.body && error.body.permanent
    ? `${error.message} (permanent: retrying will not help)`
    : error.message;
}
