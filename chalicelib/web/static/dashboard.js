// Agency performance: the public /performance page and the officers' "Kinerja" tab.
// Reads GET metrics/agencies and metrics/agencies/{id} (public, counters only).

import { columnChart, barChart } from "./charts.js";
import {
  api, el, errorBox, formatDate, formatMinutes, formatNumber, formatPercent, lang, show, t,
} from "./common.js";

const PERIODS = [7, 30, 90];
const TOP = 10;

function jakartaDay(offsetDays = 0) {
  const date = new Date(Date.now() - offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Jakarta", year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

function card(label, value, note, warn) {
  return el("div", { class: `stat${warn ? " stat-warn" : ""}` },
    el("span", { class: "stat-label", text: label }),
    el("span", { class: "stat-value", text: value }),
    note ? el("span", { class: "stat-note", text: note }) : null);
}

function summaryCards(summary, targets) {
  const coordination = summary.coordination_minutes_avg;
  const resolution = summary.resolution_minutes_avg;
  return el("div", { class: "stats" },
    card(t("perf.received"), formatNumber(summary.received)),
    card(t("perf.resolved"), formatNumber(summary.resolved)),
    card(t("perf.open"), formatNumber(summary.open), summary.overdue_open ? `${t("perf.overdue")}: ${formatNumber(summary.overdue_open)}` : null, summary.overdue_open > 0),
    card(t("perf.ontime"), formatPercent(summary.on_time_rate)),
    card(t("perf.coordination"), formatMinutes(coordination), t("perf.target", { v: formatMinutes(targets.coordination_minutes) }), coordination > targets.coordination_minutes),
    card(t("perf.resolution"), formatMinutes(resolution), t("perf.target", { v: formatMinutes(targets.resolution_minutes) }), resolution > targets.resolution_minutes),
    card(t("perf.satisfaction"), summary.satisfaction_avg ? `${formatNumber(summary.satisfaction_avg, 1)} / 5` : t("none"), summary.ratings ? `n = ${summary.ratings}` : null));
}

function hours(minutes) {
  return minutes === null || minutes === undefined ? null : minutes / 60;
}

function days(minutes) {
  return minutes === null || minutes === undefined ? null : minutes / 1440;
}

// 3.75 h -> "3,8 jam" (the chart's own unit, short enough to sit beside a bar)
function inUnit(value, key) {
  return value === null ? t("none") : t(key, { n: formatNumber(value, value < 10 ? 1 : 0) });
}

function charts(container, rows, targets) {
  const top = rows.slice().sort((a, b) => b.received - a.received || a.name.localeCompare(b.name)).slice(0, TOP);
  if (!top.length) return;
  const section = el("section", { class: "charts", "aria-label": t("perf.top", { n: top.length }) },
    el("p", { class: "muted", text: t("perf.top", { n: top.length }) }));
  container.append(section);
  const grid = el("div", { class: "chart-grid-3" });
  section.append(grid);
  const slots = [el("div"), el("div"), el("div")];
  grid.append(...slots);
  barChart(slots[0], top.map((row) => ({
    label: row.name, value: row.on_time_rate === null ? null : row.on_time_rate * 100, display: formatPercent(row.on_time_rate),
  })), { title: t("perf.chart.ontime"), max: 100, emptyText: t("perf.chart.empty") });
  barChart(slots[1], top.map((row) => ({
    label: row.name, value: hours(row.coordination_minutes_avg), display: inUnit(hours(row.coordination_minutes_avg), "hours.short"),
    warn: row.coordination_minutes_avg > targets.coordination_minutes,
  })), { title: t("perf.chart.coordination"), target: targets.coordination_minutes / 60, targetLabel: t("perf.target", { v: formatMinutes(targets.coordination_minutes) }), emptyText: t("perf.chart.empty") });
  barChart(slots[2], top.map((row) => ({
    label: row.name, value: days(row.resolution_minutes_avg), display: inUnit(days(row.resolution_minutes_avg), "days.short"),
    warn: row.resolution_minutes_avg > targets.resolution_minutes,
  })), { title: t("perf.chart.resolution"), target: targets.resolution_minutes / 1440, targetLabel: t("perf.target", { v: formatMinutes(targets.resolution_minutes) }), emptyText: t("perf.chart.empty") });
}

function table(rows, onPick) {
  const head = ["perf.agency", "perf.received", "perf.resolved", "perf.open", "perf.ontime", "perf.coordination", "perf.resolution", "perf.satisfaction", "perf.reopen"];
  const sorted = rows.slice().sort((a, b) => b.received - a.received || a.name.localeCompare(b.name));
  return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("perf.table") },
    el("table", { class: "data" },
      el("caption", { text: t("perf.table") }),
      el("thead", {}, el("tr", {}, head.map((key) => el("th", { scope: "col", text: t(key) })))),
      el("tbody", {}, sorted.map((row) => el("tr", {},
        el("th", { scope: "row" }, el("button", { type: "button", class: "link", text: row.name, on: { click: () => onPick(row.agency_id) } })),
        el("td", { text: formatNumber(row.received) }),
        el("td", { text: formatNumber(row.resolved) }),
        el("td", { text: formatNumber(row.open) }),
        el("td", { text: formatPercent(row.on_time_rate) }),
        el("td", { text: formatMinutes(row.coordination_minutes_avg) }),
        el("td", { text: formatMinutes(row.resolution_minutes_avg) }),
        el("td", { text: row.satisfaction_avg ? formatNumber(row.satisfaction_avg, 1) : t("none") }),
        el("td", { text: formatPercent(row.reopen_rate) }))))));
}

