// Photo redaction: the officer drags rectangles over faces or number plates; the
// server re-renders the photo's public copy from the private original with those
// rectangles blurred (POST officer/cases/<code>/photos/<id>/redaction).
//
// Rectangles are sent in the pixels of the public copy (the image's natural size),
// whatever size the photo is shown at. Boxes are positioned through the CSSOM
// (element.style), which the page's Content-Security-Policy allows.

import { el, t } from "./common.js";

const MIN_SIDE = 4;

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

export function redactEditor(photo, save, cancel) {
  const image = el("img", { src: photo.url, alt: t("redact.image"), class: "redact-image", draggable: "false" });
  const layer = el("div", { class: "redact-layer", "aria-hidden": "true" });
  const stage = el("div", { class: "redact-stage" }, image, layer);
  const regions = [];
  const count = el("p", { class: "muted redact-count", role: "status", text: t("redact.count", { n: 0 }) });
  const saveButton = el("button", { type: "button", class: "button", text: t("redact.save"), disabled: true });
  const clearButton = el("button", { type: "button", class: "button secondary", text: t("redact.clear") });
  const cancelButton = el("button", { type: "button", class: "button secondary", text: t("redact.cancel") });
  const result = el("div", { class: "form-result" });
  let start = null;
  let box = null;

  const point = (event) => {
    const bounds = layer.getBoundingClientRect();
    return { x: clamp(event.clientX - bounds.left, 0, bounds.width), y: clamp(event.clientY - bounds.top, 0, bounds.height) };
  };
  const place = (node, a, b) => {
    node.style.left = `${Math.min(a.x, b.x)}px`;
    node.style.top = `${Math.min(a.y, b.y)}px`;
    node.style.width = `${Math.abs(a.x - b.x)}px`;
    node.style.height = `${Math.abs(a.y - b.y)}px`;
  };
  const refresh = () => {
    count.textContent = t("redact.count", { n: regions.length });
    saveButton.disabled = regions.length === 0;
  };

  layer.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    layer.setPointerCapture(event.pointerId);
    start = point(event);
    box = el("div", { class: "redact-box" });
    layer.append(box);
    place(box, start, start);
  });
  layer.addEventListener("pointermove", (event) => {
    if (start) place(box, start, point(event));
  });
  layer.addEventListener("pointerup", (event) => {
    if (!start) return;
    const end = point(event);
    const full = { width: image.naturalWidth, height: image.naturalHeight };
    const scale = full.width / layer.getBoundingClientRect().width;
    const x = clamp(Math.floor(Math.min(start.x, end.x) * scale), 0, full.width);
    const y = clamp(Math.floor(Math.min(start.y, end.y) * scale), 0, full.height);
    const width = Math.min(Math.ceil(Math.abs(end.x - start.x) * scale), full.width - x);
    const height = Math.min(Math.ceil(Math.abs(end.y - start.y) * scale), full.height - y);
    if (width >= MIN_SIDE && height >= MIN_SIDE) regions.push({ x, y, width, height });
    else box.remove();
    start = null;
    box = null;
    refresh();
  });
  clearButton.addEventListener("click", () => {
    regions.length = 0;
    layer.replaceChildren();
    refresh();
  });
  cancelButton.addEventListener("click", cancel);
  saveButton.addEventListener("click", async () => {
    saveButton.disabled = true;
    saveButton.textContent = t("submitting");
    try {
      await save(regions.slice(), result);
    } finally {
      saveButton.textContent = t("redact.save");
      saveButton.disabled = regions.length === 0;
    }
  });

  return el("section", { class: "panel redact-editor", "aria-labelledby": "redact-title" },
    el("h2", { id: "redact-title", text: t("redact.title") }),
    el("p", { class: "muted", text: t("redact.help") }),
    stage, count, result,
    el("div", { class: "row-actions" }, saveButton, clearButton, cancelButton));
}
