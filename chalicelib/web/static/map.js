// The map widget of the web pages: the vendored Leaflet 1.9.4 (static/leaflet.js, loaded on
// first use), a base layer, a draggable pin and clustered points. Reusable by any page:
//
//   const { L, map } = await createMap(node, { center, zoom });
//   const marker = pin(L, map, [lat, lng], { onMove: (latlng) => ... });
//   const layer = clusterLayer(L, map, { onSelect: (point) => ... });  layer.setPoints([{id, lat, lng, ...}]);
//
// Base layer: tiles from the stage's tile server (config.map.tile_url, MAP_TILE_URL) with its
// attribution as text; without one (make run, the tests: no internet) the kecamatan and kota
// outlines of static/area-outlines.json, drawn as vectors, so the map needs no outside request.
//
// Trusted Types: the pages enforce them, and Leaflet writes a few fixed strings of its own
// markup through HTML sinks (a feature test when it loads, the zoom buttons, a popup's close
// button). Before Leaflet loads, this module creates the page's only policy, "default" (the
// map pages' CSP allows no other name), which passes exactly those strings and refuses every
// other one: any other string written to an HTML sink still throws and is reported as a CSP
// violation. Everything with words in it (attribution, popups, cluster counts) is built with
// DOM nodes here, never as markup.

import { config, el, t } from "./common.js";

export const LEAFLET_MARKUP = Object.freeze([
  "<svg/>", // Leaflet's test for inline SVG, when it loads
  '<span aria-hidden="true">+</span>', // the zoom control's buttons
  '<span aria-hidden="true">&#x2212;</span>',
  '<span aria-hidden="true">&#215;</span>', // a popup's close button
]);

// Mainland Jakarta in view; the bounds also take in Kepulauan Seribu.
export const JAKARTA = Object.freeze({ center: [-6.2, 106.83], zoom: 11, bounds: [[-6.5, 106.3], [-5.1, 107.2]] });
const SINGLE_ZOOM = 17; // from this zoom on every report is its own point
const CELL_PX = 56; // points closer than this on screen are one cluster

let loading = null;

function trustLeafletMarkup() {
  if (!window.trustedTypes || window.trustedTypes.defaultPolicy) return;
  const allowed = new Set(LEAFLET_MARKUP);
  window.trustedTypes.createPolicy("default", {
    createHTML: (markup) => (allowed.has(markup) ? markup : null),
  });
}

export function loadLeaflet() {
  if (!loading) {
    trustLeafletMarkup();
    loading = import("./leaflet.js").then(() => window.L);
  }
  return loading;
}

export async function createMap(container, { center, zoom, label } = {}) {
  const L = await loadLeaflet();
  const map = L.map(container, {
    center: center || JAKARTA.center,
    zoom: zoom ?? JAKARTA.zoom,
    minZoom: 9,
    maxZoom: 18,
    maxBounds: JAKARTA.bounds,
    maxBoundsViscosity: 0.8,
    attributionControl: false,
    zoomControl: false,
  });
  L.control.zoom({ zoomInTitle: t("map.zoom.in"), zoomOutTitle: t("map.zoom.out") }).addTo(map);
  container.setAttribute("role", "region");
  container.setAttribute("aria-label", label || t("map.label"));
  const settings = config.map || {};
  if (settings.tile_url) {
    // Tile servers (OpenStreetMap's among them) ask for a Referer; the pages send none anywhere
    // else (Referrer-Policy: no-referrer), so tiles carry our origin only, never a page's path.
    L.tileLayer(settings.tile_url, { maxZoom: 19, referrerPolicy: "strict-origin" }).addTo(map);
    attribution(L, map, settings.attribution);
  } else {
    container.classList.add("map-offline");
    drawOutlines(L, map);
    attribution(L, map, t("map.outlines.source"));
  }
  return { L, map };
}

function attribution(L, map, text) {
  if (!text) return;
  const Attribution = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: () => el("div", { class: "leaflet-control-attribution leaflet-control", text }),
  });
  new Attribution().addTo(map);
}

let outlines = null;

