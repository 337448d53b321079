// /reports/{public id}: one report's public page. The same view as GET status/{public id},
// the public allow-list: status, timeline, public photos, area. Never the reporter, never the
// tracking code (the page is named by the public id; only the code's holder may confirm or
// reopen, on /track). The server answered 404 already for unknown and confidential ids.

import {
  ApiError, api, categoryName, config, definition, el, errorBox, formatDateTime, localize, progressBar, show,
  statusBadge, t, wireLanguageToggle,
} from "./common.js";
import { createMap, pointStyle } from "./map.js";

const main = document.getElementById("main");
const id = config.report_id;
const REFRESH_MS = 60000;
let timer = null;
let shown = null; // the map, once drawn: {L, map, at}

function photoFigure(photo) {
  const caption = photo.kind === "completion" ? t("case.photo.completion") : t("case.photo.report");
  return el("figure", { class: `photo photo-${photo.kind}` },
    el("a", { href: photo.url, target: "_blank", rel: "noopener" },
      el("img", { src: photo.url, alt: caption, loading: "lazy", width: photo.width, height: photo.height })),
    el("figcaption", { text: caption }));
}

async function drawMap(node, location) {
  if (!location) return;
  if (!shown) {
    const { L, map } = await createMap(node, { center: [location.lat, location.lng], zoom: 16, label: t("view.where") });
    L.circleMarker([location.lat, location.lng], { ...pointStyle("received"), className: "map-point" }).addTo(map);
    shown = { L, map };
  } else {
    node.replaceWith(shown.map.getContainer());
    shown.map.invalidateSize();
  }
}

function render(view) {
  const areaText = view.area ? [view.area.kelurahan, view.area.kecamatan, view.area.kota].filter(Boolean).join(", ") : null;
  const photos = view.photos || [];
  const mapNode = view.location ? el("div", { id: "report-view-map", class: "map map-small" }) : null;
  show(main,
    el("p", {}, el("a", { class: "back", href: "../map", text: `← ${t("view.to_map")}` })),
    el("section", { class: "panel status-card", "aria-labelledby": "report-title" },
      el("div", { class: "status-head" },
        el("h1", { id: "report-title", text: categoryName(view.category) }),
        statusBadge(view.status, view.status_label)),
      el("dl", { class: "facts" },
        definition(t("view.id"), el("span", { class: "code", text: view.tracking_code })),
        definition(t("track.received"), formatDateTime(view.created_at)),
        definition(t("track.updated"), formatDateTime(view.updated_at)),
        definition(t("track.agency"), view.agency ? view.agency.name : t("track.pending")),
        areaText ? definition(t("view.area"), areaText) : null,
        view.expected_completion ? definition(t("track.expected"), formatDateTime(view.expected_completion)) : null,
        definition(t("case.progress"), progressBar(view.progress)))),
    el("section", { class: "panel", "aria-labelledby": "what-title" },
      el("h2", { id: "what-title", text: t("track.report") }),
      el("p", { class: "description", text: view.description }),
      view.location && view.location.address ? el("p", { class: "muted", text: view.location.address }) : null,
      mapNode),
    photos.length ? el("section", { class: "panel", "aria-labelledby": "photos-title" },
      el("h2", { id: "photos-title", text: t("track.photos") }),
      el("div", { class: "photos photos-large" }, photos.map(photoFigure))) : null,
    el("section", { class: "panel", "aria-labelledby": "timeline-title" },
      el("h2", { id: "timeline-title", text: t("track.timeline") }),
      el("ol", { class: "timeline" }, view.timeline.slice().reverse().map((entry) => el("li", {},
        el("time", { datetime: entry.at, text: formatDateTime(entry.at) }),
        el("p", { text: entry.text }))))),
    el("p", { class: "hint", text: t("track.privacy") }),
    el("p", { class: "hint" }, t("view.follow"), " ", el("a", { href: "../track", text: t("nav.track") })));
  if (mapNode) drawMap(mapNode, view.location);
}

async function load(quiet) {
  try {
    render(await api(`../status/${encodeURIComponent(id)}`));
  } catch (error) {
    if (quiet) return;
    show(main, error instanceof ApiError && error.status === 404
      ? el("p", { class: "alert alert-error", role: "alert", text: t("view.notfound") })
      : errorBox(error));
  }
}

function draw() {
  localize();
  if (!id) return; // the server wrote why there is nothing to show
  load();
  clearInterval(timer);
  timer = setInterval(() => { if (!document.hidden) load(true); }, REFRESH_MS);
}

wireLanguageToggle(draw);
draw();
