// Sign-in, and the first run: when no user exists yet, create the administrator.

import { api, ApiError } from "../api.js";
import { h } from "../dom.js";

// The server's rules (pulse_core/web/auth/provisioning.py), shown before the first submit so
// nobody learns them one refusal at a time. Only the server holds the common-password list.
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const PASSWORD_RULES = [
  { id: "length", text: `At least ${MIN_PASSWORD_LENGTH} characters` },
  { id: "common", text: "Not one of the 20,000 most common passwords (Pulse checks this when you submit)" },
  { id: "match", text: "Typed the same in both password fields" },
];

export async function render(root, _params, app) {
  const setupRequired = await api("/api/auth/setup-required").catch(() => false);
  const required = setupRequired === true || setupRequired?.setupRequired === true;
  const next = new URLSearchParams(location.search).get("next") || "/";
  const safeNext = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  const message = h("div", { class: "error-text", role: "alert" });

  async function signIn(username, password) {
    await api("/api/auth/login", { method: "POST", json: { username, password }, allow401: true });
    await app.signedIn();
    app.navigate(safeNext, { replace: true });
  }

  const rules = h("ul", { class: "rules", id: "password-rules", "aria-label": "Password rules" },
    PASSWORD_RULES.map((rule) => h("li", { "data-rule": rule.id }, rule.text)));
  const fields = required
    ? [
        field("Username", "username", "text", "username"),
        field("Email", "email", "email", "email"),
        field("Password", "password", "password", "new-password", "password-rules"),
        field("Confirm password", "confirmPassword", "password", "new-password", "password-rules"),
        rules,
      ]
    : [field("Username", "username", "text", "username"), field("Password", "password", "password", "current-password")];

  const form = h(
    "form",
    {
      // the set-up form checks itself, so that every problem is listed at once
      novalidate: required,
      oninput: () => {
        if (required) markRules(rules, Object.fromEntries(new FormData(form)));
      },
      onsubmit: async (event) => {
        event.preventDefault();
        const data = Object.fromEntries(new FormData(form));
        const problems = required ? setupProblems(data) : [];
        showProblems(message, problems);
        if (problems.length) return;
        try {
          if (required) await api("/api/auth/register", { method: "POST", json: data, allow401: true });
          await signIn(data.username, data.password);
        } catch (error) {
          showProblems(message, [error instanceof ApiError ? error.message : "Pulse did not answer; try again."]);
        }
      },
    },
    ...fields,
    message,
    h("button", { class: "primary", type: "submit" }, required ? "Create administrator" : "Sign in"),
  );

  const setupDone = !required && location.pathname === "/setup";
  root.append(
    h(
      "section",
      { class: "panel form-card" },
      h("h1", {}, required ? "Welcome to Pulse" : "Sign in"),
      required ? h("p", { class: "muted" }, "No user exists yet: create the administrator account.") : null,
      setupDone ? h("p", { class: "muted" }, "Set-up is done: an administrator creates further accounts. Sign in.") : null,
      form,
    ),
  );
  form.querySelector("input").focus();
}

// Every problem of the set-up form at once; the server still checks all of them.
function setupProblems({ username = "", email = "", password = "", confirmPassword = "" }) {
  const problems = [];
  if (!USERNAME.test(username)) {
    problems.push("Username: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.");
  }
  if (!email.includes("@")) problems.push("Email: an address like name@example.org.");
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push(`Password: too short, use at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (length > MAX_PASSWORD_LENGTH) problems.push(`Password: too long, use at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (password !== confirmPassword) problems.push("Confirm password: differs from the password; type the same one twice.");
  return problems;
}

function markRules(rules, { password = "", confirmPassword = "" }) {
  const met = { length: [...password].length >= MIN_PASSWORD_LENGTH, match: password !== "" && password === confirmPassword };
  for (const item of rules.children) {
    if (item.dataset.rule in met) item.dataset.met = met[item.dataset.rule] ? "yes" : "no";
  }
}

function showProblems(message, problems) {
  message.replaceChildren(...(problems.length ? [h("ul", {}, problems.map((problem) => h("li", {}, problem)))] : []));
}

function field(label, name, type, autocomplete, describedBy) {
  return h("label", {}, label, h("input", { name, type, autocomplete, required: true, "aria-describedby": describedBy }));
}