async function drawOutlines(L, map) {
  if (!outlines) {
    outlines = fetch(new URL("./area-outlines.json", import.meta.url))
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null);
  }
  const data = await outlines;
  if (!data) return;
  if (!map.getPane("base")) map.createPane("base").style.zIndex = "250"; // above tiles, below points
  L.geoJSON(data, {
    pane: "base",
    interactive: false,
    style: (feature) => (feature.properties.level === "kota"
      ? { color: "#0b3d91", weight: 2, opacity: 0.8, fill: false }
      : { color: "#8793ab", weight: 1, opacity: 0.9, fillColor: "#ffffff", fillOpacity: 0.7 }),
  }).addTo(map);
}

// A draggable pin: where the problem is. onMove(latlng) after each drag.
export function pin(L, map, latlng, { onMove, label } = {}) {
  const icon = L.divIcon({
    className: "map-pin",
    html: el("span", { class: "map-pin-head" }),
    iconSize: [30, 40],
    iconAnchor: [15, 40],
  });
  const marker = L.marker(latlng, { icon, draggable: true, autoPan: true, keyboard: true, title: label || t("map.pin") });
  if (onMove) marker.on("dragend", () => onMove(marker.getLatLng()));
  return marker.addTo(map);
}

// The colour group of a status: open (orange), resolved or closed (green), the rest (grey).
export function statusGroup(status) {
  if (["received", "assigned", "plan_submitted", "in_progress"].includes(status)) return "open";
  if (["resolved", "closed"].includes(status)) return "done";
  return "other";
}

const GROUP_COLOURS = { open: "#d35400", done: "#1e6b34", other: "#6b7280" };

export function pointStyle(status) {
  return { radius: 8, color: "#ffffff", weight: 2, fillColor: GROUP_COLOURS[statusGroup(status)], fillOpacity: 0.95 };
}

// Points grouped by screen cell at each zoom (counted bubbles that zoom in on click), single
// points from SINGLE_ZOOM on or when alone in their cell. onSelect(point, latlng) on a point.
export function clusterLayer(L, map, { onSelect } = {}) {
  const group = L.layerGroup().addTo(map);
  let points = [];

  function single(point) {
    const marker = L.circleMarker([point.lat, point.lng], { ...pointStyle(point.status), className: "map-point" });
    if (onSelect) marker.on("click", () => onSelect(point, marker.getLatLng()));
    group.addLayer(marker);
    const node = marker.getElement();
    if (node) node.dataset.id = point.id;
  }

  function cluster(members) {
    const lat = members.reduce((sum, p) => sum + p.lat, 0) / members.length;
    const lng = members.reduce((sum, p) => sum + p.lng, 0) / members.length;
    const size = members.length < 10 ? 34 : members.length < 100 ? 42 : 52;
    const icon = L.divIcon({
      className: "map-cluster",
      html: el("span", { text: String(members.length) }),
      iconSize: [size, size],
    });
    const marker = L.marker([lat, lng], { icon, keyboard: true, title: t("map.cluster", { n: members.length }) });
    marker.on("click", () => {
      const bounds = L.latLngBounds(members.map((p) => [p.lat, p.lng]));
      map.fitBounds(bounds.pad(0.2), { maxZoom: SINGLE_ZOOM });
    });
    group.addLayer(marker);
  }

  function draw() {
    group.clearLayers();
    const zoom = map.getZoom();
    const view = map.getBounds().pad(0.25);
    const cells = new Map();
    for (const point of points) {
      if (!view.contains([point.lat, point.lng])) continue;
      let key = point.id;
      if (zoom < SINGLE_ZOOM) {
        const at = map.project([point.lat, point.lng], zoom);
        key = `${Math.floor(at.x / CELL_PX)}:${Math.floor(at.y / CELL_PX)}`;
      }
      const members = cells.get(key);
      if (members) members.push(point);
      else cells.set(key, [point]);
    }
    for (const members of cells.values()) {
      if (members.length === 1) single(members[0]);
      else cluster(members);
    }
  }

  map.on("moveend", draw);
  return {
    layer: group,
    setPoints(list) {
      points = list;
      draw();
    },
  };
}
