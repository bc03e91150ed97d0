// Integrations: each notifier's health and last error, and a button that sends a test message.

import { api, ApiError } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";

export async function render(root, _params, app) {
  const body = await api("/api/integrations");
  const notifiers = Array.isArray(body) ? body : body.items || body.notifiers || [];
  root.append(h("h1", {}, "Integrations"));
  if (!notifiers.length) {
    root.append(h("p", { class: "muted" }, "No notifiers are configured. Add a notifiers: section to the configuration."));
    return;
  }
  root.append(h("div", { class: "table-scroll" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {},
      h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Sent"), h("th", {}, "Failed"), h("th", {}, "Pending"),
      h("th", {}, "Last success"), h("th", {}, "Last error"), h("th", {}, ""))),
    h("tbody", {}, notifiers.map((notifier) => notifierRow(notifier, app))))));
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
    h("td", { class: lastError ? "error-text" : "" }, typeof lastError === "object" && lastError ? lastError.message : lastError || "–"),
    h("td", {}, app.canEdit()
      ? h("button", {
          type: "button",
          onclick: async () => {
            result.textContent = "Sending…";
            try {
              const answer = await api(`/api/integrations/${encodeURIComponent(notifier.name)}/test`, { method: "POST" });
              result.textContent = answer.detail || answer.message || "Sent";
            } catch (error) {
              result.textContent = error instanceof ApiError ? error.message : "Pulse did not answer";
            }
          },
        }, "Send test")
      : null, " ", result));
}
