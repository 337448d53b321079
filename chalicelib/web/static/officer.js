// CRM Officer: sign-in, queues, the case page with its actions, walk-in intake,
// notifications and the performance dashboard. One page, hash routes:
//
//   #/queue  #/review  #/triage  #/escalated  #/intake  #/notifications  #/dashboard  #/case/<code>
//
// Routes carry no secrets (a tracking code at most); the ID token stays in sessionStorage.

import * as auth from "./auth.js";
import {
  ApiError, announce, api, categoryName, channelName, config, definition, dueBadge, el, errorBox,
  formatDateTime, lang, localize, progressBar, show, statusBadge, t, trackUrl, wireLanguageToggle,
} from "./common.js";
import { renderPerformance } from "./dashboard.js";
import {
  bulkBar, exportButton, keepInUrl, listenForShortcuts, queueMap, serverCounts, shortcutHelp, takeUrlFilters,
} from "./queue-tools.js";
import { redactEditor } from "./redact.js";

const main = document.getElementById("main");
const tabsNav = document.getElementById("tabs");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");

const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
const STATUSES = ["received", "assigned", "plan_submitted", "in_progress", "resolved"];
const OPERATION_PATHS = {
  assign: "assign", delegate: "delegate", transfer: "transfer", add_collaborator: "collaborators",
  submit_plan: "plan", verify_plan: "plan/verify", return_plan: "plan/return", post_progress: "progress",
  comment: "comments", resolve: "resolve", reject: "reject", merge: "merge", set_privacy: "privacy",
  set_priority: "priority",
};
const PRIORITIES = ["urgent", "normal", "low"];
const PRIVACY_LEVELS = ["public", "anonymous", "confidential"];
const KIND_ORDER = ["dinas", "suku_dinas", "utility", "city", "kecamatan", "kelurahan", "bureau", "inspectorate"];

const state = {
  me: null,
  agencies: null,
  filters: {}, // per list: {agency_id, scope, status, category, kota, due, priority, q}; the shown one also in the URL
  mapView: false, // the queue shown as a map of its loaded rows
  intakeKey: null,
  intakeUploads: null,
};

// --- signing in --------------------------------------------------------------------------

function showSignIn(message) {
  state.me = null;
  tabsNav.hidden = true;
  show(tabsNav);
  show(who);
  signOutButton.hidden = true;
  const email = el("input", { id: "email", type: "email", name: "email", autocomplete: "username", required: true });
  const password = el("input", { id: "password", type: "password", name: "password", autocomplete: "current-password", required: true });
  const result = el("div", { id: "signin-result" });
  if (message) result.append(el("p", { class: "alert alert-info", role: "status", text: message }));
  if (!config.client_id) result.append(el("p", { class: "alert alert-error", role: "alert", text: t("signin.unconfigured") }));
  const button = el("button", { type: "submit", class: "button", text: t("signin.submit") });
  const form = el("form", { class: "panel narrow stack", on: { submit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    button.textContent = t("signin.busy");
    try {
      const answer = await auth.signIn(email.value.trim(), password.value);
      if (answer.challenge) showNewPassword(email.value.trim(), answer.session);
      else await start();
    } catch (error) {
      show(result, el("p", { class: "alert alert-error", role: "alert", text: signInError(error) }));
      button.disabled = false;
      button.textContent = t("signin.submit");
      password.focus();
    }
  } } },
  el("h1", { text: t("signin.title") }),
  el("p", { class: "muted", text: t("signin.intro") }),
  result,
  el("label", { for: "email", text: t("signin.email") }), email,
  el("label", { for: "password", text: t("signin.password") }), password,
  button);
  show(main, form);
  email.focus();
}

function signInError(error) {
  if (error.type === "network") return t("error.network");
  if (error.type === "unconfigured") return t("signin.unconfigured");
  if (error.type === "NotAuthorizedException" || error.type === "UserNotFoundException") return t("signin.failed");
  if (error.type === "InvalidPasswordException") return `${t("signin.newpassword.weak")} ${error.message}`;
  return t("error.generic", { message: error.message });
}

function showNewPassword(email, challengeSession) {
  const password = el("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const result = el("div");
  const form = el("form", { class: "panel narrow stack", on: { submit: async (event) => {
    event.preventDefault();
    try {
      await auth.setNewPassword(email, challengeSession, password.value);
      await start();
    } catch (error) {
      show(result, el("p", { class: "alert alert-error", role: "alert", text: signInError(error) }));
    }
  } } },
  el("h1", { text: t("signin.newpassword") }),
  el("p", { text: t("signin.newpassword.intro") }),
  result,
  el("label", { for: "new-password", text: t("signin.newpassword.field") }), password,
  el("button", { type: "submit", class: "button", text: t("signin.newpassword.submit") }));
  show(main, form);
  password.focus();
}

// Every API call of a signed-in officer. A refused token sends them back to sign-in.
async function call(path, options = {}) {
  const token = await auth.idToken();
  if (!token) {
    showSignIn(t("signin.expired"));
    throw new ApiError(401, { error: { code: "unauthorized", message: t("signin.expired") } });
  }
  try {
    return await api(path, { ...options, token });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      auth.signOut();
      showSignIn(t("signin.expired"));
    }
    throw error;
  }
}

// --- the shell: who is signed in, tabs per role ---------------------------------------------

function has(...roles) {
  return !!state.me && roles.some((role) => state.me.roles.includes(role));
}

function overseer() {
  return has("bureau_verifier", "supervisor", "admin");
}

function tabs() {
  const list = [];
  if (has("intake_officer")) list.push("intake");
  if (has("supervisor")) list.push("escalated");
  if (has("bureau_verifier")) list.push("review", "triage");
  if (has("agency_officer", "bureau_verifier", "supervisor", "admin")) list.push("queue");
  if (state.me.agency || has("supervisor")) list.push("notifications");
  list.push("dashboard");
  return list;
}

function renderShell() {
  const role = state.me.roles[0];
  const roleNames = state.me.roles.map((r) => t(`role.${r}`)).join(", ");
  show(who, 
    el("span", { class: "who-agency", text: state.me.agency ? state.me.agency.name : roleNames }),
    el("span", { class: "who-user", text: `${state.me.email || ""} · ${role ? roleNames : ""}` }));
  signOutButton.hidden = false;
  const current = location.hash.split("/")[1] || "";
  show(tabsNav, el("ul", {}, tabs().map((name) => el("li", {},
    el("a", { href: `#/${name}`, class: "tab", "aria-current": name === current ? "page" : null, text: t(`tab.${name}`) })))));
  tabsNav.hidden = false;
}

