// Users (administrators): who may sign in, with which role; create, change the role,
// deactivate and reactivate, set a new password. Users are never deleted.

import { api } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { administratorsOnly, creationPanel, failure, roleSelect, say } from "./accounts.js";

export async function render(root, _params, app) {
  if (administratorsOnly(root, app, "Users")) return;
  const messages = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const list = h("div", { class: "table-scroll" });
  root.append(h("h1", {}, "Users"), newUserForm(messages, refresh), messages, list);

  async function refresh() {
    const users = (await api("/api/users")).items;
    list.replaceChildren(h("table", { class: "data" },
      h("thead", {}, h("tr", {},
        h("th", {}, "Username"), h("th", {}, "Email"), h("th", {}, "Role"), h("th", {}, "Status"),
        h("th", {}, "Created"), h("th", {}, ""))),
      h("tbody", {}, users.map((user) => userRow(user, app, messages, refresh)))));
  }
  await refresh();
}

function newUserForm(messages, refresh) {
  const username = h("input", { name: "username", required: true, autocomplete: "off", maxlength: 64 });
  const email = h("input", { name: "email", type: "email", autocomplete: "off" });
  const password = h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" });
  const fields = { Username: username, "Email (optional)": email, Password: password };
  return creationPanel("New user", fields, "Create user", messages, async (role) => {
    await api("/api/users", { method: "POST", json: {
      username: username.value, email: email.value || null, password: password.value, role,
    } });
    say(messages, `Created ${role} ${username.value}.`);
    await refresh();
  });
}

function userRow(user, app, messages, refresh) {
  const change = async (json, done) => {
    try {
      await api(`/api/users/${user.id}`, { method: "PATCH", json });
      say(messages, done);
      await refresh();
    } catch (error) {
      failure(messages, error);
      await refresh(); // puts back a role select the server refused
    }
  };
  const role = roleSelect(user.role, `Role of ${user.username}`);
  role.addEventListener("change", () => change({ role: role.value }, `${user.username} is now ${role.value}.`));
  const passwordCell = h("span");
  const resetButton = h("button", { type: "button", onclick: () => {
    const password = h("input", { type: "password", required: true, minlength: 8, autocomplete: "new-password",
      "aria-label": `New password for ${user.username}` });
    passwordCell.replaceChildren(h("form", { class: "row-flex", onsubmit: (event) => {
      event.preventDefault();
      change({ password: password.value }, `New password set for ${user.username}; their sessions have ended.`);
    } }, password, h("button", { type: "submit" }, "Set password"),
    h("button", { type: "button", class: "link-button", onclick: () => passwordCell.replaceChildren() }, "Cancel")));
    password.focus();
  } }, "Reset password");
  const self = app.session && app.session.username === user.username;
  return h("tr", { dataset: { username: user.username } },
    h("td", {}, user.username, self ? h("span", { class: "muted" }, " (you)") : null),
    h("td", {}, user.email || "–"),
    h("td", {}, role),
    h("td", {}, user.active ? "Active" : h("span", { class: "muted" }, "Deactivated")),
    h("td", {}, dateTime(user.createdTs)),
    h("td", {}, h("div", { class: "row-flex" },
      user.active
        ? h("button", { type: "button", onclick: () => change({ active: false },
            `${user.username} is deactivated: their sessions and live streams have ended, their API keys are refused.`) }, "Deactivate")
        : h("button", { type: "button", onclick: () => change({ active: true }, `${user.username} is active again.`) }, "Activate"),
      resetButton, passwordCell)));
}
