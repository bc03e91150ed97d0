// The dashboard's entry point: who is signed in, which page to draw, the theme, the live link.

import { api, whenUnauthorized } from "./api.js";
import { clear } from "./dom.js";
import { LiveStatus } from "./live.js";
import * as apiKeys from "./views/api_keys.js";
import * as apiReference from "./views/api_reference.js";
import * as cluster from "./views/cluster.js";
import * as configuration from "./views/configuration.js";
import * as endpoint from "./views/endpoint.js";
import * as historyView from "./views/history.js";
import * as integrations from "./views/integrations.js";
import * as signIn from "./views/sign_in.js";
import * as overview from "./views/overview.js";
import * as users from "./views/users.js";

const ROUTES = [
  { pattern: /^\/$/, view: overview, nav: "overview" },
  { pattern: /^\/endpoints\/([^/]+)$/, view: endpoint, nav: "overview" },
  { pattern: /^\/history$/, view: historyView, nav: "history" },
  { pattern: /^\/configuration$/, view: configuration, nav: "configuration" },
  { pattern: /^\/integrations$/, view: integrations, nav: "integrations" },
  { pattern: /^\/api-reference$/, view: apiReference, nav: "api-reference" },
  { pattern: /^\/users$/, view: users, nav: "users" },
  { pattern: /^\/api-keys$/, view: apiKeys, nav: "api-keys" },
  { pattern: /^\/cluster$/, view: cluster, nav: "cluster" },
  { pattern: /^\/(login|setup)$/, view: signIn, nav: null, public: true },
];

const ROLE_RANK = { viewer: 0, editor: 1, admin: 2 };

const app = {
  main: document.getElementById("main"),
  live: new LiveStatus(document.getElementById("connection-banner")),
  session: null,
  cleanup: null,
  navigate,
  canEdit() {
    return this.session && ROLE_RANK[this.session.role] >= ROLE_RANK.editor;
  },
};

function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

async function loadSession() {
  try {
    const body = await api("/api/auth/session", { allow401: true });
    app.session = { username: body.user ? body.user.username : body.name, role: body.role };
  } catch {
    app.session = null;
  }
  const who = document.getElementById("who");
  who.textContent = app.session ? `${app.session.username} (${app.session.role})` : "";
  document.getElementById("sign-out").hidden = !app.session;
  document.querySelector(".nav").hidden = !app.session;
  for (const link of document.querySelectorAll("[data-min-role]")) {
    link.hidden = !app.session || ROLE_RANK[app.session.role] < ROLE_RANK[link.dataset.minRole];
  }
  // shown in a cluster only; asked aside, so that no page waits for it
  const clusterLink = document.getElementById("cluster-link");
  clusterLink.hidden = true;
  if (app.session) cluster.clustered().then((yes) => { clusterLink.hidden = !yes || !app.session; });
}

async function render() {
  if (app.cleanup) app.cleanup();
  app.cleanup = null;
  const path = location.pathname;
  const route = ROUTES.find((candidate) => candidate.pattern.test(path)) || ROUTES[0];
  if (!route.public && !app.session) {
    await loadSession();
    if (!app.session) {
      navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
      return;
    }
    app.live.start();
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === route.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const params = path.match(route.pattern).slice(1).map(decodeURIComponent);
  clear(app.main);
  app.cleanup = (await route.view.render(app.main, params, app)) || null;
  app.main.focus({ preventScroll: true });
}

function setUpTheme() {
  const saved = localStorage.getItem("pulse-theme");
  if (saved) document.documentElement.dataset.theme = saved;
  document.getElementById("theme-toggle").addEventListener("click", () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === "dark"
      : matchMedia("(prefers-color-scheme: dark)").matches;
    const next = dark ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("pulse-theme", next);
  });
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || link.target) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", render);
document.getElementById("sign-out").addEventListener("click", async () => {
  await api("/api/auth/logout", { method: "POST" }).catch(() => {});
  app.session = null;
  app.live.stop();
  await loadSession();
  navigate("/login", { replace: true });
});
whenUnauthorized(() => {
  if (app.session) {
    app.session = null;
    app.live.stop();
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
  }
});
app.signedIn = async () => {
  await loadSession();
  app.live.start();
};

setUpTheme();
render();
