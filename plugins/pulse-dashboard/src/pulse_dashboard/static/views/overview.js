// Overview: is everything green? Counts, filters, and one row per endpoint.
//
// The list is virtual: only the rows in view exist in the page, so 20,000 endpoints scroll as
// smoothly as 20. Pushed updates change the data and schedule one redraw per frame.
//
// Endpoints are put in name order once, when the list arrives; a search, a group filter or
// "Group by" then only walks that order (filtering keeps it, grouping keeps it within each
// section), so a keystroke costs a pass over the list, not a sort of it.

import { api } from "../api.js";
import { sparkline } from "../charts.js";
import { h } from "../dom.js";
import { rtt, since, statusBadge } from "../format.js";
import { indentedName, inTreeOrder, naturally } from "../groups.js";
import { Topology, underParents } from "../topology.js";

const OVERSCAN = 8;
// Trend strips are read again once changes have been quiet this long (at the latest
// REFRESH_MAX_WAIT_MS after the first): at 20,000 endpoints each read is a 20 MB list to
// parse, which would hold up the statuses of a storm that are pushed meanwhile.
const REFRESH_QUIET_MS = 1000;
const REFRESH_MAX_WAIT_MS = 15000;
const STATUS_ORDER = { down: 0, flapping: 1, unreachable: 2, up: 3 };
const STATUS_HEADINGS = { down: "Offline", flapping: "Flapping", unreachable: "Unreachable", up: "Online" };

