// What the Users and API keys pages share: the role picker and the line that reports what
// happened, in the server's own words when it refused.

import { ApiError } from "../api.js";
import { h } from "../dom.js";

export const ROLES = ["viewer", "editor", "admin"];

export function roleSelect(value, label) {
  const select = h("select", { name: "role", "aria-label": label },
    ROLES.map((role) => h("option", { value: role }, role)));
  select.value = value;
  return select;
}

export function say(line, text) {
  line.className = "ok-text";
  line.textContent = text;
}

export function failure(line, error) {
  line.className = "error-text";
  line.textContent = error instanceof ApiError ? error.message : "Pulse did not answer; try again";
}

// A "New ..." panel: labelled fields, the role, one button. ``create(role)`` sends the
// request and shows the outcome; a refusal is shown in the server's words.
export function creationPanel(title, fields, button, messages, create) {
  const role = roleSelect("viewer");
  const form = h("form", {
    class: "row-flex",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await create(role.value);
        form.reset();
      } catch (error) {
        failure(messages, error);
      }
    },
  },
  Object.entries(fields).map(([label, input]) => h("label", {}, label, input)),
  h("label", {}, "Role", role),
  h("button", { type: "submit", class: "primary" }, button));
  return h("section", { class: "panel stack", "aria-label": title }, h("h2", {}, title), form);
}

// Only administrators manage accounts: the menu hides these pages from others, and someone
// who follows a link there is told why instead of seeing a refusal from the API.
export function administratorsOnly(root, app, title) {
  if (app.session && app.session.role === "admin") return false;
  root.append(h("h1", {}, title),
    h("p", { class: "panel" }, "Only administrators manage accounts. Ask an administrator of this Pulse."));
  return true;
}
