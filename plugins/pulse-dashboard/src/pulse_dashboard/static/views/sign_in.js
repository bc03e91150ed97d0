// Sign-in, and the first run: when no user exists yet, create the administrator.

import { api, ApiError } from "../api.js";
import { h } from "../dom.js";

export async function render(root, _params, app) {
  const setupRequired = await api("/api/auth/setup-required").catch(() => false);
  const required = setupRequired === true || setupRequired?.setupRequired === true;
  const next = new URLSearchParams(location.search).get("next") || "/";
  const safeNext = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  const message = h("p", { class: "error-text", role: "alert" });

  async function signIn(username, password) {
    await api("/api/auth/login", { method: "POST", json: { username, password }, allow401: true });
    await app.signedIn();
    app.navigate(safeNext, { replace: true });
  }

  const fields = required
    ? [
        field("Username", "username", "text", "username"),
        field("Email", "email", "email", "email"),
        field("Password", "password", "password", "new-password"),
        field("Confirm password", "confirmPassword", "password", "new-password"),
      ]
    : [field("Username", "username", "text", "username"), field("Password", "password", "password", "current-password")];

  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const data = Object.fromEntries(new FormData(form));
        message.textContent = "";
        try {
          if (required) await api("/api/auth/register", { method: "POST", json: data, allow401: true });
          await signIn(data.username, data.password);
        } catch (error) {
          message.textContent = error instanceof ApiError ? error.message : "Pulse did not answer; try again.";
        }
      },
    },
    ...fields,
    message,
    h("button", { class: "primary", type: "submit" }, required ? "Create administrator" : "Sign in"),
  );

  root.append(
    h(
      "section",
      { class: "panel form-card" },
      h("h1", {}, required ? "Welcome to Pulse" : "Sign in"),
      required ? h("p", { class: "muted" }, "No user exists yet: create the administrator account.") : null,
      form,
    ),
  );
  form.querySelector("input").focus();
}

function field(label, name, type, autocomplete) {
  return h("label", {}, label, h("input", { name, type, autocomplete, required: true }));
}
