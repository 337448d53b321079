// A very small SVG charting module (no dependencies, ~4 KB): horizontal bars with an
// optional target line, and grouped daily columns. Charts are drawn at the pixel
// width of their container (text stays readable on a 360 px phone) and redrawn
// when it changes size. Only SVG DOM calls: nothing is parsed from strings, no
// inline styles (the page's CSP allows neither); colours come from style.css.

const SVG = "http://www.w3.org/2000/svg";
let chartCount = 0;

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function fit(text, maxChars) {
  return text.length > maxChars ? `${text.slice(0, Math.max(1, maxChars - 1))}…` : text;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function mount(container, title, draw) {
  const id = `chart-${++chartCount}`;
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.id = id;
  caption.textContent = title;
  figure.append(caption);
  const holder = document.createElement("div");
  holder.className = "chart-canvas";
  figure.append(holder);
  container.append(figure);
  let lastWidth = 0;
  const render = () => {
    const width = Math.max(260, Math.floor(holder.clientWidth || container.clientWidth || 320));
    if (width === lastWidth) return;
    lastWidth = width;
    const chart = draw(width);
    chart.setAttribute("role", "img");
    chart.setAttribute("aria-labelledby", id);
    holder.replaceChildren(chart);
  };
  render();
  if (typeof ResizeObserver === "function") new ResizeObserver(render).observe(holder);
  return figure;
}

// items: [{label, value (number or null), display (text shown), warn (bool)}]
// options: {title, target, targetLabel, max, emptyText}
export function barChart(container, items, options) {
  if (!items.some((item) => typeof item.value === "number")) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    caption.textContent = options.title;
    const note = document.createElement("p");
    note.className = "chart-empty";
    note.textContent = options.emptyText || "–";
    figure.append(caption, note);
    container.append(figure);
    return figure;
  }
  return mount(container, options.title, (width) => {
    const row = 40;
    const top = options.target ? 22 : 6;
    const height = top + Math.max(1, items.length) * row + 4;
    const valueRoom = 78;
    const plot = width - valueRoom;
    const values = items.map((item) => item.value).filter((v) => typeof v === "number");
    const max = options.max || niceMax(Math.max(...values, options.target || 0) * 1.05);
    const scale = (v) => Math.max(0, Math.min(plot, (v / max) * plot));
    const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart-svg" });
    const chars = Math.floor(width / 7.2);
    items.forEach((item, index) => {
      const y = top + index * row;
      const label = svg("text", { x: 0, y: y + 13, class: "chart-label" }, fit(item.label, chars));
      label.append(svg("title", {}, item.label));
      chart.append(label);
      chart.append(svg("rect", { x: 0, y: y + 18, width: plot, height: 14, rx: 2, class: "chart-track" }));
      if (typeof item.value === "number") {
        const w = Math.max(item.value > 0 ? 2 : 0, scale(item.value));
        chart.append(svg("rect", { x: 0, y: y + 18, width: w, height: 14, rx: 2, class: item.warn ? "chart-bar warn" : "chart-bar" }));
      }
      chart.append(svg("text", { x: plot + 6, y: y + 30, class: "chart-value" }, item.display));
    });
    if (options.target) {
      const x = scale(options.target);
      chart.append(svg("line", { x1: x, x2: x, y1: 14, y2: height - 2, class: "chart-target" }));
      const anchor = x > plot - 60 ? "end" : "start";
      chart.append(svg("text", { x: anchor === "end" ? x - 3 : x + 3, y: 11, class: "chart-target-label", "text-anchor": anchor }, options.targetLabel || ""));
    }
    return chart;
  });
}

// days: ["2026-11-01", ...]; series: [{name, className, values: [n, ...]}]; options: {title, dayLabel(day)}
export function columnChart(container, days, series, options) {
  const figure = mount(container, options.title, (width) => {
    const height = 190;
    const left = 30;
    const bottom = 22;
    const plotW = width - left - 4;
    const plotH = height - bottom - 8;
    const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)));
    const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart-svg" });
    const ticks = max <= 4 ? max : 4;
    for (let i = 0; i <= ticks; i++) {
      const value = (max / ticks) * i;
      const y = 8 + plotH - (value / max) * plotH;
      chart.append(svg("line", { x1: left, x2: width - 4, y1: y, y2: y, class: "chart-grid" }));
      chart.append(svg("text", { x: left - 4, y: y + 4, class: "chart-axis", "text-anchor": "end" }, String(Math.round(value * 10) / 10)));
    }
    const slot = plotW / Math.max(1, days.length);
    const barW = Math.max(1, Math.min(18, (slot - 2) / series.length));
    const every = Math.max(1, Math.ceil(days.length / Math.floor(plotW / 46)));
    days.forEach((day, index) => {
      const x0 = left + index * slot + (slot - barW * series.length) / 2;
      series.forEach((s, k) => {
        const value = s.values[index] || 0;
        const h = (value / max) * plotH;
        const bar = svg("rect", { x: x0 + k * barW, y: 8 + plotH - h, width: Math.max(1, barW - 1), height: h, class: `chart-col ${s.className}` });
        bar.append(svg("title", {}, `${options.dayLabel(day)}: ${s.name} ${value}`));
        chart.append(bar);
      });
      if (index % every === 0) {
        chart.append(svg("text", { x: left + index * slot + slot / 2, y: height - 6, class: "chart-axis", "text-anchor": "middle" }, options.dayLabel(day)));
      }
    });
    return chart;
  });
  const legend = document.createElement("p");
  legend.className = "chart-legend";
  for (const s of series) {
    const key = document.createElement("span");
    key.className = `legend-key ${s.className}`;
    const item = document.createElement("span");
    item.className = "legend-item";
    item.append(key, document.createTextNode(s.name));
    legend.append(item);
  }
  figure.append(legend);
  return figure;
}