export async function render(root, _params, app) {
  // Changes pushed while the list is read are kept, and applied to it once it is here; the
  // list is read once the live socket is open, so no change falls between the two.
  const heard = [];
  let hear = (batch) => heard.push(batch);
  const unsubscribe = app.live.subscribe((batch) => hear(batch));
  let live, groups, topology;
  try {
    await app.live.ready();
    [live, groups, topology] = await Promise.all([api("/api/status/live"), api("/api/groups"), Topology.read()]);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  const groupList = Array.isArray(groups) ? groups : groups.items || [];
  const groupOrder = inTreeOrder(groupList).map((entry) => entry.group.id);
  const items = live.items;
  const byId = new Map(items.map((item) => [item.endpoint.id, item]));
  const byName = [...items].sort((a, b) => naturally(a.endpoint.name, b.endpoint.name));
  const searchTexts = byName.map(({ endpoint: e }) => `${e.name} ${e.host} ${e.address || ""}`.toLowerCase());
  const view = { search: "", group: "", groupBy: "group" };

  const counts = {
    total: countBox("Total", "total"),
    up: countBox("Online", "up"),
    down: countBox("Offline", "down"),
    flapping: countBox("Flapping", "flapping"),
    unreachable: countBox("Unreachable", "unreachable"),
  };
  const inner = h("div", { class: "vlist-inner" });
  const list = h("div", { class: "vlist", role: "table", "aria-label": "Endpoints", tabindex: "0" }, inner);
  const rowHeight = () => parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row-height")) || 52;
  let rows = [];
  let frame = 0;

  root.append(
    h("h1", {}, "Overview"),
    h("section", { class: "counts", "aria-label": "Endpoint counts" }, Object.values(counts).map((c) => c.node)),
    h(
      "div",
      { class: "filters" },
      h("label", {}, "Search", h("input", { type: "search", placeholder: "Name or address", oninput: (e) => update({ search: e.target.value }) })),
      h("label", {}, "Group", groupSelect(groupList, (value) => update({ group: value }))),
      h("label", {}, "Group by",
        h("select", { onchange: (e) => update({ groupBy: e.target.value }) },
          h("option", { value: "group" }, "Group"), h("option", { value: "status" }, "Status"), h("option", { value: "none" }, "Nothing"))),
    ),
    h("div", { class: "table-head", "aria-hidden": "true" },
      h("span", {}, "Status"), h("span", {}, "Name"), h("span", {}, "Address"), h("span", {}, "Group"),
      h("span", {}, "Response"), h("span", {}, "Since change"), h("span", {}, "Trend")),
    list,
  );

  // Another search or filter shows other rows: start at the first, not where the old list was.
  function update(change) {
    Object.assign(view, change);
    list.scrollTop = 0;
    rebuild();
  }

  // The endpoints to show, in name order.
  function visibleItems() {
    const search = view.search.trim().toLowerCase();
    const groups = view.group ? descendants(groupList, view.group) : null;
    if (!search && !groups) return byName;
    return byName.filter((item, index) =>
      (!groups || groups.has(item.endpoint.group.id)) && (!search || searchTexts[index].includes(search)));
  }

  function rebuild() {
    const shown = visibleItems();
    const tally = { total: shown.length, up: 0, down: 0, flapping: 0, unreachable: 0 };
    for (const item of shown) tally[item.status] = (tally[item.status] || 0) + 1;
    for (const [key, box] of Object.entries(counts)) box.value.textContent = tally[key] ?? 0;
    rows = underParents(layout(shown, view.groupBy, groupOrder), topology);
    inner.style.height = `${rows.length * rowHeight()}px`;
    draw();
  }

  function draw() {
    frame = 0;
    const height = rowHeight();
    const first = Math.max(0, Math.floor(list.scrollTop / height) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((list.scrollTop + list.clientHeight) / height) + OVERSCAN);
    const nodes = [];
    const now = Date.now();
    for (let index = first; index < last; index += 1) {
      const row = rows[index];
      const node = row.heading ? headingRow(row) : endpointRow(row.item || row, now, row);
      node.style.top = `${index * height}px`;
      nodes.push(node);
    }
    inner.replaceChildren(...nodes);
  }

  const scheduleDraw = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };
  list.addEventListener("scroll", scheduleDraw, { passive: true });
  window.addEventListener("resize", scheduleDraw);
  const ticker = setInterval(scheduleDraw, 15000); // keeps "since change" current

  // The stream carries status changes, not checks: a row takes the pushed status and response
  // time at once (none when offline), and its trend strip, one bar per check, is redrawn from
  // /api/status/live, the very answer a reload draws, instead of inventing a bar per change.
  let closed = false;
  const refresh = afterQuiet(REFRESH_QUIET_MS, REFRESH_MAX_WAIT_MS, async () => {
    const fresh = await api("/api/status/live");
    if (closed) return;
    for (const item of fresh.items) {
      const shown = byId.get(item.endpoint.id);
      if (shown) Object.assign(shown, { status: item.status, rttMs: item.rttMs, lastChangeTs: item.lastChangeTs, sparkline: item.sparkline });
    }
    rebuild();
  });
  // Whether the batch changed a status (counts and sections then change too).
  function take(batch) {
    let changed = false;
    for (const [endpointId, data] of batch) {
      const item = byId.get(endpointId);
      if (!item) continue;
      if (item.status !== data.status) {
        item.lastChangeTs = data.changedAt || item.lastChangeTs;
        changed = true;
      }
      item.status = data.status;
      item.rttMs = data.rttMs;
    }
    return changed;
  }
  // Who is unreachable behind whom changes with statuses: read again after a change, one
  // read at a time (changes during a read make one more).
  let readingTopology = false;
  let readTopologyAgain = false;
  async function refreshTopology() {
    if (readingTopology) {
      readTopologyAgain = true;
      return;
    }
    readingTopology = true;
    do {
      readTopologyAgain = false;
      const fresh = await Topology.read().catch(() => null);
      if (closed) return;
      if (fresh) {
        topology = fresh;
        rebuild();
      }
    } while (readTopologyAgain);
    readingTopology = false;
  }
  hear = (batch) => {
    if (take(batch)) {
      rebuild();
      refresh();
      refreshTopology();
    } else scheduleDraw();
  };
  const changedMeanwhile = heard.map(take).some(Boolean);

  rebuild();
  if (changedMeanwhile) refresh();
  return () => {
    closed = true;
    refresh.cancel();
    unsubscribe();
    clearInterval(ticker);
    window.removeEventListener("resize", scheduleDraw);
    if (frame) cancelAnimationFrame(frame);
  };
}

