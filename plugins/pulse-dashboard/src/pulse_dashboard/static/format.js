// How values read on screen: status words, durations, response times, times of day.

import { h } from "./dom.js";

const STATUS_WORDS = {
  up: "Online", down: "Offline", flapping: "Flapping", unreachable: "Unreachable",
  unknown: "Unknown",
};

export function statusBadge(status) {
  const known = STATUS_WORDS[status] ? status : "down";
  return h("span", { class: `status status-${known}` }, STATUS_WORDS[known]);
}

// Any other state word (an interface's, a report's outcome) in the colour and icon of the
// status it amounts to: "up", "down" or "flapping" (a warning).
export function stateWord(text, kind) {
  return h("span", { class: `status status-${kind}` }, text);
}

export function rtt(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function since(iso, now = Date.now()) {
  if (!iso) return "–";
  return duration((now - Date.parse(iso)) / 1000);
}

export function dateTime(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "medium" });
}

export function percent(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(2)} %`;
}

// A device's uptime: days, hours and minutes, the leading zero units left out.
export function uptime(seconds) {
  if (typeof seconds !== "number") return "–";
  const minutes = Math.floor(seconds / 60);
  const [d, hours, min] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  if (d) return `${d} d ${hours} h ${min} min`;
  if (hours) return `${hours} h ${min} min`;
  return `${min} min`;
}
