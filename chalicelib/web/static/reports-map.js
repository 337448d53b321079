// /map: recent public reports on a map (clustered here, from GET map/points) and as a paged
// list beside it (GET map/reports), filtered by category, status, kota and period. The filters
// live in the address (?category=&status=&kota=&days=&page=) so a view can be shared. Both
// refresh every minute while the page is visible.

import {
  announce, api, categoryName, config, el, errorBox, formatDateTime, formatNumber, lang, localize, show, statusBadge, t,
  wireLanguageToggle,
} from "./common.js";
import { clusterLayer, createMap, statusGroup } from "./map.js";

const main = document.getElementById("main");
const FILTERS = ["category", "status", "kota", "days"];
const REFRESH_MS = 60000;
let state = readState();
let map = null;
let L = null;
let layer = null;
let mapNode = null;
let timer = null;

function readState() {
  const params = new URLSearchParams(location.search);
  const chosen = {};
  for (const name of [...FILTERS, "page"]) {
    const value = params.get(name);
    if (value) chosen[name] = value;
  }
  return chosen;
}

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
  for (const [name, value] of Object.entries(extra)) params.set(name, String(value));
  return params.toString();
}

// options: [value, text]; the value "" is the default (no filter, or the whole 7 days).
function select(name, label, options) {
  const node = el("select", { id: `filter-${name}`, name, on: { change: () => {
    state = { ...state, [name]: node.value || undefined, page: undefined };
    history.replaceState(null, "", `map${query() ? `?${query()}` : ""}`);
    load();
  } } },
  options.map(([value, text]) => el("option", { value, text, selected: (state[name] || "") === value })));
  return el("div", { class: "field" }, el("label", { for: `filter-${name}`, text: label }), node);
}

function filters() {
  return el("form", { class: "panel map-filters", "aria-label": t("map.filters"), on: { submit: (event) => event.preventDefault() } },
    select("category", t("map.category"), [["", t("map.all")], ...(config.categories || []).map((c) => [c.id, c.name[lang()]])]),
    select("status", t("map.status"), [["", t("map.all")], ["open", t("map.status.open")], ["closed", t("map.status.closed")]]),
    select("kota", t("map.kota"), [["", t("map.all")], ...(config.kota || []).map((k) => [k.code, k.name])]),
    select("days", t("map.days"), [["", t("map.days.n", { n: 7 })], ["3", t("map.days.n", { n: 3 })], ["1", t("map.days.1")]]));
}

function legend() {
  return el("p", { class: "map-legend" }, ["open", "done", "other"].map((group) => el("span", { class: "legend-item" },
    el("span", { class: `legend-dot dot-${group}` }), t(`map.legend.${group}`))));
}

function popup(point, latlng) {
  const content = el("div", { class: "map-popup" },
    el("p", {}, el("strong", { text: categoryName(point.category) })),
    el("p", {}, statusBadge(point.status)),
    el("p", {}, el("a", { href: `reports/${encodeURIComponent(point.id)}`, text: `${t("map.open")} →` })));
  L.popup({ maxWidth: 260 }).setLatLng(latlng).setContent(content).openOn(map);
}

function row(report) {
  const area = report.area ? [report.area.kelurahan, report.area.kecamatan, report.area.kota].filter(Boolean).join(", ") : null;
  return el("li", { class: "row", dataset: { id: report.id } },
    el("a", { class: "row-link", href: `reports/${encodeURIComponent(report.id)}` },
      el("span", { class: "row-top" },
        el("span", { class: `legend-dot dot-${statusGroup(report.status)}`, "aria-hidden": "true" }),
        el("span", { class: "row-category", text: report.category.name }),
        statusBadge(report.status, report.status_label)),
      el("span", { class: "row-summary", text: report.summary }),
      el("span", { class: "row-meta" },
        el("time", { datetime: report.created_at, text: formatDateTime(report.created_at) }),
        area ? el("span", { text: area }) : null)));
}

function pager(list) {
  const pages = Math.max(1, Math.ceil(list.total / list.page_size));
  if (pages <= 1) return null;
  const go = (page) => {
    state = { ...state, page: page > 1 ? String(page) : undefined };
    history.replaceState(null, "", `map?${query(state.page ? { page: state.page } : {})}`);
    loadList().then(() => document.getElementById("list-title").focus());
  };
  return el("nav", { class: "pager", "aria-label": t("map.list") },
    el("button", { type: "button", class: "button secondary small", text: t("map.previous"), disabled: list.page <= 1,
      on: { click: () => go(list.page - 1) } }),
    el("span", { text: t("map.page", { page: list.page, pages }) }),
    el("button", { type: "button", class: "button secondary small", text: t("map.next"), disabled: list.page >= pages,
      on: { click: () => go(list.page + 1) } }));
}

async function loadPoints() {
  const found = await api(`map/points?${query()}`);
  layer.setPoints(found.points.map(([id, lat, lng, category, status]) => ({ id, lat, lng, category, status })));
  const note = document.getElementById("map-note");
  show(note, t("map.count.located", { n: formatNumber(found.total) }),
    found.truncated ? ` ${t("map.truncated", { n: formatNumber(found.limit) })}` : "");
}

async function loadList() {
  const page = Number(state.page) || 1;
  const list = await api(`map/reports?${query({ page })}`);
  const box = document.getElementById("list");
  show(document.getElementById("list-count"), t("map.count", { n: formatNumber(list.total) }));
  show(box, list.reports.length
    ? el("ol", { class: "rows" }, list.reports.map(row))
    : el("p", { class: "empty", text: t("map.empty") }),
  pager(list));
}

async function load(quiet) {
  const problem = document.getElementById("map-problem");
  try {
    await Promise.all([loadPoints(), loadList()]);
    show(problem);
    if (!quiet) announce(document.getElementById("list-count").textContent);
  } catch (error) {
    if (!quiet) show(problem, errorBox(error));
  }
  clearInterval(timer);
  timer = setInterval(() => { if (!document.hidden) load(true); }, REFRESH_MS);
}

async function draw() {
  localize();
  mapNode = mapNode || el("div", { id: "reports-map", class: "map map-large" });
  show(main,
    el("h1", { text: t("map.title") }),
    el("p", { class: "lead", text: t("map.intro") }),
    filters(),
    el("div", { id: "map-problem" }),
    el("div", { class: "map-layout" },
      el("div", { class: "map-column" }, mapNode, legend(), el("p", { id: "map-note", class: "hint", "aria-live": "polite" })),
      el("section", { class: "map-list", "aria-labelledby": "list-title" },
        el("h2", { id: "list-title", tabindex: "-1", text: t("map.list") }),
        el("p", { id: "list-count", class: "muted" }),
        el("div", { id: "list" }))),
    el("p", { class: "hint", text: t("map.auto") }));
  if (!map) {
    ({ L, map } = await createMap(mapNode));
    layer = clusterLayer(L, map, { onSelect: popup });
  } else {
    map.invalidateSize();
  }
  await load();
}

wireLanguageToggle(draw);
draw();
