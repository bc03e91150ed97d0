// The API reference, drawn from /openapi.json by the page itself: the usual viewers load
// their code from public CDNs, which air-gapped plants cannot reach.

import { api } from "../api.js";
import { h } from "../dom.js";

const METHODS = ["get", "post", "put", "patch", "delete"];

export async function render(root) {
  const documentation = await api("/openapi.json");
  const operations = [];
  for (const [path, item] of Object.entries(documentation.paths)) {
    for (const method of METHODS) {
      if (item[method]) operations.push({ path, method, operation: item[method] });
    }
  }
  const byTag = new Map();
  for (const entry of operations) {
    const tag = (entry.operation.tags || ["Other"])[0];
    if (!byTag.has(tag)) byTag.set(tag, []);
    byTag.get(tag).push(entry);
  }
  root.append(
    h("h1", {}, "API reference"),
    h("p", { class: "muted" },
      `${documentation.info.title} ${documentation.info.version}: ${operations.length} operations. `,
      "The machine-readable document is ", h("a", { href: "/openapi.json" }, "/openapi.json"),
      "; programs sign in with ", h("code", {}, "Authorization: Bearer <api key>"), " or HTTP Basic."),
    ...[...byTag.entries()].map(([tag, entries]) =>
      h("section", { class: "stack", "aria-label": tag }, h("h2", {}, tag), ...entries.map(operationCard))),
  );
}

function operationCard({ path, method, operation }) {
  const access = operation.security && operation.security.length === 0 ? "open to anyone" : `needs ${operation["x-pulse-role"] || "a signed-in caller"}`;
  const parameters = operation.parameters || [];
  const responses = Object.entries(operation.responses || {});
  return h("details", { class: "panel", "data-operation": `${method.toUpperCase()} ${path}` },
    h("summary", {}, h("code", {}, `${method.toUpperCase()} ${path}`), " ", h("span", { class: "muted" }, operation.summary || "")),
    h("p", {}, operation.description || "", " ", h("em", {}, `(${access})`)),
    parameters.length
      ? h("div", { class: "table-scroll" }, h("table", { class: "data" },
          h("thead", {}, h("tr", {}, h("th", {}, "Parameter"), h("th", {}, "In"), h("th", {}, "Type"), h("th", {}, "Required"), h("th", {}, "Description"))),
          h("tbody", {}, parameters.map((p) => h("tr", {},
            h("td", {}, h("code", {}, p.name)), h("td", {}, p.in), h("td", {}, schemaType(p.schema)),
            h("td", {}, p.required ? "yes" : "no"), h("td", {}, p.description || p.schema?.description || ""))))))
      : null,
    responses.length
      ? h("p", {}, "Answers: ", responses.map(([status, response]) => `${status} ${response.description || ""}`.trim()).join(" · "))
      : null);
}

function schemaType(schema) {
  if (!schema) return "";
  if (schema.enum) return schema.enum.join(" | ");
  if (schema.anyOf) return schema.anyOf.map(schemaType).filter(Boolean).join(" | ");
  return schema.format ? `${schema.type} (${schema.format})` : schema.type || "";
}
