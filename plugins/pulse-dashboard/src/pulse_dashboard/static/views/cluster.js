// Cluster: the nodes sharing the endpoints (from /api/cluster), refreshed every few seconds,
// and the sites left without a live node. The menu shows the page only in a cluster.

import { api } from "../api.js";
import { h } from "../dom.js";
import { duration, stateWord } from "../format.js";

const REFRESH_MS = 5000;

// Whether this Pulse is one node of a cluster (false when the answer cannot be had).
export async function clustered() {
  try {
    return (await api("/api/cluster")).clustered;
  } catch {
    return false;
  }
}

export async function render(root) {
  const summary = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const warnings = h("div");
  const list = h("div", { class: "table-scroll" });
  root.append(h("h1", {}, "Cluster"), summary, warnings, list);

  async function refresh() {
    const cluster = await api("/api/cluster");
    const live = cluster.nodes.filter((node) => node.alive).length;
    summary.textContent = cluster.clustered
      ? `${live} of ${cluster.nodes.length} nodes live; this page is served by ${cluster.node} (site ${cluster.site}).`
      : `Not clustered: ${cluster.node} alone probes every endpoint.`;
    const orphaned = cluster.sites.filter((site) => !site.reachable);
    warnings.replaceChildren(...orphaned.map((site) => h("p", { class: "error-text", role: "alert" },
      `Site ${site.site} has no live node: its ${site.endpoints} endpoints are not probed and show as unknown.`)));
    list.replaceChildren(h("table", { class: "data" },
      h("thead", {}, h("tr", {},
        h("th", {}, "Node"), h("th", {}, "Site"), h("th", {}, "State"), h("th", {}, "Lease age"),
        h("th", {}, "Endpoints owned"), h("th", {}, "Checks/s"), h("th", {}, "Version"))),
      h("tbody", {}, cluster.nodes.map((node) => nodeRow(node, cluster.node)))));
  }

  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}

function nodeRow(node, self) {
  return h("tr", { dataset: { node: node.name } },
    h("td", {}, node.name, node.name === self ? h("span", { class: "muted" }, " (this node)") : null),
    h("td", {}, node.site),
    h("td", {}, node.alive ? stateWord("Alive", "up") : stateWord("Dead", "down")),
    h("td", {}, leaseAge(node.leaseAgeSeconds)),
    h("td", {}, node.endpointsOwned.toLocaleString()),
    h("td", {}, node.checksPerSecond.toLocaleString(undefined, { maximumFractionDigits: 2 })),
    h("td", {}, node.version));
}

// Heartbeats come every few seconds: tenths tell a live lease from a lapsing one.
function leaseAge(seconds) {
  if (seconds === null) return "–";
  return seconds < 60 ? `${seconds.toFixed(1)} s` : duration(seconds);
}
