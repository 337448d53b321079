// The queue's tools for fifty cases a day (officer.js's showQueue uses them):
//
//   filters kept in the page's query string (?status=...&q=...#/queue), restored on load
//   the server's counts of the whole filtered queue
//   row checkboxes and a bulk bar (POST officer/cases/bulk: priority, assign, delegate)
//   the CSV export (GET officer/queue.csv, fetched with the token and saved from a Blob)
//   a map view of the loaded rows (map.js: the same base layer as the public /map)
//   keyboard shortcuts: j / k next / previous row, Enter or o open, / search, ? help
//
// Everything is built with el() (text nodes only), under the page's Trusted Types.

import { ApiError, announce, el, errorBox, show, t } from "./common.js";

export const URL_FILTERS = ["scope", "agency_id", "status", "category", "kota", "due", "priority", "q"];

// --- filters in the URL ---------------------------------------------------------------------

// The filters the page was opened with (once: the first queue shown takes them).
let opened = new URLSearchParams(location.search);

export function takeUrlFilters(filters) {
  if (!opened) return filters;
  for (const name of URL_FILTERS) {
    const value = opened.get(name);
    if (value) filters[name] = value;
  }
  opened = null;
  return filters;
}

export function keepInUrl(filters) {
  const params = new URLSearchParams();
  for (const name of URL_FILTERS) if (filters[name]) params.set(name, filters[name]);
  const query = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
}

// --- counts -------------------------------------------------------------------------------------

export function serverCounts(counts, truncated) {
  const stat = (label, value, cls, name) => el("div", { class: `count ${cls}`, dataset: { count: name } },
    el("span", { class: "count-value", text: value }), el("span", { class: "count-label", text: label }));
  const more = truncated ? "+" : "";
  const resolved = (counts.by_status || {}).resolved || 0;
  return el("div", { class: "counts", role: "group", "aria-label": t("queue.title") },
    stat(t("queue.count.total"), `${counts.total}${more}`, "", "total"),
    stat(t("queue.count.breached"), String(counts.breached), counts.breached ? "count-bad" : "", "breached"),
    stat(t("queue.count.soon"), String(counts.due_soon), counts.due_soon ? "count-warn" : "", "soon"),
    stat(t("queue.count.resolved"), String(resolved), "", "resolved"));
}

// --- selection and the bulk bar -------------------------------------------------------------

export const MAX_BULK = 50;

// The bar that acts on the checked rows. actions: which of priority / assign / delegate this
// officer may use; agencySelect(id) builds the agency chooser; call is officer.js's API call.
export function bulkBar({ actions, agencySelect, call, done }) {
  const selected = new Set();
  const count = el("span", { class: "bulk-count", role: "status" });
  const result = el("div", { class: "bulk-result" });
  const forms = [];
  const send = async (button, body) => {
    button.disabled = true;
    show(result);
    try {
      const answer = await call("officer/cases/bulk", { method: "POST", body: { ...body, codes: [...selected] } });
      const failed = answer.results.filter((r) => !r.ok);
      const summary = t("bulk.done", { ok: answer.succeeded, failed: answer.failed });
      show(result, el("div", { class: `alert ${failed.length ? "alert-warn" : "alert-ok"}`, role: "status" },
        el("p", { text: summary }),
        failed.length ? el("ul", {}, failed.map((r) => el("li", { text: `${r.code}: ${r.message}` }))) : null));
      announce(summary);
      selected.clear();
      await done(el("div", { class: "bulk-notice" }, ...result.childNodes));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) show(result, errorBox(error));
    } finally {
      button.disabled = false;
    }
  };
  if (actions.includes("priority")) {
    const level = el("select", { id: "bulk-priority", required: true },
      ["urgent", "normal", "low"].map((p) => el("option", { value: p, text: t(`priority.${p}`) })));
    const reason = el("input", { id: "bulk-reason", required: true, maxlength: "2000" });
    const button = el("button", { type: "submit", class: "button small", text: t("bulk.priority.submit") });
    forms.push(el("form", { class: "bulk-form", dataset: { action: "priority" }, on: { submit: (event) => {
      event.preventDefault();
      send(button, { action: "priority", priority: level.value, reason: reason.value.trim() });
    } } },
    el("label", { for: "bulk-priority", text: t("bulk.priority") }), level,
    el("label", { for: "bulk-reason", text: t("bulk.reason") }), reason, button));
  }
  for (const action of actions.filter((a) => a === "assign" || a === "delegate")) {
    const chooser = agencySelect(`bulk-${action}`);
    const button = el("button", { type: "submit", class: "button small", text: t(`bulk.${action}.submit`) });
    forms.push(el("form", { class: "bulk-form", dataset: { action }, on: { submit: (event) => {
      event.preventDefault();
      send(button, { action, agency_id: chooser.value });
    } } },
    el("label", { for: `bulk-${action}`, text: t(`bulk.${action}`) }), chooser, button));
  }
  const bar = el("div", { class: "bulk-bar", role: "group", "aria-label": t("bulk.title"), hidden: true },
    count, forms, result);
  const refresh = () => {
    bar.hidden = selected.size === 0;
    count.textContent = t("bulk.selected", { n: selected.size });
    for (const form of forms) for (const control of form.elements) control.disabled = selected.size === 0;
  };
  const checkbox = (row) => el("input", {
    type: "checkbox", class: "row-check", "aria-label": t("bulk.select", { code: row.tracking_code }),
    checked: selected.has(row.tracking_code),
    on: { change: (event) => {
      if (event.target.checked && selected.size >= MAX_BULK) {
        event.target.checked = false;
        announce(t("bulk.max", { n: MAX_BULK }));
      } else if (event.target.checked) selected.add(row.tracking_code);
      else selected.delete(row.tracking_code);
      refresh();
    } },
  });
  refresh();
  return { bar, checkbox, refresh };
}

