// The live swarm page: polls /status.json?history=1 and draws the node table, the per-image
// summary and the HowTo's two plots (per-node download rate, aggregated bandwidth) as SVG.
// Node-supplied text is only ever set with textContent.
"use strict";

const REFRESH_MS = 3000;
const BUCKET_S = 10;  // the monitor protocol's report interval
const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = ["#3a6fd8", "#e07b39", "#3f8f46", "#b0388a", "#8a6d1f", "#1f8a8a", "#b00020",
                "#5d4fb3", "#6b7b1f", "#c2185b"];

// Above this many nodes the per-node plot shows percentiles instead of one line per node.
const MAX_NODE_LINES = 40;
// A gap between two reports longer than this is silence (a stuck node), not steady downloading.
const GAP_S = 2.5 * BUCKET_S;
// The default order: what needs the operator first.
const ATTENTION = ["failed", "stuck", "unverified", "installing", "not seen", "done"];

let latest = null;
let sortKey = "attention";
let sortDir = 1;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function rate(kbs) {
  if (kbs === null || kbs === undefined) return "";
  return kbs >= 1024 ? (kbs / 1024).toFixed(1) + " MB/s" : kbs + " KB/s";
}

function duration(s) {
  if (s === null || s === undefined) return "";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${m}:${ss}`;
}

function proofText(n) {
  // BT_MONITOR_KEY: a report without a good HMAC proves nothing (server/report_auth.hpp).
  const unauth = n.auth === "none" || n.auth === "bad" ? "unauthenticated report: " : "";
  return unauth + reportedProof(n);
}

// The proof or the error; under a failed node's error, its console (MONITOR_CONSOLE=y): the
// last lines of its own log, one per line, folded.
function detailCell(n) {
  const td = el("td", { class: "detail" }, proofText(n));
  if (n.state === "failed" && n.console) {
    const more = el("details", { class: "console" });
    more.append(el("summary", {}, "console"), el("pre", {}, n.console.split(" | ").join("\n")));
    td.append(more);
  }
  return td;
}

function reportedProof(n) {
  if (n.state === "failed") return n.error || "error " + (n.status === null ? "" : -n.status);
  const p = n.proof;
  if (!p) return n.state === "unverified" ? "reported done without proof" : "";
  const parts = [];
  if (p.pieces_total !== null) parts.push(`${p.pieces_verified}/${p.pieces_total} pieces verified`);
  if (p.archive_end) parts.push("archive read to its end");
  if (p.overrides_fetched !== null) parts.push(`${p.overrides_applied}/${p.overrides_fetched} overrides`);
  if (p.entries !== null) parts.push(`${p.entries} entries`);
  if (p.bytes !== null) parts.push(bytes(p.bytes));
  return (p.complete ? "\u2713 " : "incomplete: ") + parts.join(", ");
}

function renderHeader(doc) {
  const s = doc.server;
  const mon = s.monitor.address ? `monitor on ${s.monitor.address}` : "monitor off";
  document.getElementById("server-line").textContent =
    `si_btd ${s.version}, up ${duration(doc.now - s.started)}, ${s.announces} announces, ` +
    `${mon} (${s.monitor.reports} reports, ${s.monitor.rejected} rejected), ` +
    `updated ${new Date(doc.now * 1000).toLocaleTimeString()}`;
  const t = document.getElementById("totals");
  t.replaceChildren();
  const sum = doc.summary;
  for (const [label, key] of [["nodes", "nodes"], ["done", "done"], ["installing", "installing"],
                              ["stuck", "stuck"], ["failed", "failed"], ["unverified", "unverified"]]) {
    t.append(el("span", { "data-total": key }, `${label}: ${sum[key]}`));
  }
}

function renderImages(doc) {
  const box = document.getElementById("images");
  box.replaceChildren();
  for (const im of doc.images) {
    const card = el("div", { class: "image-card", "data-image": im.name });
    card.append(el("h2", {}, `${im.kind} ${im.name}`));
    const dl = el("dl");
    const add = (k, v) => { dl.append(el("dt", {}, k), el("dd", {}, v)); };
    add("tarball", `${im.tarball} (${bytes(im.size_bytes)})`);
    add("seeding", im.seeding ? "yes" : "no");
    if (im.kind === "image") {
      add("nodes done / installing", `${im.nodes.done} / ${im.nodes.installing}`);
      add("stuck / failed / unverified", `${im.nodes.stuck} / ${im.nodes.failed} / ${im.nodes.unverified}`);
    }
    if (im.tracker) add("tracker seeds / leechers", `${im.tracker.seeds} / ${im.tracker.leechers}`);
    add("from the server", bytes(im.server_bytes));
    add("from peers", bytes(im.peer_bytes));
    add("swarm ratio", im.swarm_ratio === null ? "" : im.swarm_ratio.toFixed(2));
    card.append(dl);
    const total = im.server_bytes + im.peer_bytes;
    const bar = el("div", { class: "bytes-bar", title: "blue: from peers, orange: from the server" });
    const server = el("span");
    server.style.width = total > 0 ? (100 * im.server_bytes / total).toFixed(1) + "%" : "0";
    bar.append(server);
    card.append(bar);
    box.append(card);
  }
}

// What the node's boot file says (si_btd's per-node network boot), or "unlisted" when the
// nodes file does not name its MAC; "" without a nodes file.
function bootText(n) {
  const b = n.boot;
  if (!b) return "";
  if (!b.listed) return "unlisted";
  return b.state + (b.image && b.image !== n.image ? " " + b.image : "");
}

function trackerText(n) {
  const t = n.tracker;
  if (!t) return "";
  return `${bytes(t.left)} (${duration(t.idle_s)} ago)`;
}

// A node's rates while they mean something: not for a node that failed, is stuck or stopped
// reporting; a done node only uploads (it keeps serving its peers).
function liveRate(n, which) {
  if (n.state === "failed" || n.state === "stuck" || n.state === "not seen") return null;
  if (n.silent_s !== null && n.silent_s > GAP_S) return null;
  if (n.state === "done" && which === "download_kbs") return null;
  return n[which];
}

function cellValue(n, key) {
  if (key === "attention") {
    const r = ATTENTION.indexOf(n.state);
    return r < 0 ? ATTENTION.length : r;
  }
  if (key === "download_kbs" || key === "upload_kbs") {
    const v = liveRate(n, key);
    return v === null || v === undefined ? -1 : v;
  }
  if (key === "proof") return proofText(n);
  if (key === "tracker") return n.tracker ? n.tracker.left : -1;
  if (key === "boot") return bootText(n);
  const v = n[key];
  return v === null || v === undefined ? "" : v;
}

function renderTable(doc) {
  if (!doc) return;
  const filter = document.getElementById("filter").value.trim().toLowerCase();
  const state = document.getElementById("state-filter").value;
  // Nodes of the nodes file that never reported are shown too.
  const unseen = (doc.inventory || []).filter((v) => !v.seen).map((v) => ({
    key: v.mac, host: v.hostname, mac: v.mac, ip: "", image: v.target, state: "not seen",
    phase: "", percent: 0, download_kbs: null, upload_kbs: null, peers: null, silent_s: null,
    elapsed_s: null, status: null, tracker: null, proof: null, error: "", console: "",
    boot: { listed: true, state: v.state, image: v.image },
  }));
  let rows = doc.nodes.concat(unseen).filter((n) => {
    if (state && n.state !== state) return false;
    if (!filter) return true;
    return [n.host, n.mac, n.ip, n.image, n.state, n.phase, n.error]
      .some((v) => String(v || "").toLowerCase().includes(filter));
  });
  const compare = (key, a, b) => {
    const x = cellValue(a, key), y = cellValue(b, key);
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x).localeCompare(String(y), undefined, { numeric: true });
  };
  // Ties (the same state, say) in host order.
  rows.sort((a, b) => compare(sortKey, a, b) * sortDir || compare("host", a, b));
  const body = document.querySelector("#nodes tbody");
  body.replaceChildren();
  for (const n of rows) {
    const tr = el("tr", { class: "state-" + n.state, "data-key": n.key, "data-state": n.state });
    const progress = el("td", { class: "num" });
    const bar = el("span", { class: "bar" });
    const fill = el("span");
    fill.style.width = n.percent + "%";
    bar.append(fill);
    progress.append(bar, document.createTextNode(n.percent + "%"));
    tr.append(
      el("td", {}, n.host), el("td", {}, n.mac), el("td", {}, n.ip), el("td", {}, n.image),
      el("td", { title: n.boot && n.boot.listed ? `target ${n.boot.target || ""}` : "" }, bootText(n)),
      el("td", {}, n.state), detailCell(n), el("td", {}, n.phase),
      progress,
      el("td", { class: "num" }, rate(liveRate(n, "download_kbs"))),
      el("td", { class: "num" }, rate(liveRate(n, "upload_kbs"))),
      el("td", { class: "num" }, n.peers === null ? "" : n.peers),
      el("td", { class: "num" }, n.silent_s === null ? "" : duration(n.silent_s) + " ago"),
      el("td", { class: "num" }, duration(n.elapsed_s)),
      el("td", { class: "num" }, n.status === null ? "" : n.status),
      el("td", { class: "num" }, trackerText(n)));
    body.append(tr);
  }
  document.getElementById("row-count").textContent =
    `${rows.length} of ${doc.nodes.length + unseen.length} nodes`;
  for (const th of document.querySelectorAll("#nodes th")) {
    th.classList.toggle("sorted-asc", th.dataset.key === sortKey && sortDir > 0);
    th.classList.toggle("sorted-desc", th.dataset.key === sortKey && sortDir < 0);
  }
}

// Draws polylines [{name, points: [[t, y], ...]}] with axes; t in Unix seconds, y in MB/s.
function drawPlot(svg, series, area) {
  svg.replaceChildren();
  const W = 640, H = 260, L = 48, R = 12, T = 10, B = 30;
  let t0 = Infinity, t1 = -Infinity, ymax = 0, points = 0;
  for (const s of series) {
    for (const [t, y] of s.points) {
      t0 = Math.min(t0, t); t1 = Math.max(t1, t); ymax = Math.max(ymax, y); points++;
    }
  }
  svg.setAttribute("data-series", String(series.filter((s) => s.points.length > 0).length));
  svg.setAttribute("data-points", String(points));
  if (points === 0) {
    const msg = svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle" });
    msg.textContent = "no reports yet";
    svg.append(msg);
    return;
  }
  if (t1 === t0) t1 = t0 + BUCKET_S;
  ymax = ymax > 0 ? ymax * 1.1 : 1;
  const x = (t) => L + (t - t0) / (t1 - t0) * (W - L - R);
  const y = (v) => H - B - v / ymax * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4;
    svg.append(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    const label = svgEl("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" });
    label.textContent = v.toFixed(v < 10 ? 1 : 0);
    svg.append(label);
  }
  for (let i = 0; i <= 5; i++) {
    const t = t0 + (t1 - t0) * i / 5;
    const label = svgEl("text", { x: x(t), y: H - B + 16, "text-anchor": "middle" });
    label.textContent = duration(t - t0);
    svg.append(label);
  }
  svg.append(svgEl("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  svg.append(svgEl("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    // A new stroke after a gap in the reports: silence is not drawn as steady downloading.
    let d = s.points.map(([t, v], k) => {
      const move = k === 0 || (!area && t - s.points[k - 1][0] > GAP_S);
      return `${move ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    }).join(" ");
    if (area) d += ` L${x(s.points[s.points.length - 1][0]).toFixed(1)},${y(0)} L${x(s.points[0][0]).toFixed(1)},${y(0)} Z`;
    const path = svgEl("path", { d, class: area ? "area" : "series" });
    if (!area) path.setAttribute("stroke", s.color || COLORS[i % COLORS.length]);
    const title = svgEl("title");
    title.textContent = s.name;
    path.append(title);
    svg.append(path);
  });
}