function dayLabel(day) {
  const [, month, date] = day.split("-");
  return lang() === "en" ? `${date}/${month}` : `${date}/${month}`;
}

function fillDays(from, to, daily) {
  const byDay = new Map(daily.map((d) => [d.day, d]));
  const days = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d = new Date(d.getTime() + 86400000)) {
    days.push(d.toISOString().slice(0, 10));
  }
  return { days, received: days.map((d) => (byDay.get(d) || {}).received || 0), resolved: days.map((d) => (byDay.get(d) || {}).resolved || 0) };
}

async function agencyDetail(container, agencyId, range, heading, onClose) {
  show(container, el("p", { class: "muted", text: t("loading") }));
  try {
    const data = await api(`metrics/agencies/${encodeURIComponent(agencyId)}?from=${range.from}&to=${range.to}`);
    const series = fillDays(data.from, data.to, data.daily);
    const title = heading || t("perf.detail", { name: data.agency.name });
    show(container, el("h3", { text: title }));
    if (heading) container.append(el("p", { class: "muted", text: data.agency.name }));
    if (onClose) container.append(el("button", { type: "button", class: "button secondary small", text: t("perf.close"), on: { click: onClose } }));
    container.append(summaryCards(data.summary, data.targets));
    columnChart(container, series.days, [
      { name: t("perf.legend.received"), className: "series-a", values: series.received },
      { name: t("perf.legend.resolved"), className: "series-b", values: series.resolved },
    ], { title: t("perf.chart.daily"), dayLabel });
  } catch (error) {
    show(container, errorBox(error));
  }
}

// Draws the dashboard into `container`. options: {headingLevel: "h1"|"h2", focusAgency: id}
export function renderPerformance(container, options = {}) {
  const heading = options.headingLevel || "h1";
  let period = Number(sessionStorage.getItem("crm.period")) || 30;
  if (!PERIODS.includes(period)) period = 30;

  const body = el("div");
  const select = el("select", { id: "perf-period", on: { change: () => { period = Number(select.value); sessionStorage.setItem("crm.period", String(period)); load(); } } },
    PERIODS.map((n) => el("option", { value: String(n), text: t(`perf.period.${n}`), selected: n === period })));
  show(container, 
    el(heading, { text: t("perf.title") }),
    el("p", { class: "lead", text: t("perf.intro") }),
    el("div", { class: "toolbar" }, el("label", { for: "perf-period", text: t("perf.period") }), select),
    body);

  async function load() {
    const range = { from: jakartaDay(period - 1), to: jakartaDay(0) };
    show(body, el("p", { class: "muted", text: t("loading") }));
    let data;
    try {
      data = await api(`metrics/agencies?from=${range.from}&to=${range.to}`);
    } catch (error) {
      show(body, errorBox(error));
      return;
    }
    const detail = el("section", { class: "panel detail", id: "agency-detail", tabindex: "-1" });
    detail.hidden = true;
    const pick = (agencyId) => {
      detail.hidden = false;
      agencyDetail(detail, agencyId, range, null, () => { detail.hidden = true; show(detail); });
      detail.scrollIntoView({ block: "start" });
      detail.focus();
    };
    show(body, el("p", { class: "muted", text: t("perf.range", { from: formatDate(data.from), to: formatDate(data.to) }) }));
    if (options.focusAgency) {
      const own = el("section", { class: "panel" });
      body.append(own);
      agencyDetail(own, options.focusAgency, range, t("perf.yours"));
    }
    body.append(el("h2", { class: heading === "h1" ? "" : "h3", text: t("perf.all") }), summaryCards(data.total, data.targets));
    if (!data.agencies.length) {
      body.append(el("p", { class: "empty", text: t("perf.nodata") }));
      return;
    }
    charts(body, data.agencies, data.targets);
    body.append(detail, table(data.agencies, pick));
  }
  load();
}
