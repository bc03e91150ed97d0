// The "Latest check" card of the endpoint page: what the probe told about its latest check
// (`details` of /api/endpoints/{id}), one row per key. Keys the probes document are shown in
// words (an uptime in days, a restart in local time, interface states by word and colour);
// any other key is shown as it came, so a new probe's details appear without a change here.

import { h } from "./dom.js";
import { dateTime, stateWord, uptime } from "./format.js";

// Words read as good or bad; any other is shown in the warning colour.
const GOOD_WORDS = new Set(["up", "Running"]);
const BAD_WORDS = new Set(["down", "lowerLayerDown", "notPresent", "Failed", "Shutdown", "CommunicationFault"]);

// The CIP identity object's state attribute (255: the device does not say).
const ENIP_STATES = {
  0: "nonexistent", 1: "self testing", 2: "standby", 3: "operational",
  4: "major recoverable fault", 5: "major unrecoverable fault", 255: "not reported",
};

// Known keys: a label and how the value is drawn. `status` is an HTTP status code only for
// http endpoints (an EtherNet/IP device's `status` is its identity status word).
const KNOWN = {
  uptimeS: { label: "Uptime", show: (value) => uptime(value) },
  restartedAt: { label: "Restarted at", show: (value) => dateTime(value) },
  restarted: { label: "Restarted", show: (value) => (value ? "yes, noticed in this check" : "no") },
  values: { label: "Values", show: (value) => valuesTable(value) },
  interfaces: { label: "Interfaces", show: (value) => interfacesTable(value) },
  server_state: { label: "Server state", show: (value) => word(value) },
  product_name: { label: "Product name" },
  serial_number: { label: "Serial number" },
  revision: { label: "Revision" },
  vendor_id: { label: "Vendor id" },
  device_type: { label: "Device type" },
  product_code: { label: "Product code" },
  state: { label: "State", show: (value) => (value in ENIP_STATES ? `${value} (${ENIP_STATES[value]})` : String(value)) },
  address: { label: "Connected to" },
};
const HTTP_STATUS = { label: "HTTP status", show: (value) => word(String(value), value < 400 ? "up" : "down") };

export function latestCheckCard(details, endpointType) {
  const keys = Object.keys(details || {});
  if (!keys.length) return null;
  const restarted = details.restarted === true;
  const rows = keys
    .filter((key) => !(key === "restarted" && "restartedAt" in details))
    .map((key) => {
      const known = key === "status" && endpointType === "http" ? HTTP_STATUS : KNOWN[key];
      const value = details[key];
      const shown = known && known.show ? known.show(value) : readable(value);
      const highlight = key === "restartedAt" && restarted;
      return h("div", { "data-detail": key, class: highlight ? "wide highlight" : wideFor(value) },
        h("dt", {}, known ? known.label : key),
        h("dd", {}, shown, highlight ? h("div", { class: "muted" }, "restart noticed in this check") : null));
    });
  return h("section", { class: "panel", "aria-label": "Latest check" },
    h("h2", {}, "Latest check"), h("dl", { class: "settings details" }, rows));
}

// Tables and nested mappings take the card's whole width.
function wideFor(value) {
  return value !== null && typeof value === "object" ? "wide" : undefined;
}

function word(text, kind = GOOD_WORDS.has(text) ? "up" : BAD_WORDS.has(text) ? "down" : "flapping") {
  return stateWord(text, kind);
}

// SNMP and OPC UA values come by name, Modbus values as a list by index.
function valuesTable(values) {
  if (Array.isArray(values)) return keyValueTable("Index", "Value", values.map((value, index) => [index, value]));
  if (values && typeof values === "object") return keyValueTable("Name", "Value", Object.entries(values));
  return readable(values);
}

function interfacesTable(interfaces) {
  return keyValueTable("Interface", "Status", Object.entries(interfaces || {}), (value) => word(String(value)));
}

function keyValueTable(keyHeader, valueHeader, rows, show = readable) {
  return h("div", { class: "table-scroll" }, h("table", { class: "data compact" },
    h("thead", {}, h("tr", {}, h("th", {}, keyHeader), h("th", {}, valueHeader))),
    h("tbody", {}, rows.map(([key, value]) => h("tr", { "data-key": key }, h("td", {}, String(key)), h("td", {}, show(value)))))));
}

// Any value: text and numbers as they are, booleans as yes/no, lists of plain values joined,
// mappings and other lists nested, so a probe's own structure reads without JSON marks.
function readable(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    if (!value.length) return "none";
    if (value.every((item) => item === null || typeof item !== "object")) return value.map((item) => readable(item)).join(", ");
    return h("ol", { class: "nested" }, value.map((item) => h("li", {}, readable(item))));
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    if (!entries.length) return "none";
    return h("dl", { class: "nested" }, entries.map(([key, item]) => h("div", {}, h("dt", {}, key), h("dd", {}, readable(item)))));
  }
  return String(value);
}
