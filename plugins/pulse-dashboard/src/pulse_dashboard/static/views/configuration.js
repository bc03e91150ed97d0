// The configuration as code: the running YAML in an editor with line numbers, Validate (a dry
// run, errors shown at their lines), Apply, and the history of applied versions.

import { api, ApiError } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";

export async function render(root, _params, app) {
  const current = await api("/api/configuration/current");
  const text = typeof current === "string" ? current : current.yaml ?? current.yamlText ?? "";
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const editor = h("textarea", { spellcheck: "false", "aria-label": "Configuration YAML", wrap: "off" });
  editor.value = text;
  const messages = h("ul", { class: "messages", "aria-live": "polite" });
  const versions = h("div", { class: "table-scroll" });
  const readOnly = !app.canEdit();
  editor.readOnly = readOnly;
  let badLines = new Set();

  function numberLines() {
    const count = editor.value.split("\n").length;
    const lines = [];
    for (let line = 1; line <= count; line += 1) {
      lines.push(badLines.has(line) ? h("span", { class: "bad", "data-line": line }, String(line)) : String(line), "\n");
    }
    gutter.replaceChildren(...lines);
    gutter.scrollTop = editor.scrollTop;
  }

  function showErrors(error) {
    const issues = error.body?.errors || [];
    badLines = new Set(issues.map((issue) => issue.line).filter(Boolean));
    messages.replaceChildren(
      h("li", {}, error.message),
      ...issues.map((issue) => h("li", { "data-line": issue.line ?? "" },
        issue.line ? [h("button", { type: "button", class: "link-button", onclick: () => goToLine(issue.line) }, place(issue)), ": "] : null,
        `${issue.path ? `${issue.path}: ` : ""}${issue.message}`)),
    );
    numberLines();
  }

  function goToLine(line) {
    const offset = editor.value.split("\n").slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
    editor.focus();
    editor.setSelectionRange(offset, offset);
  }

  async function submit(dryRun) {
    messages.replaceChildren(h("li", { class: "ok" }, dryRun ? "Validating…" : "Applying…"));
    try {
      const result = await api(`/api/configuration/apply${dryRun ? "?dryRun=true" : ""}`, {
        method: "POST", text: editor.value, headers: { "X-Actor": app.session?.username || "dashboard", "X-Note": "edited in the dashboard" },
      });
      badLines = new Set();
      numberLines();
      const changes = `${result.added.length} added, ${result.updated.length} updated, ${result.removed.length} removed`;
      messages.replaceChildren(
        h("li", { class: "ok" }, dryRun ? `Valid: applying it would leave ${changes}.` : `Applied (version ${result.configVersionId}): ${changes}.`),
        ...(result.warnings || []).map((warning) => h("li", {}, typeof warning === "string" ? warning : warning.message)),
      );
      if (!dryRun) loadVersions();
    } catch (error) {
      if (error instanceof ApiError) showErrors(error);
      else messages.replaceChildren(h("li", {}, "Pulse did not answer; try again."));
    }
  }

  async function loadVersions() {
    const body = await api("/api/configuration/versions");
    const list = Array.isArray(body) ? body : body.items || body.versions || [];
    versions.replaceChildren(h("table", { class: "data" },
      h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Applied"), h("th", {}, "By"), h("th", {}, "Note"), h("th", {}, ""))),
      h("tbody", {}, list.map((v) => h("tr", {},
        h("td", {}, v.id), h("td", {}, dateTime(v.appliedTs)), h("td", {}, v.actor || "–"), h("td", {}, v.note || "–"),
        h("td", {}, h("a", { href: `/api/configuration/versions/${v.id}?download=1`, download: true }, "Download")))))));
  }

  editor.addEventListener("input", numberLines);
  editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey && !readOnly) { // two spaces, as YAML wants
      event.preventDefault();
      editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
      numberLines();
    }
  });

  root.append(
    h("h1", {}, "Configuration"),
    ...(readOnly ? [h("p", { class: "muted" }, "Read only: editors and administrators can change the configuration.")] : []),
    h("div", { class: "editor" }, gutter, editor),
    h("div", { class: "row-flex" },
      h("button", { type: "button", onclick: () => submit(true), disabled: readOnly }, "Validate"),
      h("button", { type: "button", class: "primary", onclick: () => submit(false), disabled: readOnly }, "Apply"),
      h("a", { class: "button", href: "/api/configuration/current", download: "pulse.yaml" }, "Download current")),
    messages,
    h("h2", {}, "Versions"),
    versions,
  );
  numberLines();
  await loadVersions();
}

// "line 3, column 5", from the error's own fields: the text sent has no file name to show.
function place(issue) {
  return issue.column ? `line ${issue.line}, column ${issue.column}` : `line ${issue.line}`;
}
