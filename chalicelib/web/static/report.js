// /report: the server renders a complete form (it works without JavaScript: the place is typed
// as latitude and longitude). This adds a map to its location fieldset: tap or drag a pin, or
// use the device's location; the kelurahan under the pin is named (GET areas/lookup), and the
// open reports of the same category near it are offered before sending (GET map/nearby):
// "already reported? follow it". The map only fills in the form's own lat/lng fields.

import { api, el, formatDateTime, setLang, show, statusBadge, t } from "./common.js";
import { createMap, pin } from "./map.js";

// The server chose the form's language (?lang=en); the other pages follow the reader's choice.
setLang(document.documentElement.lang);
const toggle = document.getElementById("lang-toggle");
if (toggle) toggle.addEventListener("click", () => setLang(toggle.getAttribute("hreflang")));

const panel = document.getElementById("map-panel");
const latInput = document.getElementById("lat");
const lngInput = document.getElementById("lng");
const category = document.getElementById("category");
const nearbyBox = document.getElementById("nearby");
const LOOKUP_DELAY_MS = 250;

let map = null;
let L = null;
let marker = null;
let point = null; // {lat, lng} the form will send
let area = null; // the last lookup's answer
let pending = 0;
let timer = null;

const areaLine = el("p", { id: "area-name", class: "area-name", "aria-live": "polite" });
const locateButton = el("button", { type: "button", id: "locate", class: "button secondary small", text: t("report.locate") });
const locateStatus = el("span", { class: "hint", role: "status" });

function parseCoordinate(text, limit) {
  const value = Number(String(text).trim().replace(",", "."));
  return String(text).trim() !== "" && Number.isFinite(value) && Math.abs(value) <= limit ? value : null;
}

function rounded(value) {
  return Math.round(value * 1e6) / 1e6;
}

function place(lat, lng, { fill = true, pan = false } = {}) {
  point = { lat: rounded(lat), lng: rounded(lng) };
  if (fill) {
    latInput.value = String(point.lat);
    lngInput.value = String(point.lng);
  }
  if (map) {
    if (marker) marker.setLatLng([point.lat, point.lng]);
    else marker = pin(L, map, [point.lat, point.lng], { onMove: (latlng) => place(latlng.lat, latlng.lng) });
    if (pan) map.setView([point.lat, point.lng], Math.max(map.getZoom(), 16));
  }
  clearTimeout(timer);
  timer = setTimeout(lookUp, LOOKUP_DELAY_MS);
}

async function lookUp() {
  if (!point) return;
  const asked = ++pending;
  const { lat, lng } = point;
  try {
    const found = await api(`areas/lookup?lat=${lat}&lng=${lng}`);
    if (asked !== pending) return;
    area = found;
    if (found.inside) {
      show(areaLine, t("report.area", {
        kelurahan: found.kelurahan.name, kecamatan: found.kecamatan.name, kota: found.kota.name,
      }));
      areaLine.className = "area-name";
    } else {
      show(areaLine, t("report.area.outside"));
      areaLine.className = "area-name alert alert-warn";
    }
  } catch (_) {
    if (asked === pending) show(areaLine);
    return;
  }
  await offerNearby(asked);
}

async function offerNearby(asked) {
  if (!point || !category.value || !area || !area.inside) {
    nearbyBox.hidden = true;
    return;
  }
  let found;
  try {
    const query = `lat=${point.lat}&lng=${point.lng}&category=${encodeURIComponent(category.value)}`;
    found = await api(`map/nearby?${query}`);
  } catch (_) {
    return; // an offer, not a step: the form works without it
  }
  if (asked !== pending) return;
  if (!found.reports.length) {
    nearbyBox.hidden = true;
    show(nearbyBox);
    return;
  }
  show(nearbyBox,
    el("h2", { text: t("report.nearby.title") }),
    el("p", { text: t("report.nearby.intro") }),
    el("ul", { class: "rows" }, found.reports.map((report) => el("li", { class: "row" },
      el("a", { class: "row-link", href: `reports/${encodeURIComponent(report.id)}` },
        el("span", { class: "row-top" },
          el("span", { class: "row-category", text: report.category.name }),
          statusBadge(report.status, report.status_label)),
        el("span", { class: "row-summary", text: report.summary }),
        el("span", { class: "row-meta" },
          el("span", { text: formatDateTime(report.created_at) }),
          el("span", { text: t("report.nearby.distance", { m: report.distance_m }) }),
          el("span", { class: "follow", text: `${t("report.nearby.follow")} →` })))))),
    alertForm());
  nearbyBox.hidden = false;
}

// Following a kelurahan by area alert (a daily digest by e-mail; POST alerts/subscriptions).
function alertForm() {
  if (!area || !area.kelurahan) return null;
  const result = el("p", { role: "status" });
  const email = el("input", { id: "alert-email", type: "email", autocomplete: "email", required: true });
  const form = el("form", { class: "alert-follow", on: { submit: async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await api("alerts/subscriptions", { method: "POST", body: {
        channel: "email", address: email.value.trim(), kelurahan: area.kelurahan.code, language: document.documentElement.lang,
      } });
      show(result, t("report.nearby.subscribed"));
      result.className = "alert alert-ok";
    } catch (error) {
      show(result, error.message);
      result.className = "alert alert-error";
      button.disabled = false;
    }
  } } },
  el("label", { for: "alert-email", text: t("report.nearby.alert", { kelurahan: area.kelurahan.name }) }),
  el("div", { class: "inline" }, email, el("button", { type: "submit", class: "button secondary", text: t("report.nearby.subscribe") })),
  result);
  return form;
}

function locate() {
  if (!navigator.geolocation) {
    show(locateStatus, t("report.locate.failed"));
    return;
  }
  show(locateStatus, t("report.locating"));
  navigator.geolocation.getCurrentPosition(
    (position) => {
      show(locateStatus);
      place(position.coords.latitude, position.coords.longitude, { pan: true });
    },
    () => show(locateStatus, t("report.locate.failed")),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

function typed() {
  const lat = parseCoordinate(latInput.value, 90);
  const lng = parseCoordinate(lngInput.value, 180);
  if (lat !== null && lng !== null) place(lat, lng, { fill: false, pan: true });
}

async function start() {
  const node = el("div", { id: "report-map", class: "map map-picker" });
  show(panel,
    el("p", { class: "hint", id: "map-hint", text: t("report.map.hint") }),
    node,
    el("div", { class: "map-tools" }, locateButton, locateStatus),
    areaLine);
  panel.hidden = false;
  ({ L, map } = await createMap(node, { label: t("report.map.hint") }));
  map.on("click", (event) => place(event.latlng.lat, event.latlng.lng));
  locateButton.addEventListener("click", locate);
  latInput.addEventListener("change", typed);
  lngInput.addEventListener("change", typed);
  category.addEventListener("change", () => offerNearby(pending));
  typed(); // the form came back with coordinates (a problem with another field): show them
}

if (panel) start(); // not on the receipt page, which shares the layout
