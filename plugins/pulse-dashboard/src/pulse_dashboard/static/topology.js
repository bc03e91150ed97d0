// Topology (depends_on, docs/topology.md): which endpoints stand behind which, from
// /api/topology. The overview shows an unreachable endpoint under the parent it is behind,
// greyed, with the reason; an endpoint's page shows the tree around it.

import { api } from "./api.js";
import { h } from "./dom.js";
import { statusBadge } from "./format.js";

export class Topology {
  constructor(items = []) {
    this.items = new Map(items.map((item) => [item.id, item]));
  }

  static async read() {
    return new Topology((await api("/api/topology")).items);
  }

  // The parent an unreachable endpoint is behind, or null.
  cause(endpointId) {
    return this.items.get(endpointId)?.unreachableBehind || null;
  }

  name(endpointId) {
    return this.items.get(endpointId)?.name || endpointId;
  }
}

// The overview's rows with each unreachable endpoint moved right under its parent's row (and
// its own unreachable children under it in turn), marked with the parent's name; an endpoint
// whose parent is not among the rows stays where it was. Section headings are counted again
// and dropped when nothing is left under them.
export function underParents(rows, topology) {
  if (!topology.items.size) return rows;
  const shown = new Set(rows.filter((row) => !row.heading).map((row) => row.endpoint.id));
  const behind = new Map();
  const kept = [];
  for (const row of rows) {
    const cause = !row.heading && row.status === "unreachable" ? topology.cause(row.endpoint.id) : null;
    if (cause && cause !== row.endpoint.id && shown.has(cause)) {
      if (behind.has(cause)) behind.get(cause).push(row);
      else behind.set(cause, [row]);
    } else kept.push(row);
  }
  if (!behind.size) return rows;
  const placed = [];
  const place = (item, depth, seen) => {
    placed.push(depth ? { item, depth, behind: topology.name(topology.cause(item.endpoint.id)) } : item);
    for (const child of behind.get(item.endpoint.id) || []) {
      if (!seen.has(child.endpoint.id)) place(child, depth + 1, new Set([...seen, child.endpoint.id]));
    }
  };
  for (const row of kept) {
    if (row.heading) placed.push({ ...row, count: 0 });
    else place(row, 0, new Set([row.endpoint.id]));
  }
  let heading = null;
  for (const row of placed) {
    if (row.heading) heading = row;
    else if (heading) heading.count += 1;
  }
  return placed.filter((row) => !row.heading || row.count);
}

// The tree around one endpoint: what it depends on, up to the top, and what stands behind
// it, each with its live status (and the reason of an unreachable one).
export function dependencyTree(endpointId, topology) {
  const here = topology.items.get(endpointId);
  if (!here) return null;
  const node = (id, children) => {
    const item = topology.items.get(id);
    const cause = item?.unreachableBehind;
    return h("li", { "data-tree-node": id },
      h("span", { class: `tree-node${id === endpointId ? " here" : ""}` },
        statusBadge(item?.status),
        " ",
        id === endpointId ? h("strong", {}, topology.name(id)) : h("a", { href: `/endpoints/${encodeURIComponent(id)}`, "data-link": true }, topology.name(id)),
        item?.dependsOnMode === "any" && item.dependsOn.length > 1 ? h("span", { class: "muted" }, " (any parent)") : null,
        cause ? h("span", { class: "muted reason" }, ` — behind ${topology.name(cause)}`) : null),
      children.length ? h("ul", {}, children) : null);
  };
  const below = (id, seen) => (topology.items.get(id)?.dependents || [])
    .filter((child) => !seen.has(child))
    .map((child) => node(child, below(child, new Set([...seen, child]))));
  // Each path up gets its own copy of the branch below (a page node has one place).
  const above = (id, seen, inner) => {
    const parents = (topology.items.get(id)?.dependsOn || []).filter((parent) => !seen.has(parent));
    if (!parents.length) return [inner()];
    return parents.flatMap((parent) => above(parent, new Set([...seen, parent]), () => node(parent, [inner()])));
  };
  const own = () => node(endpointId, below(endpointId, new Set([endpointId])));
  return h("section", { class: "panel dependencies", "aria-label": "Dependencies" },
    h("h2", {}, "Dependencies"),
    h("ul", { class: "tree" }, above(endpointId, new Set([endpointId]), own)));
}
