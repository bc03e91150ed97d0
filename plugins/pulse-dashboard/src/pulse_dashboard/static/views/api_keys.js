// API keys (administrators): every key with its name, role, owner and prefix; create one
// (its secret shown once, with a copy button) and revoke one after a confirmation.

import { api } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { administratorsOnly, creationPanel, failure, say } from "./accounts.js";

export async function render(root, _params, app) {
  if (administratorsOnly(root, app, "API keys")) return;
  const messages = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const shown = h("div");
  const list = h("div", { class: "table-scroll" });
  root.append(h("h1", {}, "API keys"), newKeyForm(messages, shown, refresh), shown, messages, list);

  async function refresh() {
    const [keys, users] = await Promise.all([api("/api/apikeys"), api("/api/users")]);
    const usernames = new Map(users.items.map((user) => [user.id, user.username]));
    list.replaceChildren(keys.items.length
      ? h("table", { class: "data" },
        h("thead", {}, h("tr", {},
          h("th", {}, "Name"), h("th", {}, "Role"), h("th", {}, "Owner"), h("th", {}, "Prefix"),
          h("th", {}, "Created"), h("th", {}, "Last used"), h("th", {}, ""))),
        h("tbody", {}, keys.items.map((key) => keyRow(key, usernames, messages, refresh))))
      : h("p", { class: "muted" }, "No API keys yet."));
  }
  await refresh();
}

function newKeyForm(messages, shown, refresh) {
  const name = h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off", placeholder: "grafana" });
  return creationPanel("New API key", { "Name (what the key is for)": name }, "Create key", messages, async (role) => {
    const created = await api("/api/apikeys", { method: "POST", json: { name: name.value, role } });
    messages.textContent = "";
    shown.replaceChildren(newKeyPanel(created, shown));
    await refresh();
  });
}

// The secret exists nowhere else once this panel is closed: Pulse keeps only its hash.
function newKeyPanel(created, shown) {
  const secret = h("input", { readonly: true, value: created.key, class: "secret", "aria-label": `API key ${created.name}` });
  const copied = h("span", { class: "muted", role: "status", "aria-live": "polite" });
  const copy = async () => {
    secret.select();
    try {
      await navigator.clipboard.writeText(created.key);
      copied.textContent = "Copied.";
    } catch {
      // no clipboard API outside https and localhost: the selected text copies the old way
      copied.textContent = document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C to copy.";
    }
  };
  return h("section", { class: "panel stack new-key", "aria-label": "The new key" },
    h("h2", {}, `Key “${created.name}” (${created.role})`),
    h("p", { class: "error-text" }, "Shown only now: Pulse keeps only a hash of it and cannot show it again. Copy it somewhere safe before closing this."),
    h("div", { class: "row-flex" }, secret,
      h("button", { type: "button", class: "primary", onclick: copy }, "Copy"),
      h("button", { type: "button", onclick: () => shown.replaceChildren() }, "Done"), copied));
}

function keyRow(key, usernames, messages, refresh) {
  const actions = h("div", { class: "row-flex" });
  const revoke = async () => {
    try {
      await api(`/api/apikeys/${key.id}`, { method: "DELETE" });
      say(messages, `Revoked “${key.name}”: requests and live streams with it are refused from now on.`);
      await refresh();
    } catch (error) {
      failure(messages, error);
    }
  };
  const ask = () => actions.replaceChildren(
    h("span", {}, `Revoke “${key.name}”? Programs using it stop working.`),
    h("button", { type: "button", class: "danger", onclick: revoke }, "Yes, revoke"),
    h("button", { type: "button", onclick: () => actions.replaceChildren(askButton) }, "Cancel"));
  const askButton = h("button", { type: "button", onclick: ask }, "Revoke");
  actions.append(askButton);
  const owner = key.userId === null ? h("span", { class: "muted" }, "command line") : usernames.get(key.userId) ?? `user ${key.userId}`;
  return h("tr", { dataset: { key: key.name } },
    h("td", {}, key.name), h("td", {}, key.role), h("td", {}, owner), h("td", {}, h("code", {}, key.prefix)),
    h("td", {}, dateTime(key.createdTs)), h("td", {}, key.lastUsedTs ? dateTime(key.lastUsedTs) : "never"),
    h("td", {}, actions));
}