function markTab(name) {
  for (const link of tabsNav.querySelectorAll("a.tab")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function agencies() {
  if (!state.agencies) {
    const answer = await call("officer/agencies");
    state.agencies = answer.agencies;
    state.agencyById = new Map(state.agencies.map((a) => [a.id, a]));
  }
  return state.agencies;
}

function agencyName(id) {
  const agency = state.agencyById && state.agencyById.get(id);
  return agency ? agency.name : id;
}

function isBelow(id, ancestor) {
  let current = state.agencyById.get(id);
  while (current && current.parent) {
    if (current.parent === ancestor) return true;
    current = state.agencyById.get(current.parent);
  }
  return false;
}

function agencySelect(id, options, { required = true, exclude = [], chosen = "" } = {}) {
  const groups = new Map();
  for (const agency of options) {
    if (exclude.includes(agency.id)) continue;
    if (!groups.has(agency.kind)) groups.set(agency.kind, []);
    groups.get(agency.kind).push(agency);
  }
  const select = el("select", { id, name: "agency_id", required },
    el("option", { value: "", text: t("field.choose") }));
  for (const kind of KIND_ORDER.filter((k) => groups.has(k))) {
    const items = groups.get(kind).sort((a, b) => a.name.localeCompare(b.name));
    select.append(el("optgroup", { label: t(`kind.${kind}`) },
      items.map((a) => el("option", { value: a.id, text: a.name, selected: a.id === chosen }))));
  }
  return select;
}

function defaultRoute() {
  if (has("intake_officer")) return "#/intake";
  if (has("supervisor")) return "#/escalated";
  if (has("bureau_verifier")) return "#/review";
  if (has("agency_officer")) return "#/queue";
  return "#/dashboard";
}

async function route() {
  if (!state.me) return;
  if (location.hash && !location.hash.startsWith("#/")) return; // e.g. the skip link's #main
  const [, name = "", ...rest] = location.hash.split("/");
  if (!name) {
    location.replace(defaultRoute());
    return;
  }
  markTab(name === "case" ? "" : name);
  window.scrollTo(0, 0);
  try {
    if (name === "case" && rest[0]) await showCase(decodeURIComponent(rest[0]));
    else if (["queue", "review", "triage", "escalated"].includes(name)) await showQueue(name);
    else if (name === "intake") await showIntake();
    else if (name === "notifications") await showNotifications();
    else if (name === "dashboard") showDashboard();
    else location.replace(defaultRoute());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    show(main, errorBox(error));
  }
}

// --- queues ------------------------------------------------------------------------------

function optionList(id, label, values, chosen, onChange) {
  const select = el("select", { id, on: { change: (event) => onChange(event.target.value) } },
    values.map(([value, text]) => el("option", { value, text, selected: value === chosen })));
  return el("div", { class: "field" }, el("label", { for: id, text: label }), select);
}

function filtersOf(view) {
  if (!state.filters[view]) {
    state.filters[view] = takeUrlFilters({ agency_id: "", scope: "", status: "", category: "", kota: "", due: "", priority: "", q: "" });
  }
  return state.filters[view];
}

function queueParams(view) {
  const f = filtersOf(view);
  const params = new URLSearchParams();
  if (view !== "queue") params.set("view", view);
  else {
    if (f.scope) params.set("view", f.scope);
    if (f.agency_id) params.set("agency_id", f.agency_id);
  }
  for (const name of ["status", "category", "kota", "due", "priority", "q"]) {
    if (f[name] && !(name === "status" && (view === "review" || view === "triage"))) params.set(name, f[name]);
  }
  return params;
}

// Minutes to the deadline the agency is held to (older cards only know the next milestone).
function dueIn(row) {
  return row.deadline_in_minutes !== undefined && row.deadline_kind ? row.deadline_in_minutes : row.due_in_minutes;
}

function isOverdue(row) {
  const due = dueIn(row);
  return (due !== null && due < 0 && row.deadline_kind !== "confirmation") || (row.breached || []).length > 0;
}

function queueRow(row, checkbox) {
  const breached = (row.breached || []).map((m) => el("span", { class: "badge sla-overdue", text: t(`sla.breached.${m}`) }));
  const place = row.area && row.area.kota ? ((config.kota || []).find((k) => k.code === row.area.kota) || {}).name : null;
  return el("li", { class: checkbox ? "row selectable" : "row", dataset: { code: row.tracking_code } },
    checkbox ? checkbox(row) : null,
    el("a", { href: `#/case/${encodeURIComponent(row.tracking_code)}`, class: "row-link" },
      el("div", { class: "row-top" },
        el("span", { class: "code", text: row.tracking_code }),
        el("span", { class: "row-category", text: row.category.name }),
        priorityBadge(row.priority),
        senderBadge(row.unverified_sender),
        statusBadge(row.status, row.status_label)),
      el("p", { class: "row-summary", text: row.summary }),
      el("div", { class: "row-meta" },
        dueIn(row) !== null ? dueBadge(dueIn(row), row.deadline_kind) : null, ...breached,
        row.escalated ? el("span", { class: "badge sla-overdue", text: t("sla.escalated") }) : null,
        row.progress ? progressBar(row.progress) : null,
        el("span", { class: "muted", text: [row.agency ? row.agency.name : null, place, t("queue.reported", { when: formatDateTime(row.created_at) })].filter(Boolean).join(" · ") }))));
}

// A case opened by an e-mail whose sender SES could not verify (the From may be forged).
function senderBadge(unverified) {
  return unverified ? el("span", { class: "badge sla-overdue", title: t("case.unverified_sender.why"), text: t("case.unverified_sender") }) : null;
}

function priorityBadge(priority) {
  return priority && priority !== "normal" ? el("span", { class: `badge priority-${priority}`, text: t(`priority.${priority}`) }) : null;
}

async function showQueue(view, notice = null) {
  const f = filtersOf(view);
  if (view === "queue" && overseer() && !f.agency_id && state.me.agency && state.me.agency.kind !== "bureau" && state.me.agency.kind !== "inspectorate") {
    f.agency_id = state.me.agency.id;
  }
  const title = view === "queue" ? t("queue.title") : t(`queue.title.${view}`);
  const heading = el("h1", { text: view === "queue" && state.me.agency && !overseer() ? `${title} · ${state.me.agency.name}` : title });
  const reload = () => showQueue(view);
  const filters = el("div", { class: "filters", role: "group", "aria-label": t("queue.filters") });
  const active = ["status", "category", "kota", "due", "priority"].filter((name) => f[name]).length;
  const filterBox = el("details", { class: "filter-box" },
    el("summary", { text: active ? t("queue.filters.active", { n: active }) : t("queue.filters") }), filters);
  filterBox.open = active > 0 || (view === "queue" && overseer() && !f.agency_id) || window.matchMedia("(min-width: 640px)").matches;
  if (view === "queue" && overseer()) {
    const list = await agencies();
    const select = agencySelect("f-agency", list, { required: false, chosen: f.agency_id });
    select.addEventListener("change", () => { f.agency_id = select.value; f.scope = ""; reload(); });
    filters.append(el("div", { class: "field wide" }, el("label", { for: "f-agency", text: t("queue.filter.agency") }), select));
  }
  if (view === "queue" && !overseer() && state.me.sub_agencies && state.me.sub_agencies.length) {
    filters.append(optionList("f-scope", t("queue.filter.scope"), [["", t("queue.scope.family")], ["agency", t("queue.scope.agency")]], f.scope, (v) => { f.scope = v; reload(); }));
  }
  if (view === "queue" || view === "escalated") {
    filters.append(optionList("f-status", t("queue.filter.status"), [["", t("queue.filter.all")], ...STATUSES.map((s) => [s, t(`status.${s}`)])], f.status, (v) => { f.status = v; reload(); }));
  }
  filters.append(
    optionList("f-category", t("queue.filter.category"), [["", t("queue.filter.all")], ...(config.categories || []).map((c) => [c.id, c.name[lang()]])], f.category, (v) => { f.category = v; reload(); }),
    optionList("f-kota", t("queue.filter.kota"), [["", t("queue.filter.all")], ...(config.kota || []).map((k) => [k.code, k.name])], f.kota, (v) => { f.kota = v; reload(); }),
    optionList("f-due", t("queue.filter.due"), [["", t("queue.filter.all")], ["breached", t("queue.due.breached")], ["soon", t("queue.due.soon")]], f.due, (v) => { f.due = v; reload(); }),
    optionList("f-priority", t("queue.filter.priority"), [["", t("queue.filter.all")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])], f.priority, (v) => { f.priority = v; reload(); }));

  if (bulkActions(view).some((a) => a !== "priority")) {
    await agencies();
    if (location.hash.split("/")[1] !== view) return; // the officer moved on while it loaded
  }
  const search = el("input", { id: "f-q", type: "search", value: f.q, maxlength: "100", placeholder: t("queue.search.hint") });
  const searchForm = el("form", { class: "search-form", role: "search", on: { submit: (event) => {
    event.preventDefault();
    f.q = search.value.trim();
    reload();
  } } },
  el("label", { for: "f-q", text: t("queue.search") }), search,
  el("button", { type: "submit", class: "button small", text: t("queue.search.submit") }));

  const list = el("ol", { class: "rows", "aria-label": title });
  const mapNode = el("div", { class: "map queue-map", id: "queue-map", hidden: !state.mapView });
  const summary = el("div");
  const footer = el("div");
  const intro = view === "escalated" ? el("p", { class: "lead", text: t("queue.intro.escalated") }) : null;
  const refresh = el("button", { type: "button", class: "button secondary small", text: t("queue.refresh"), on: { click: reload } });
  const mapToggle = el("button", { type: "button", id: "map-toggle", class: "button secondary small", "aria-pressed": String(state.mapView),
    text: state.mapView ? t("queue.list") : t("queue.map"), on: { click: () => { state.mapView = !state.mapView; reload(); } } });
  const bulk = bulkBar({
    actions: bulkActions(view),
    agencySelect: (id) => agencySelect(id, (state.agencies || []).filter((a) => bulkTarget(a)), {}),
    call,
    done: (result) => showQueue(view, result), // the list again, with what the bulk action did
  });
  keepInUrl(f);
  show(main, heading, intro, searchForm, filterBox, summary,
    el("div", { class: "toolbar" }, el("p", { class: "hint", text: t("queue.sorted") }), refresh, mapToggle,
      exportButton(() => queueParams(view), auth.idToken), shortcutHelp()),
    notice, bulk.bar, mapNode, list, footer);

  if (view === "queue" && overseer() && !f.agency_id) {
    list.replaceWith(el("p", { class: "empty", text: t("queue.choose.agency") }));
    return;
  }
  const rows = [];
  const checkbox = bulkActions(view).length ? bulk.checkbox : null;
  let drawn = null;
  const loadPage = async (cursor) => {
    const params = queueParams(view);
    params.set("limit", "50");
    if (cursor) params.set("cursor", cursor);
    show(footer, el("p", { class: "muted", text: t("loading") }));
    const page = await call(`officer/queue?${params}`);
    if (page.jump) { // the search named one case: open it (and leave the search, so "back" lists the queue)
      f.q = "";
      keepInUrl(f);
      location.hash = `#/case/${encodeURIComponent(page.jump)}`;
      return;
    }
    rows.push(...page.items);
    list.append(...page.items.map((row) => queueRow(row, checkbox)));
    if (page.counts) show(summary, serverCounts(page.counts, page.truncated));
    show(footer);
    if (!rows.length) footer.append(el("p", { class: "empty", text: f.q ? t("queue.search.none") : t("queue.empty") }));
    if (page.cursor) {
      footer.append(el("button", { type: "button", class: "button secondary", text: t("queue.more"), on: { click: () => loadPage(page.cursor).catch((e) => show(footer, errorBox(e))) } }));
    }
    if (state.mapView) {
      if (!drawn) drawn = await queueMap(mapNode, rows, (code) => { location.hash = `#/case/${encodeURIComponent(code)}`; });
      else drawn.layer.setPoints(rows.filter((r) => r.lat !== null).map((r) => ({ id: r.tracking_code, lat: r.lat, lng: r.lng, status: r.status })));
    }
  };
  await loadPage(null);
}

// What the bulk bar offers this officer (the server checks each case again).
function bulkActions(view) {
  const actions = [];
  if (has("agency_officer", "bureau_verifier")) actions.push("priority");
  if (has("bureau_verifier", "supervisor") && view === "triage") actions.push("assign");
  if (has("agency_officer") && state.me.sub_agencies && state.me.sub_agencies.length) actions.push("delegate");
  return actions;
}

function bulkTarget(agency) {
  if (has("agency_officer") && state.me.agency) return isBelow(agency.id, state.me.agency.id);
  return !["bureau", "inspectorate"].includes(agency.kind);
}

// --- the case page -----------------------------------------------------------------------

function eventText(entry) {
  const data = entry.data || {};
  if (entry.text) return entry.text;
  const milestone = data.milestone ? t(`milestone.${data.milestone}`) : "";
  const vars = { ...data, milestone, days: data.days_open, candidates: (data.candidates || []).join(", ") };
  const key = `event.${entry.type}`;
  const text = t(key, vars);
  return text === key ? t("event.other") : text;
}

function eventDetail(entry) {
  const data = entry.data || {};
  const lines = [];
  if (entry.type === "plan.submitted" && data.text) lines.push(data.text);
  if (entry.type === "case.transferred" && data.reason) lines.push(t("event.case.transferred.reason", { reason: data.reason }));
  if (entry.type === "case.reopened" && data.reason) lines.push(data.reason);
  if (entry.type === "case.rejected" && data.note) lines.push(data.note);
  if (entry.type === "case.feedback" && data.comment) lines.push(data.comment);
  return lines;
}

function actorText(data) {
  const role = data.actor_role;
  if (!role || role === "system") return t("actor.by", { who: t("actor.system") });
  if (role === "reporter") return t("actor.by", { who: t("actor.reporter") });
  const parts = [t(`role.${role}`)];
  if (data.actor_agency_id) parts.push(agencyName(data.actor_agency_id));
  return t("actor.by", { who: parts.join(", ") });
}

function historyItem(entry) {
  return el("li", { class: `event${entry.public ? "" : " internal"}` },
    el("time", { datetime: entry.at, text: formatDateTime(entry.at) }),
    el("p", {}, eventText(entry), entry.public ? null : el("span", { class: "badge internal-badge", text: t("case.internal") })),
    eventDetail(entry).map((line) => el("p", { class: "detail", text: line })),
    el("p", { class: "actor", text: actorText(entry.data || {}) }));
}

// Newest first: the entries the case view carries, then older pages on demand
// (GET officer/cases/<code>/history?cursor=...), appended below.
function historyList(view) {
  const list = el("ol", { class: "timeline" }, view.history.slice().reverse().map(historyItem));
  let shown = view.history.length;
  let cursor = view.history_cursor;
  const count = el("p", { class: "muted history-count" });
  const status = el("div", { class: "history-status" });
  const more = el("button", { type: "button", class: "button secondary history-older", text: t("case.history.older") });
  const refresh = () => {
    count.textContent = t("case.history.count", { shown, total: view.history_total });
    count.hidden = !cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    show(status);
    try {
      const page = await call(`officer/cases/${encodeURIComponent(view.tracking_code)}/history?cursor=${encodeURIComponent(cursor)}`);
      list.append(...page.items.slice().reverse().map(historyItem));
      shown += page.items.length;
      cursor = page.cursor;
      refresh();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) show(status, errorBox(error)); // 401: sign-in shown
    } finally {
      more.disabled = false;
    }
  });
  refresh();
  return [list, count, status, more];
}