// Runs task once calls have stopped for quietMs, or maxWaitMs after the first call, one run
// at a time (calls during a run make one more after it): a storm of changes costs one read
// after it. A failed run waits for the next call. cancel() forgets a run not yet started.
function afterQuiet(quietMs, maxWaitMs, task) {
  let timer = 0;
  let first = 0;
  let running = false;
  let again = false;
  const fire = async () => {
    timer = 0;
    first = 0;
    if (running) {
      again = true;
      return;
    }
    running = true;
    await task().catch(() => {});
    running = false;
    if (again) {
      again = false;
      request();
    }
  };
  const request = () => {
    const now = Date.now();
    first = first || now;
    clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(quietMs, first + maxWaitMs - now)));
  };
  request.cancel = () => clearTimeout(timer);
  return request;
}

function countBox(label, kind) {
  const value = h("span", { class: "value", "data-count": kind }, "0");
  return { value, node: h("div", { class: `count ${kind}` }, value, h("span", { class: "label" }, label)) };
}

function groupSelect(groups, onChange) {
  return h("select", { name: "group", onchange: (e) => onChange(e.target.value) },
    h("option", { value: "" }, "All groups"),
    inTreeOrder(groups).map((entry) => h("option", { value: entry.group.id }, indentedName(entry))));
}

function descendants(groups, rootId) {
  const found = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const group of groups) {
      if (group.parentId && found.has(group.parentId) && !found.has(group.id)) {
        found.add(group.id);
        grew = true;
      }
    }
  }
  return found;
}

// The rows to draw: the items themselves (already in name order, which each section keeps),
// under a heading row per section unless grouped by nothing.
function layout(items, groupBy, groupOrder) {
  if (groupBy === "none") return items;
  const sections = new Map();
  for (const item of items) {
    const key = groupBy === "status" ? item.status : item.endpoint.group.id;
    const members = sections.get(key);
    if (members) members.push(item);
    else sections.set(key, [item]);
  }
  const order = groupBy === "status"
    ? [...sections.keys()].sort((a, b) => STATUS_ORDER[a] - STATUS_ORDER[b])
    : groupOrder.filter((id) => sections.has(id));
  const rows = [];
  for (const key of order) {
    const members = sections.get(key);
    const group = groupBy === "group" ? members[0].endpoint.group : null;
    rows.push({ heading: group ? group.name : STATUS_HEADINGS[key], color: group?.color, count: members.length });
    for (const item of members) rows.push(item);
  }
  return rows;
}

function headingRow(row) {
  return h("div", { class: "vrow group-header", role: "row" },
    h("span", { class: "chip" }, h("span", { class: "swatch", style: row.color ? `background:${row.color}` : null }),
      `${row.heading} · ${row.count}`));
}

// ``placed``: where topology put the row (under its parent: ``depth`` and the parent's name).
function endpointRow(item, now, placed) {
  const endpoint = item.endpoint;
  const group = endpoint.group;
  const depth = placed.depth || 0;
  return h(
    "div",
    { class: "vrow", role: "row", "data-endpoint-id": endpoint.id, "data-status": item.status },
    h("span", { class: "cell c-status" }, statusBadge(item.status)),
    h("span", { class: "cell c-name", style: depth ? `padding-left:${depth * 16}px` : null },
      h("a", { href: `/endpoints/${encodeURIComponent(endpoint.id)}`, "data-link": true }, endpoint.name),
      placed.behind ? h("span", { class: "reason muted", "data-behind": placed.behind }, ` behind ${placed.behind}`) : null),
    h("span", { class: "cell c-address muted" }, endpoint.address || endpoint.host),
    h("span", { class: "cell c-group chip" }, h("span", { class: "swatch", style: group.color ? `background:${group.color}` : null }), group.name),
    h("span", { class: "cell c-rtt" }, rtt(item.rttMs)),
    h("span", { class: "cell c-since muted" }, since(item.lastChangeTs, now)),
    h("span", { class: "cell c-spark" }, sparkline(item.sparkline || [])),
  );
}