// The value at fraction q (0..1) of the sorted numbers xs.
function percentile(xs, q) {
  const i = Math.min(xs.length - 1, Math.max(0, Math.round(q * (xs.length - 1))));
  return xs[i];
}

// The per-node plot's legend: a swatch and a name per series.
function renderLegend(series) {
  const box = document.getElementById("plot-nodes-legend");
  if (!box) return;
  box.replaceChildren();
  series.forEach((s, i) => {
    const item = el("span", { class: "legend-item" });
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = s.color || COLORS[i % COLORS.length];
    item.append(swatch, document.createTextNode(s.name));
    box.append(item);
  });
}

function renderPlots(doc) {
  const perNode = [];
  // bucket start -> Map(node key -> KB/s): keyed by the node's key, not its MAC, so that nodes
  // without a MAC (or sharing one) are each counted.
  const buckets = new Map();
  for (const n of doc.nodes) {
    const h = n.history || [];
    perNode.push({ name: n.host || n.mac || n.ip, points: h.map(([t, down]) => [t, down / 1024]) });
    for (const [t, down] of h) {
      const b = Math.floor(t / BUCKET_S) * BUCKET_S;
      if (!buckets.has(b)) buckets.set(b, new Map());
      buckets.get(b).set(n.key, down);  // a node's last sample in the bucket
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.map(([b, m]) => [b, [...m.values()].reduce((s, v) => s + v, 0) / 1024]);
  let lines = perNode;
  if (perNode.length > MAX_NODE_LINES) {
    // Many nodes: the spread of their rates per 10 s, not a line each.
    lines = [["p90", 0.9, "#3f8f46"], ["median", 0.5, "#3a6fd8"], ["p10", 0.1, "#e07b39"]]
      .map(([name, q, color]) => ({
        name: `${name} of ${perNode.length} nodes`, color,
        points: sorted.map(([b, m]) => [b, percentile([...m.values()].sort((x, y) => x - y), q) / 1024]),
      }));
  }
  drawPlot(document.getElementById("plot-nodes"), lines, false);
  renderLegend(lines.length <= MAX_NODE_LINES ? lines : []);
  drawPlot(document.getElementById("plot-total"), [{ name: "all nodes", points: total }], true);
}

function render() {
  if (!latest) return;
  renderHeader(latest);
  renderImages(latest);
  renderPlots(latest);
  renderTable(latest);
}

async function refresh() {
  const err = document.getElementById("fetch-error");
  try {
    const res = await fetch("/status.json?history=1", { cache: "no-store" });
    if (!res.ok) throw new Error(`/status.json: HTTP ${res.status}`);
    latest = await res.json();
    err.hidden = true;
    render();
  } catch (e) {
    err.textContent = `cannot read the status (${e.message}); showing the last one, retrying`;
    err.hidden = false;
  }
  setTimeout(refresh, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const th of document.querySelectorAll("#nodes th")) {
    th.addEventListener("click", () => {
      if (sortKey === th.dataset.key) sortDir = -sortDir; else { sortKey = th.dataset.key; sortDir = 1; }
      renderTable(latest);
    });
  }
  document.getElementById("filter").addEventListener("input", () => renderTable(latest));
  document.getElementById("state-filter").addEventListener("change", () => renderTable(latest));
  refresh();
});
