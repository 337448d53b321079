// Shared by every page: configuration, language, safe DOM building, API calls, formatting.
//
// Everything the server or a citizen wrote is put on the page as text
// (textContent / text nodes), never parsed as HTML: the pages' CSP enforces
// Trusted Types with no policy, so an HTML sink would throw anyway.

import { TEXTS } from "./i18n.js";

const configBlock = document.getElementById("crm-config");
export const config = JSON.parse((configBlock && configBlock.textContent) || "{}");

const LANG_KEY = "crm.lang";

export function lang() {
  try {
    return localStorage.getItem(LANG_KEY) === "en" ? "en" : "id";
  } catch (_) {
    return "id";
  }
}

export function setLang(value) {
  try {
    localStorage.setItem(LANG_KEY, value === "en" ? "en" : "id");
  } catch (_) { /* private mode: the choice lasts for this page only */ }
  document.documentElement.lang = lang();
}

export function t(key, vars) {
  const pair = TEXTS[key];
  let text = pair ? pair[lang() === "en" ? 1 : 0] : key;
  if (vars) {
    for (const [name, value] of Object.entries(vars)) {
      text = text.split(`{${name}}`).join(String(value));
    }
  }
  return text;
}

// el("a", {href: "#", class: "x", text: "hi", on: {click: fn}}, child, "text child")
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else if (name === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "value" || name === "checked" || name === "disabled" || name === "selected") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

// Replace a node's content; null/false children are skipped (replaceChildren would print "null").
export function show(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Translate the static parts of a page: data-i18n (text), data-i18n-label (aria-label).
export function localize(root = document) {
  document.documentElement.lang = lang();
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  // The report form is rendered by the server in one language (?lang=en): link to the reader's.
  for (const link of root.querySelectorAll("a[data-lang-link]")) {
    link.setAttribute("href", lang() === "en" ? `${link.dataset.langLink}?lang=en` : link.dataset.langLink);
  }
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = title.textContent;
}

export function wireLanguageToggle(onChange) {
  const button = document.getElementById("lang-toggle");
  if (!button) return;
  button.addEventListener("click", () => {
    setLang(lang() === "en" ? "id" : "en");
    localize();
    onChange();
  });
}

// A polite live region, so screen readers hear what happened after an action.
export function announce(message) {
  const region = document.getElementById("live");
  if (region) {
    region.textContent = "";
    region.textContent = message;
  }
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status === 0 ? "network" : "http_error");
    this.details = error.details || [];
    this.body = body;
  }
}

// Relative URLs only: the pages work under any prefix (API Gateway's /api stage).
export async function api(path, { method = "GET", body, token, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", "Accept-Language": lang(), ...headers }, cache: "no-cache" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, null);
  }
  let payload = null;
  const text = await response.text();
  if (text) {
    try { payload = JSON.parse(text); } catch (_) { payload = null; }
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

// An error as a block the user can read; field details listed.
export function errorBox(error) {
  let message;
  if (!(error instanceof ApiError)) message = t("error.generic", { message: String(error && error.message || error) });
  else if (error.status === 0) message = t("error.network");
  else if (error.status === 403) message = t("error.forbidden");
  else if (error.status === 409 && error.code === "concurrent_update") message = t("error.conflict");
  else message = error.message;
  const box = el("div", { class: "alert alert-error", role: "alert" }, el("p", { text: message }));
  if (error instanceof ApiError && error.details.length) {
    box.append(el("ul", {}, error.details.map((d) => el("li", { text: `${d.field}: ${d.message}` }))));
  }
  return box;
}

const JAKARTA = "Asia/Jakarta";

function locale() {
  return lang() === "en" ? "en-GB" : "id-ID";
}

export function formatDateTime(text) {
  if (!text) return t("none");
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  const formatted = new Intl.DateTimeFormat(locale(), {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: JAKARTA,
  }).format(date);
  return `${formatted} ${t("wib")}`;
}

export function formatDate(text) {
  if (!text) return t("none");
  const date = new Date(text.length === 10 ? `${text}T00:00:00+07:00` : text);
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric", timeZone: JAKARTA }).format(date);
}

// 95 -> "1 jam 35 mnt"; 4000 -> "2 hari 19 jam"
export function formatMinutes(minutes) {
  if (minutes === null || minutes === undefined) return t("none");
  const total = Math.abs(Math.round(minutes));
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  const parts = [];
  if (days) parts.push(t("days.short", { n: days }));
  if (hours && days < 10) parts.push(t("hours.short", { n: hours }));
  if (!days && (mins || !hours)) parts.push(t("minutes.short", { n: mins }));
  return parts.join(" ");
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return t("none");
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

export function formatPercent(rate) {
  if (rate === null || rate === undefined) return t("none");
  return `${formatNumber(rate * 100, rate * 100 % 1 ? 1 : 0)}%`;
}

export function categoryName(category) {
  if (!category) return t("none");
  const known = (config.categories || []).find((c) => c.id === (category.id || category));
  if (known) return known.name[lang()];
  return category.name || category.id || String(category);
}

export function channelName(channel) {
  const names = (config.channels || {})[channel];
  return names ? names[lang()] : channel;
}

export function statusBadge(status, label) {
  return el("span", { class: `badge status status-${status}`, text: label || t(`status.${status}`) });
}

// The SLA badge of a queue row or case: overdue (red), due within 24 h (amber), later (green),
// named after the deadline it counts down to (coordination, resolution, ...).
export function dueBadge(minutes, kind) {
  const prefix = kind ? `${t(`deadline.${kind}`)}: ` : "";
  if (minutes === null || minutes === undefined) return el("span", { class: "badge sla-none", text: t("sla.none") });
  if (minutes < 0) return el("span", { class: "badge sla-overdue", text: prefix + t("sla.overdue", { d: formatMinutes(minutes) }) });
  const soon = minutes < 24 * 60;
  return el("span", { class: `badge ${soon ? "sla-soon" : "sla-ok"}`, text: prefix + t("sla.due", { d: formatMinutes(minutes) }) });
}

export function progressBar(percent, label) {
  const value = Math.max(0, Math.min(100, Number(percent) || 0));
  return el("span", { class: "progress-wrap" },
    el("progress", { max: "100", value: String(value), "aria-label": label || t("case.progress") }),
    el("span", { class: "progress-text", text: `${value}%` }));
}

export function trackUrl(code) {
  return `track?code=${encodeURIComponent(code)}`;
}

export function definition(term, ...value) {
  return [el("dt", { text: term }), el("dd", {}, ...value)];
}