// --- the CSV export -----------------------------------------------------------------------------

// The API needs the bearer token, so a plain link cannot fetch it: fetch, then save a Blob.
export function exportButton(params, token) {
  const status = el("span", { class: "export-status", role: "status" });
  const button = el("button", { type: "button", id: "export-csv", class: "button secondary small", text: t("export.csv"), on: { click: async () => {
    button.disabled = true;
    status.textContent = t("loading");
    try {
      const response = await fetch(`officer/queue.csv?${params()}`, { headers: { Authorization: `Bearer ${await token()}` }, cache: "no-cache" });
      if (!response.ok) throw new Error(`${response.status}`);
      const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || "queue.csv";
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const rows = response.headers.get("X-Export-Rows");
      status.textContent = response.headers.get("X-Export-Truncated") === "true"
        ? t("export.truncated", { n: rows }) : t("export.done", { n: rows });
    } catch (error) {
      status.textContent = t("error.generic", { message: error.message });
    } finally {
      button.disabled = false;
    }
  } } });
  return el("span", { class: "export" }, button, status);
}

// --- the map of the loaded rows ------------------------------------------------------------

export async function queueMap(container, rows, open) {
  const { createMap, clusterLayer } = await import("./map.js");
  const { L, map } = await createMap(container, { label: t("queue.map") });
  const layer = clusterLayer(L, map, { onSelect: (point) => open(point.id) });
  const points = rows.filter((r) => r.lat !== null && r.lat !== undefined)
    .map((r) => ({ id: r.tracking_code, lat: r.lat, lng: r.lng, status: r.status }));
  if (points.length) map.fitBounds(L.latLngBounds(points.map((p) => [p.lat, p.lng])).pad(0.2), { maxZoom: 16 });
  layer.setPoints(points);
  return { map, layer };
}

// --- keyboard -------------------------------------------------------------------------------

export const SHORTCUTS = [["j", "keys.next"], ["k", "keys.previous"], ["Enter / o", "keys.open"], ["/", "keys.search"], ["?", "keys.help"]];

function typing(target) {
  return target && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
}

// One listener for the page; it acts only while a queue list is shown.
export function listenForShortcuts({ toggleHelp }) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const list = document.querySelector("ol.rows");
    if (!list) return;
    const rows = [...list.querySelectorAll(":scope > li.row")];
    const current = rows.findIndex((row) => row.classList.contains("row-current"));
    const move = (index) => {
      if (!rows.length) return;
      const next = rows[Math.max(0, Math.min(rows.length - 1, index))];
      for (const row of rows) row.classList.remove("row-current");
      next.classList.add("row-current");
      next.querySelector("a.row-link").focus();
    };
    if (event.key === "j") move(current + 1);
    else if (event.key === "k") move(current < 0 ? 0 : current - 1);
    else if ((event.key === "o" || (event.key === "Enter" && event.target === document.body)) && current >= 0) {
      rows[current].querySelector("a.row-link").click();
    } else if (event.key === "/") {
      const search = document.getElementById("f-q");
      if (search) search.focus();
    } else if (event.key === "?") toggleHelp();
    else return;
    event.preventDefault();
  });
}

export function shortcutHelp() {
  return el("details", { class: "shortcut-help", id: "shortcut-help" },
    el("summary", { text: t("keys.title") }),
    el("dl", {}, SHORTCUTS.map(([key, text]) => [el("dt", {}, el("kbd", { text: key })), el("dd", { text: t(text) })])));
}
