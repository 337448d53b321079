// /track: a reporter follows their report with the tracking code (no sign-in).
// Same data as GET status/{code}: nothing private is ever in it.

import {
  ApiError, announce, api, categoryName, definition, el, errorBox, formatDateTime, localize, progressBar,
  show, statusBadge, t, wireLanguageToggle,
} from "./common.js";

const main = document.getElementById("main");
const REFRESH_MS = 60000;
let currentCode = new URLSearchParams(location.search).get("code") || "";
let timer = null;

function form() {
  const input = el("input", {
    id: "code", name: "code", required: true, autocomplete: "off", autocapitalize: "characters", spellcheck: "false",
    inputmode: "text", maxlength: "40", value: currentCode, "aria-describedby": "code-hint",
  });
  return el("form", { class: "panel track-form", on: { submit: (event) => { event.preventDefault(); lookUp(input.value.trim()); } } },
    el("label", { for: "code", text: t("track.code") }),
    el("p", { id: "code-hint", class: "hint", text: t("track.intro") }),
    el("div", { class: "inline" }, input, el("button", { type: "submit", class: "button", text: t("track.submit") })));
}

function photoFigure(photo) {
  const caption = photo.kind === "completion" ? t("case.photo.completion") : t("case.photo.report");
  return el("figure", { class: `photo photo-${photo.kind}` },
    el("a", { href: photo.url, target: "_blank", rel: "noopener" },
      el("img", { src: photo.url, alt: caption, loading: "lazy", width: photo.width, height: photo.height })),
    el("figcaption", { text: caption }));
}

function feedbackForms(view) {
  const wrap = el("section", { class: "panel", "aria-labelledby": "confirm-title" },
    el("h2", { id: "confirm-title", text: t("track.confirm") }),
    el("p", { text: t("track.confirm.intro") }));
  const result = el("div");
  const stars = el("fieldset", { class: "rating" }, el("legend", { text: t("track.rating") }),
    [1, 2, 3, 4, 5].map((n) => el("label", { class: "rating-option" },
      el("input", { type: "radio", name: "rating", value: String(n), required: true, checked: n === 5 }),
      el("span", { text: t("track.rating.n", { n }) }))));
  const comment = el("textarea", { id: "feedback-comment", rows: "2", maxlength: "1000" });
  const feedback = el("form", { class: "stack", on: { submit: async (event) => {
    event.preventDefault();
    const rating = Number(new FormData(feedback).get("rating"));
    await act(feedback, result, `status/${encodeURIComponent(view.tracking_code)}/feedback`,
      { rating, comment: comment.value.trim() || null }, t("track.thanks"));
  } } }, stars, el("label", { for: "feedback-comment", text: t("track.comment") }), comment,
  el("button", { type: "submit", class: "button", text: t("track.feedback.submit") }));

  const reason = el("textarea", { id: "reopen-reason", rows: "2", maxlength: "1000", required: true });
  const reopen = el("form", { class: "stack reopen", on: { submit: async (event) => {
    event.preventDefault();
    await act(reopen, result, `status/${encodeURIComponent(view.tracking_code)}/reopen`, { reason: reason.value.trim() }, t("track.reopened"));
  } } }, el("label", { for: "reopen-reason", text: t("track.reopen.reason") }), reason,
  el("button", { type: "submit", class: "button secondary", text: t("track.reopen.submit") }));
  wrap.append(result, el("div", { class: "two-col" }, feedback, reopen));
  return wrap;
}

async function act(formNode, result, path, body, done) {
  const button = formNode.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const view = await api(path, { method: "POST", body });
    render(view);
    announce(done);
    const note = el("p", { class: "alert alert-ok", role: "status", text: done });
    document.getElementById("result").prepend(note);
  } catch (error) {
    show(result, errorBox(error));
    button.disabled = false;
  }
}