function mapLink(location) {
  const lat = Number(location.lat);
  const lng = Number(location.lng);
  const url = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=18/${lat}/${lng}`;
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: t("case.map") });
}

// Mirrors the API's rule (permissions "view_contact"), only to word an empty block right.
function maySeeContact(view) {
  if (has("bureau_verifier", "supervisor")) return true;
  const holder = view.agency && view.agency.id;
  const mine = state.me.agency && state.me.agency.id;
  return has("agency_officer") && !!holder && !!mine && (holder === mine || isBelow(holder, mine));
}

function reporterBlock(view) {
  const level = view.privacy === "confidential" ? el("p", { class: "alert alert-warn", text: t("case.confidential") }) : null;
  if (view.anonymous) return el("div", {}, level, el("p", { text: t("case.anonymous") }));
  if (level) return el("div", {}, level, reporterDetails(view));
  return reporterDetails(view);
}

function reporterDetails(view) {
  const r = view.reporter;
  if (!r) return el("p", { class: "muted", text: maySeeContact(view) ? t("case.contact.none") : t("case.contact.hidden") });
  return el("dl", { class: "facts" },
    r.name ? definition(t("case.name"), r.name) : null,
    r.phone ? definition(t("case.phone"), el("a", { href: `tel:${r.phone}`, text: r.phone })) : null,
    r.email ? definition(t("case.email"), el("a", { href: `mailto:${r.email}`, text: r.email })) : null);
}

function photoFigure(photo, view) {
  const caption = photo.kind === "completion" ? t("case.photo.completion") : t("case.photo.report");
  const redact = view && view.may_redact_photos
    ? el("button", { type: "button", class: "link-button", dataset: { photo: photo.id }, text: t("redact.open"), on: { click: () => openRedactor(photo, view) } })
    : null;
  return el("figure", { class: `photo photo-${photo.kind}` },
    el("a", { href: photo.url, target: "_blank", rel: "noopener noreferrer" }, el("img", { src: photo.url, alt: caption, loading: "lazy" })),
    el("figcaption", {}, caption, photo.original_url ? [" · ", el("a", { href: photo.original_url, target: "_blank", rel: "noopener noreferrer", text: t("case.photo.original") })] : null,
      redact ? [" · ", redact] : null));
}

// The public copy of a photo, re-rendered by the server with the drawn boxes blurred.
function openRedactor(photo, view) {
  const panel = document.getElementById("redact-panel");
  const close = () => show(panel);
  show(panel, redactEditor(photo, async (regions, result) => {
    try {
      const updated = await call(`officer/cases/${encodeURIComponent(view.tracking_code)}/photos/${encodeURIComponent(photo.id)}/redaction`,
        { method: "POST", body: { regions, version: view.version } });
      renderCase(updated, el("p", { class: "alert alert-ok", role: "status", text: t("redact.done") }));
      announce(t("redact.done"));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.code === "concurrent_update") {
        await showCase(view.tracking_code, errorBox(error));
        return;
      }
      show(result, errorBox(error));
    }
  }, close));
  // Once the photo has its height, bring the whole editor on screen.
  const image = panel.querySelector(".redact-image");
  const reveal = () => panel.scrollIntoView({ block: "nearest" });
  if (image && !image.complete) image.addEventListener("load", reveal, { once: true });
  reveal();
}

function slaBlock(view) {
  const sla = view.sla;
  if (!sla) return null;
  const breached = (sla.breached || []).map((m) => el("span", { class: "badge sla-overdue", text: t(`sla.breached.${m}`) }));
  const deadline = sla.deadline || sla.next_deadline;
  const next = deadline ? Math.round((new Date(deadline) - Date.now()) / 60000) : null;
  const openStatus = !["closed", "rejected", "merged"].includes(view.status);
  return el("section", { class: "panel sec-sla", "aria-labelledby": "sla-title" },
    el("h2", { id: "sla-title", text: t("case.sla") }),
    el("div", { class: "row-meta" }, openStatus && deadline ? dueBadge(next, sla.deadline_kind) : null, ...breached,
      sla.escalated ? el("span", { class: "badge sla-overdue", text: t("sla.escalated") }) : null),
    el("dl", { class: "facts" },
      definition(t("case.coordinate_by"), formatDateTime(sla.coordinate_by)),
      definition(t("case.resolve_by"), formatDateTime(sla.resolve_by)),
      definition(t("case.escalate_at"), formatDateTime(sla.escalate_at)),
      view.expected_completion || view.predicted_completion
        ? definition(t("case.expected"), formatDateTime(view.expected_completion || view.predicted_completion)) : null,
      definition(t("case.progress"), progressBar(view.progress))));
}

function planBlock(plan) {
  if (!plan) return null;
  return el("section", { class: "panel sec-plan", "aria-labelledby": "plan-title" },
    el("h2", { id: "plan-title", text: t("case.plan") }),
    el("p", {}, el("span", { class: `badge plan-${plan.state}`, text: t(`case.plan.state.${plan.state}`) })),
    el("p", { class: "description", text: plan.text }),
    el("dl", { class: "facts" },
      plan.agency ? definition(t("case.plan.by"), plan.agency.name) : null,
      definition(t("case.plan.submitted"), formatDateTime(plan.submitted_at)),
      plan.proposed_completion ? definition(t("case.plan.proposed"), formatDateTime(plan.proposed_completion)) : null,
      plan.review_comment ? definition(t("case.plan.review"), plan.review_comment) : null));
}

async function showCase(code, notice) {
  show(main, el("p", { class: "muted", text: t("loading") }));
  let view;
  try {
    [view] = await Promise.all([call(`officer/cases/${encodeURIComponent(code)}`), agencies()]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    const text = error instanceof ApiError && error.status === 404 ? t("error.notfound") : null;
    show(main, backLink(), el("h1", { class: "code", text: code }),
      text ? el("p", { class: "alert alert-error", role: "alert", text }) : errorBox(error));
    return;
  }
  renderCase(view, notice);
}

function backLink() {
  return el("p", {}, el("a", { href: "#", class: "back", text: `← ${t("case.back")}`, on: { click: (event) => { event.preventDefault(); history.length > 1 ? history.back() : location.assign(defaultRoute()); } } }));
}

function renderCase(view, notice) {
  const areaText = view.area ? ["kelurahan", "kecamatan", "kota"].map((level) => view.area[level] && view.area[level].name).filter(Boolean).join(", ") : null;
  const location = view.location;
  const header = el("div", { class: "case-head" },
    el("h1", {}, el("span", { class: "code", text: view.tracking_code }), " ", el("span", { class: "case-category", text: view.category.name })),
    priorityBadge(view.priority),
    senderBadge(view.unverified_sender),
    statusBadge(view.status, view.status_label));
  const status = el("div", { id: "case-status" });
  if (notice) status.append(notice);
  show(main, backLink(), header, status,
    el("div", { class: "case-grid" },
      el("div", { class: "case-main" },
        el("section", { class: "panel sec-report", "aria-labelledby": "report-title" },
          el("h2", { id: "report-title", text: t("case.report") }),
          el("p", { class: "description", text: view.description }),
          el("dl", { class: "facts" },
            definition(t("case.channel"), channelName(view.channel)),
            definition(t("case.reported"), formatDateTime(view.created_at)),
            definition(t("case.agency"), view.agency ? view.agency.name : t("case.unassigned")),
            definition(t("field.priority"), t(`priority.${view.priority || "normal"}`)),
            view.collaborators.length ? definition(t("case.collaborators"), view.collaborators.map((a) => a.name).join(", ")) : null,
            definition(t("case.location"), location ? [location.address ? `${location.address} ` : "", mapLink(location)] : t("case.nolocation")),
            areaText ? definition(t("case.area"), areaText) : null,
            view.merged_into ? definition(t("status.merged"), el("a", { href: `#/case/${encodeURIComponent(view.merged_into)}`, text: view.merged_into })) : null,
            view.rejection_reason ? definition(t("case.rejected"), t(`reason.${view.rejection_reason}`)) : null,
            view.feedback ? definition(t("case.feedback"), `${view.feedback.rating}/5${view.feedback.comment ? ` · ${view.feedback.comment}` : ""}`) : null,
            definition(t("case.public"), el("a", { href: trackUrl(view.tracking_code), target: "_blank", rel: "noopener", text: t("nav.track") })))),
        view.photos.length ? el("section", { class: "panel sec-photos", "aria-labelledby": "photos-title" },
          el("h2", { id: "photos-title", text: t("case.photos") }),
          el("div", { class: "photos" }, view.photos.map((photo) => photoFigure(photo, view))),
          el("div", { id: "redact-panel" })) : null,
        planBlock(view.plan),
        el("section", { class: "panel sec-history", "aria-labelledby": "history-title" },
          el("h2", { id: "history-title", text: t("case.history") }),
          ...historyList(view))),
      el("div", { class: "case-side" },
        actionsBlock(view),
        slaBlock(view),
        el("section", { class: "panel sec-reporter", "aria-labelledby": "reporter-title" },
          el("h2", { id: "reporter-title", text: t("case.reporter") }),
          reporterBlock(view)),
        view.duplicate_candidates.length ? el("section", { class: "panel sec-dups" },
          el("h2", { text: t("case.duplicates") }),
          el("ul", {}, view.duplicate_candidates.map((c) => el("li", {}, el("a", { href: `#/case/${encodeURIComponent(c)}`, class: "code", text: c }))))) : null)));
}