function render(view) {
  const result = document.getElementById("result");
  const expected = view.expected_completion
    ? [formatDateTime(view.expected_completion), view.expected_completion_basis ? ` (${t(`track.basis.${view.expected_completion_basis}`)})` : ""]
    : [t("none")];
  const resolved = view.timeline.filter((entry) => entry.type === "case.resolved").pop();
  const done = resolved && ["resolved", "closed"].includes(view.status);
  const areaText = view.area ? [view.area.kelurahan, view.area.kecamatan, view.area.kota].filter(Boolean).join(", ") : null;
  const photos = view.photos || [];
  show(result, 
    el("section", { class: "panel status-card", "aria-labelledby": "status-title" },
      el("div", { class: "status-head" },
        el("h2", { id: "status-title", class: "code", text: view.tracking_code }),
        statusBadge(view.status, view.status_label)),
      view.merged_into ? el("p", { class: "alert alert-info" }, t("track.merged", { code: view.merged_into }), " ",
        el("a", { href: `track?code=${encodeURIComponent(view.merged_into)}`, text: `→ ${view.merged_into}` })) : null,
      el("dl", { class: "facts" },
        definition(t("track.category"), categoryName(view.category)),
        definition(t("track.agency"), view.agency ? view.agency.name : t("track.pending")),
        definition(t("track.received"), formatDateTime(view.created_at)),
        definition(t("track.updated"), formatDateTime(view.updated_at)),
        done ? definition(t("track.resolved"), formatDateTime(resolved.at)) : definition(t("track.expected"), ...expected),
        definition(t("case.progress"), progressBar(view.progress)))),
    view.can_confirm_or_reopen ? feedbackForms(view) : null,
    photos.length ? el("section", { class: "panel", "aria-labelledby": "photos-title" },
      el("h2", { id: "photos-title", text: t("track.photos") }),
      el("div", { class: "photos photos-large" }, photos.map(photoFigure))) : null,
    el("section", { class: "panel", "aria-labelledby": "timeline-title" },
      el("h2", { id: "timeline-title", text: t("track.timeline") }),
      el("ol", { class: "timeline" }, view.timeline.slice().reverse().map((entry) => el("li", { class: `event event-${entry.type.replace(/\./g, "-")}` },
        el("time", { datetime: entry.at, text: formatDateTime(entry.at) }),
        el("p", { text: entry.text }))))),
    el("section", { class: "panel", "aria-labelledby": "report-title" },
      el("h2", { id: "report-title", text: t("track.report") }),
      el("p", { class: "description", text: view.description }),
      view.location && view.location.address ? el("p", { class: "muted", text: view.location.address }) : null,
      areaText ? el("p", { class: "muted", text: areaText }) : null,
      el("p", { class: "hint", text: t("track.privacy") })),
    el("p", { class: "hint", text: t("track.auto") }));
}

async function lookUp(code, quiet) {
  const result = document.getElementById("result");
  if (!code) return;
  if (!quiet) show(result, el("p", { class: "muted", text: t("loading") }));
  try {
    const view = await api(`status/${encodeURIComponent(code)}`);
    currentCode = view.tracking_code;
    if (new URLSearchParams(location.search).get("code") !== currentCode) {
      history.replaceState(null, "", `track?code=${encodeURIComponent(currentCode)}`);
    }
    render(view);
    if (!quiet) announce(view.status_label);
  } catch (error) {
    if (quiet) return;
    show(result, error instanceof ApiError && error.status === 404
      ? el("p", { class: "alert alert-error", role: "alert", text: t("track.notfound") })
      : errorBox(error));
  }
  clearInterval(timer);
  timer = setInterval(() => { if (!document.hidden && currentCode) lookUp(currentCode, true); }, REFRESH_MS);
}

function draw() {
  localize();
  show(main, el("h1", { text: t("track.title") }), form(), el("div", { id: "result" }));
  if (currentCode) lookUp(currentCode);
}

wireLanguageToggle(draw);
draw();