// --- actions -----------------------------------------------------------------------------

function field(id, label, control, hint) {
  return el("div", { class: "field" }, el("label", { for: id, text: label }), control, hint ? el("p", { class: "hint", text: hint }) : null);
}

function textArea(id, { required = true, rows = 3, max = 2000 } = {}) {
  return el("textarea", { id, rows: String(rows), maxlength: String(max), required });
}

function actionForm(view, operation) {
  const id = (name) => `${operation}-${name}`;
  const controls = [];
  let collect = () => ({});
  const others = (state.agencies || []).filter((a) => a.id !== (view.agency && view.agency.id));
  if (operation === "assign" || operation === "transfer" || operation === "add_collaborator") {
    const exclude = operation === "add_collaborator" ? view.collaborators.map((a) => a.id) : [];
    const select = agencySelect(id("agency"), others, { exclude });
    controls.push(field(id("agency"), t("field.agency"), select));
    let reason = null;
    if (operation === "transfer") {
      reason = textArea(id("reason"), { rows: 2 });
      controls.push(field(id("reason"), t("field.reason"), reason));
    }
    collect = () => ({ agency_id: select.value, ...(reason ? { reason: reason.value.trim() } : {}) });
  } else if (operation === "delegate") {
    const holder = view.agency && view.agency.id;
    const below = (state.agencies || []).filter((a) => holder && isBelow(a.id, holder));
    const select = agencySelect(id("agency"), below);
    controls.push(field(id("agency"), t("field.subagency"), select));
    collect = () => ({ agency_id: select.value });
  } else if (operation === "submit_plan") {
    const text = textArea(id("text"), { rows: 4 });
    controls.push(field(id("text"), t("field.plan"), text));
    const category = (config.categories || []).find((c) => c.id === view.category.id);
    let date = null;
    if (category && category.estimates) {
      date = el("input", { id: id("date"), type: "date" });
      controls.push(field(id("date"), t("field.estimate"), date));
    }
    collect = () => ({ text: text.value.trim(), ...(date && date.value ? { estimated_completion: date.value } : {}) });
  } else if (operation === "verify_plan") {
    const comment = textArea(id("comment"), { required: false, rows: 2 });
    controls.push(field(id("comment"), t("field.comment.optional"), comment));
    collect = () => (comment.value.trim() ? { comment: comment.value.trim() } : {});
  } else if (operation === "return_plan") {
    const comment = textArea(id("comment"), { rows: 2 });
    controls.push(field(id("comment"), t("field.return"), comment));
    collect = () => ({ comment: comment.value.trim() });
  } else if (operation === "post_progress") {
    const percent = el("input", { id: id("percent"), type: "number", min: "0", max: "100", step: "5", required: true, value: String(Math.min(100, (view.progress || 0) + 25)), inputmode: "numeric" });
    const text = textArea(id("text"), { rows: 2 });
    controls.push(field(id("percent"), t("field.percent"), percent), templatePicker(view, id("template"), text),
      field(id("text"), t("field.progress"), text));
    collect = () => ({ percent: Number(percent.value), text: text.value.trim() });
  } else if (operation === "comment") {
    const text = textArea(id("text"), { rows: 2 });
    controls.push(templatePicker(view, id("template"), text), field(id("text"), t("field.comment"), text));
    collect = () => ({ text: text.value.trim() });
  } else if (operation === "resolve") {
    const note = textArea(id("note"), { required: false, rows: 2 });
    const photo = el("input", { id: id("photo"), type: "file", accept: PHOTO_TYPES.join(","), required: true });
    const preview = el("div", { class: "preview" });
    photo.addEventListener("change", () => {
      show(preview);
      const file = photo.files[0];
      if (file && PHOTO_TYPES.includes(file.type)) {
        const url = URL.createObjectURL(file);
        preview.append(el("img", { src: url, alt: "", on: { load: () => URL.revokeObjectURL(url) } }));
      }
    });
    controls.push(field(id("note"), t("field.note"), note), field(id("photo"), t("field.photo"), photo), preview);
    collect = async (button) => {
      const file = photo.files[0];
      const key = await uploadPhoto(file, button);
      return { note: note.value.trim(), upload_key: key };
    };
  } else if (operation === "reject") {
    const select = el("select", { id: id("reason"), required: true }, el("option", { value: "", text: t("field.choose") }),
      ["out_of_scope", "emergency", "spam"].map((r) => el("option", { value: r, text: t(`reason.${r}`) })));
    const note = textArea(id("note"), { required: false, rows: 2 });
    controls.push(field(id("reason"), t("field.rejection"), select), field(id("note"), t("field.comment.optional"), note));
    collect = () => ({ reason: select.value, ...(note.value.trim() ? { note: note.value.trim() } : {}) });
  } else if (operation === "set_privacy") {
    // Raising is open to whoever works the case; the API refuses a lowering unless the Bureau asks.
    const select = el("select", { id: id("level"), required: true }, el("option", { value: "", text: t("field.choose") }),
      PRIVACY_LEVELS.filter((level) => level !== view.privacy).map((level) => el("option", { value: level, text: t(`privacy.${level}`) })));
    const reason = textArea(id("reason"), { rows: 2 });
    controls.push(field(id("level"), t("field.privacy"), select, t("privacy.hint")), field(id("reason"), t("field.reason"), reason));
    collect = () => ({ level: select.value, reason: reason.value.trim() });
  } else if (operation === "set_priority") {
    const select = el("select", { id: id("priority"), required: true }, el("option", { value: "", text: t("field.choose") }),
      PRIORITIES.filter((p) => p !== (view.priority || "normal")).map((p) => el("option", { value: p, text: t(`priority.${p}`) })));
    const reason = textArea(id("reason"), { rows: 2 });
    controls.push(field(id("priority"), t("field.priority"), select, t("priority.hint")), field(id("reason"), t("field.reason"), reason));
    collect = () => ({ priority: select.value, reason: reason.value.trim() });
  } else if (operation === "merge") {
    const primary = el("input", { id: id("primary"), required: true, autocomplete: "off", list: id("candidates"), autocapitalize: "characters" });
    const candidates = el("datalist", { id: id("candidates") }, view.duplicate_candidates.map((c) => el("option", { value: c })));
    controls.push(field(id("primary"), t("field.primary"), primary), candidates);
    collect = () => ({ primary: primary.value.trim() });
  }
  const result = el("div", { class: "form-result" });
  const button = el("button", { type: "submit", class: `button${operation === "reject" ? " danger" : ""}`, text: t("submit") });
  const form = el("form", { class: "stack", dataset: { operation }, on: { submit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    button.textContent = t("submitting");
    show(result);
    try {
      const body = { ...(await collect(button)), version: view.version };
      const updated = await call(`officer/cases/${encodeURIComponent(view.tracking_code)}/${OPERATION_PATHS[operation]}`, { method: "POST", body });
      const done = el("p", { class: "alert alert-ok", role: "status", text: `${t(`op.${operation}`)}: ${t("case.done")}` });
      renderCase(updated, done);
      announce(`${t(`op.${operation}`)}: ${t("case.done")}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.code === "concurrent_update") {
        await showCase(view.tracking_code, errorBox(error));
        return;
      }
      show(result, error instanceof ApiError || error instanceof Error ? errorBox(error) : errorBox(String(error)));
      button.disabled = false;
      button.textContent = t("submit");
    }
  } } }, controls, result, button);
  return el("details", { class: "action", dataset: { operation } }, el("summary", { text: t(`op.${operation}`) }), form);
}

// The agency's response templates for this case (rendered by the API), fetched once per case view.
// Choosing one fills the text box in the reporter's language; the officer may still edit it.
function templatePicker(view, controlId, textBox) {
  const select = el("select", { id: controlId }, el("option", { value: "", text: t("template.none") }));
  const wrapper = field(controlId, t("field.template"), select, t("template.hint"));
  wrapper.hidden = true;
  if (!view._templates) {
    view._templates = call(`officer/cases/${encodeURIComponent(view.tracking_code)}/templates`).catch(() => ({ items: [] }));
  }
  view._templates.then((answer) => {
    const items = answer.items || [];
    if (!items.length) return;
    const language = answer.language === "en" || answer.language === "id" ? answer.language : lang();
    select.append(...items.map((item, n) => el("option", { value: String(n), text: item.title })));
    select.addEventListener("change", () => {
      if (select.value === "") return;
      textBox.value = items[Number(select.value)].text[language];
      textBox.dispatchEvent(new Event("input", { bubbles: true }));
    });
    wrapper.hidden = false;
  });
  return wrapper;
}

// The next step of the process first, then hand-overs, notes, and last what ends the case.
const ACTION_ORDER = ["assign", "submit_plan", "verify_plan", "return_plan", "post_progress", "resolve", "delegate",
  "transfer", "add_collaborator", "comment", "set_priority", "set_privacy", "merge", "reject"];

function actionsBlock(view) {
  const operations = (view.available_operations || []).slice().sort((a, b) => ACTION_ORDER.indexOf(a) - ACTION_ORDER.indexOf(b));
  return el("section", { class: "panel actions sec-actions", "aria-labelledby": "actions-title" },
    el("h2", { id: "actions-title", text: t("case.actions") }),
    operations.length ? operations.map((op) => actionForm(view, op)) : el("p", { class: "muted", text: t("case.noactions") }));
}

// The browser sends the photo straight to S3 with a presigned POST; the API gets its key.
async function uploadPhoto(file, button) {
  if (!file) throw new Error(t("photo.required"));
  if (!PHOTO_TYPES.includes(file.type)) throw new Error(t("photo.type"));
  if (file.size > MAX_PHOTO_BYTES) throw new Error(t("photo.toolarge"));
  if (button) button.textContent = t("uploading");
  const grant = await call("officer/uploads", { method: "POST", body: { content_type: file.type } });
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(grant.url, { method: "POST", body: form, credentials: "omit" });
  } catch (_) {
    throw new Error(t("photo.uploadfailed"));
  }
  if (!response.ok) throw new Error(t("photo.uploadfailed"));
  if (button) button.textContent = t("submitting");
  return grant.key;
}

// --- walk-in intake ----------------------------------------------------------------------

function newIntakeKey() {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function showIntake() {
  const desks = state.me.desk_channels || [];
  if (!desks.length) {
    show(main, el("h1", { text: t("intake.title") }), el("p", { class: "alert alert-info", text: t("intake.nodesk") }));
    return;
  }
  state.intakeKey = newIntakeKey();
  state.intakeUploads = null;
  const channel = el("select", { id: "in-channel", required: true }, desks.map((d) => el("option", { value: d.id, text: d.name })));
  const category = el("select", { id: "in-category", required: true }, el("option", { value: "", text: t("field.choose") }),
    (config.categories || []).map((c) => el("option", { value: c.id, text: c.name[lang()] })));
  const description = textArea("in-description", { rows: 5, max: 5000 });
  const address = el("input", { id: "in-address", maxlength: "500" });
  const lat = el("input", { id: "in-lat", inputmode: "decimal", pattern: "-?[0-9]+(\\.[0-9]+)?", "aria-describedby": "in-where-hint" });
  const lng = el("input", { id: "in-lng", inputmode: "decimal", pattern: "-?[0-9]+(\\.[0-9]+)?", "aria-describedby": "in-where-hint" });
  const locate = el("button", { type: "button", class: "button secondary small", text: t("intake.mylocation") });
  locate.addEventListener("click", () => {
    if (!navigator.geolocation) return announce(t("intake.nolocation"));
    locate.textContent = t("intake.locating");
    navigator.geolocation.getCurrentPosition((position) => {
      lat.value = position.coords.latitude.toFixed(6);
      lng.value = position.coords.longitude.toFixed(6);
      locate.textContent = t("intake.mylocation");
    }, () => { locate.textContent = t("intake.mylocation"); announce(t("intake.nolocation")); }, { timeout: 10000 });
  });
  const anonymous = el("input", { id: "in-anonymous", type: "checkbox" });
  const confidential = el("input", { id: "in-confidential", type: "checkbox" });
  const name = el("input", { id: "in-name", maxlength: "120", autocomplete: "off" });
  const phone = el("input", { id: "in-phone", type: "tel", autocomplete: "off" });
  const email = el("input", { id: "in-email", type: "email", autocomplete: "off" });
  const contact = el("div", { class: "contact" }, field("in-name", t("intake.name"), name), field("in-phone", t("intake.phone"), phone), field("in-email", t("intake.email"), email));
  anonymous.addEventListener("change", () => {
    for (const input of [name, phone, email]) input.disabled = anonymous.checked;
    contact.classList.toggle("disabled", anonymous.checked);
  });
  const photos = el("input", { id: "in-photos", type: "file", accept: PHOTO_TYPES.join(","), multiple: true });
  photos.addEventListener("change", () => { state.intakeUploads = null; });
  const result = el("div", { class: "form-result" });
  const button = el("button", { type: "submit", class: "button", text: t("intake.submit") });
  const form = el("form", { class: "panel stack intake", on: { submit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    button.textContent = t("submitting");
    show(result);
    try {
      const files = Array.from(photos.files);
      if (files.length > 5) throw new Error(t("intake.toomany"));
      if (!state.intakeUploads) {
        const keys = [];
        for (const file of files) keys.push(await uploadPhoto(file, button));
        state.intakeUploads = keys; // a retry of this form sends the same photos again
      }
      const body = {
        idempotency_key: state.intakeKey,
        channel: channel.value,
        category: category.value,
        description: description.value.trim(),
        anonymous: anonymous.checked,
        confidential: confidential.checked,
        upload_keys: state.intakeUploads,
      };
      if (address.value.trim() || lat.value.trim() || lng.value.trim()) {
        body.location = { address: address.value.trim() || null };
        if (lat.value.trim() || lng.value.trim()) Object.assign(body.location, { lat: Number(lat.value), lng: Number(lng.value) });
      }
      if (!anonymous.checked) body.reporter = { name: name.value.trim() || null, phone: phone.value.trim() || null, email: email.value.trim() || null };
      const receipt = await call("officer/intake", { method: "POST", body });
      showReceipt(receipt);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      show(result, errorBox(error));
      button.disabled = false;
      button.textContent = t("intake.submit");
    }
  } } },
  field("in-channel", t("intake.channel"), channel),
  field("in-category", t("intake.category"), category),
  field("in-description", t("intake.description"), description),
  el("fieldset", {}, el("legend", { text: t("intake.where") }),
    field("in-address", t("intake.address"), address),
    el("div", { class: "two" }, field("in-lat", t("intake.lat"), lat), field("in-lng", t("intake.lng"), lng)),
    el("p", { id: "in-where-hint", class: "hint", text: t("intake.where.hint") }), locate),
  el("fieldset", {}, el("legend", { text: t("intake.reporter") }),
    el("label", { class: "check", for: "in-anonymous" }, anonymous, t("intake.anonymous")),
    el("label", { class: "check", for: "in-confidential" }, confidential, t("intake.confidential")), contact),
  field("in-photos", t("intake.photos"), photos),
  result, button);
  show(main, el("h1", { text: t("intake.title") }), el("p", { class: "lead", text: t("intake.intro") }), form);
}

function showReceipt(receipt) {
  const again = el("button", { type: "button", class: "button", text: t("intake.another"), on: { click: () => showIntake() } });
  show(main, 
    el("h1", { text: t("intake.done") }),
    el("section", { class: "panel receipt", role: "status" },
      receipt.created ? null : el("p", { class: "alert alert-info", text: t("intake.repeat") }),
      el("p", { text: t("intake.code") }),
      el("p", { class: "big-code", id: "receipt-code", text: receipt.tracking_code }),
      el("p", { class: "hint", text: t("intake.code.hint") }),
      el("p", {}, el("a", { href: trackUrl(receipt.tracking_code), target: "_blank", rel: "noopener", text: t("intake.track") })),
      again));
  announce(`${t("intake.done")}: ${receipt.tracking_code}`);
  again.focus();
}

// --- notifications and dashboard -------------------------------------------------------------

async function showNotifications() {
  show(main, el("h1", { text: t("notifications.title") }), el("p", { class: "muted", text: t("loading") }));
  const page = await call("officer/notifications");
  const list = page.items.length
    ? el("ol", { class: "rows" }, page.items.map(notificationRow))
    : el("p", { class: "empty", text: t("notifications.empty") });
  show(main, el("h1", { text: t("notifications.title") }), list);
}

// A case this officer may not open (any more) comes by its public id and agency: no link.
function notificationRow(item) {
  const openable = typeof item.tracking_code === "string";
  const name = openable ? item.tracking_code : [item.tracking_code.public_id, item.tracking_code.agency].filter(Boolean).join(" · ");
  return el("li", { class: "row" },
    el(openable ? "a" : "div", openable ? { href: `#/case/${encodeURIComponent(item.tracking_code)}`, class: "row-link" } : { class: "row-link" },
      el("div", { class: "row-top" },
        el("span", { class: "row-category", text: t(`notify.${item.event_type}`) === `notify.${item.event_type}` ? item.title : t(`notify.${item.event_type}`) }),
        el("span", { class: "code", text: name })),
      el("div", { class: "row-meta" },
        el("span", { class: "muted", text: [item.category ? categoryName(item.category) : null, item.detail && item.detail.agency_name, formatDateTime(item.occurred_at)].filter(Boolean).join(" · ") }),
        item.detail && item.detail.deadline ? el("span", { class: "muted", text: `${t(`milestone.${item.detail.milestone}`)}: ${formatDateTime(item.detail.deadline)}` }) : null)));
}

function showDashboard() {
  const focus = state.me.agency && !["bureau", "inspectorate"].includes(state.me.agency.kind) ? state.me.agency.id : null;
  renderPerformance(main, { headingLevel: "h1", focusAgency: focus });
}

// --- start ------------------------------------------------------------------------------

async function start() {
  localize();
  if (!auth.current()) {
    showSignIn();
    return;
  }
  show(main, el("p", { class: "muted", text: t("loading") }));
  try {
    state.me = await call("officer/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      auth.signOut();
      showSignIn(t("noRole"));
    } else if (!(error instanceof ApiError && error.status === 401)) {
      show(main, errorBox(error), el("button", { type: "button", class: "button", text: t("retry"), on: { click: start } }));
    }
    return;
  }
  renderShell();
  await route();
}

signOutButton.addEventListener("click", () => {
  auth.signOut();
  state.agencies = null;
  state.filters = {};
  history.replaceState(null, "", location.pathname);
  showSignIn();
});
window.addEventListener("hashchange", route);
listenForShortcuts({ toggleHelp: () => {
  const help = document.getElementById("shortcut-help");
  if (help) help.open = !help.open;
} });
wireLanguageToggle(() => {
  if (state.me) {
    renderShell();
    route();
  } else {
    showSignIn();
  }
});
start();
