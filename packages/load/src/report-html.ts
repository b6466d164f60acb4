import { decodeHistogram, type PercentilesMs } from './histogram';
import type { LoadReport } from './report';
import { fmt, formatSummary, spectrumMs } from './report';

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** JSON that is safe inside a <script> element (no `</script>`, no HTML comment openers). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

// Drawn in the browser from the embedded data: plain SVG, no library, no network. Each chart is an
// <svg data-chart="..."> with one <polyline data-series="..."> per series.
const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var NS = 'http://www.w3.org/2000/svg'; // an XML namespace name, never fetched
  var W = 860, H = 260, L = 64, R = 16, T = 28, B = 36;
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function nice(max) {
    if (!(max > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(max)));
    var m = max / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fmt(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return String(Math.round(v * 100) / 100);
  }
  function chart(id, title, xLabel, yLabel, series, xs, xTicks) {
    var host = document.getElementById(id);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, 'data-chart': id, role: 'img' }, host);
    el('title', {}, svg).textContent = title;
    var xMin = xs.length ? Math.min.apply(null, xs) : 0, xMax = xs.length ? Math.max.apply(null, xs) : 1;
    if (xMax === xMin) xMax = xMin + 1;
    var yMax = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v > yMax) yMax = v; }); });
    yMax = nice(yMax * 1.05);
    function X(x) { return L + ((x - xMin) / (xMax - xMin)) * (W - L - R); }
    function Y(y) { return H - B - (y / yMax) * (H - T - B); }
    for (var i = 0; i <= 4; i++) {
      var yv = (yMax * i) / 4;
      el('line', { x1: L, x2: W - R, y1: Y(yv), y2: Y(yv), stroke: '#ddd' }, svg);
      el('text', { x: L - 6, y: Y(yv) + 4, 'text-anchor': 'end', 'font-size': 11 }, svg).textContent = fmt(yv);
    }
    if (!xTicks) {
      xTicks = [];
      var step = Math.max(1, Math.ceil((xMax - xMin) / 10));
      for (var xv = Math.ceil(xMin); xv <= xMax; xv += step) xTicks.push([xv, fmt(xv)]);
    }
    xTicks.forEach(function (tk) {
      el('text', { x: X(tk[0]), y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11 }, svg).textContent = tk[1];
    });
    el('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#444' }, svg);
    el('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#444' }, svg);
    el('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': 12 }, svg).textContent = xLabel;
    el('text', { x: 12, y: T - 10, 'font-size': 12 }, svg).textContent = yLabel;
    var lx = 24 + yLabel.length * 7;
    series.forEach(function (s) {
      var pts = [];
      s.values.forEach(function (v, j) { if (v !== null) pts.push(X(xs[j]).toFixed(1) + ',' + Y(v).toFixed(1)); });
      pts = pts.join(' ');
      el('polyline', { points: pts, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name }, svg);
      el('rect', { x: lx, y: 8, width: 10, height: 10, fill: s.color }, svg);
      el('text', { x: lx + 14, y: 17, 'font-size': 12 }, svg).textContent = s.name;
      lx += 24 + s.name.length * 7;
    });
  }
  var tl = data.timeline || [];
  var t = tl.map(function (p) { return p.t; });
  function col(k) { return tl.map(function (p) { return p[k]; }); }
  // Seconds in which nothing was delivered have no latency: leave them out of the latency lines.
  function lat(k) { return tl.map(function (p) { return p.deliveredPerSec > 0 ? p[k] : null; }); }
  chart('chart-latency', 'Delivery latency per second (ms)', 'seconds since start', 'ms', [
    { name: 'p50', color: '#2b8a3e', values: lat('p50') },
    { name: 'p90', color: '#1971c2', values: lat('p90') },
    { name: 'p99', color: '#e8590c', values: lat('p99') },
    { name: 'max', color: '#c92a2a', values: lat('max') }
  ], t);
  chart('chart-throughput-in', 'Chat messages in per second', 'seconds since start', 'msg/s', [
    { name: 'sent', color: '#1971c2', values: col('sentPerSec') },
    { name: 'acked', color: '#2b8a3e', values: col('ackedPerSec') },
    { name: 'likes', color: '#ae3ec9', values: col('likesPerSec') }
  ], t);
  chart('chart-throughput-out', 'Delivered per second: messages, the frames carrying them, thinned', 'seconds since start', 'per s', [
    { name: 'messages', color: '#e8590c', values: col('deliveredPerSec') },
    { name: 'frames', color: '#1971c2', values: col('deliveredFramesPerSec') },
    { name: 'thinned', color: '#868e96', values: col('thinnedPerSec') }
  ], t);
  chart('chart-connections', 'Open connections', 'seconds since start', 'connections', [
    { name: 'open', color: '#1971c2', values: col('connections') }
  ], t);
  var spec = data.latencySpectrum || [];
  // x = log10(1 / (1 - p)): 90 -> 1, 99 -> 2, 99.9 -> 3 ...; the max is drawn at 5.
  function px(p) { return p >= 100 ? 5 : Math.log10(100 / (100 - p)); }
  var pTicks = [[0, '0'], [1, '90'], [2, '99'], [3, '99.9'], [4, '99.99'], [5, 'max']];
  chart('chart-spectrum', 'Latency by percentile, whole run (ms)', 'percentile', 'ms', [
    { name: 'latency', color: '#c92a2a', values: spec.map(function (s) { return s[1]; }) }
  ], spec.map(function (s) { return px(s[0]); }), pTicks);
  // With --gifts only (no host element otherwise): gifts by percentile, chat's line beside them.
  var gspec = data.giftLatencySpectrum || [];
  if (gspec.length && document.getElementById('chart-gift-spectrum')) {
    var gseries = [{ name: 'gifts', color: '#ae3ec9', values: gspec.map(function (s) { return s[1]; }) }];
    if (spec.length) gseries.push({ name: 'chat', color: '#c92a2a', values: spec.map(function (s) { return s[1]; }) });
    chart('chart-gift-spectrum', 'Gift latency by percentile beside chat, whole run (ms)', 'percentile', 'ms', gseries,
      gspec.map(function (s) { return px(s[0]); }), pTicks);
  }
})();
`;

/** `--gifts` ran: the report shows its gifts section (as the summary shows its gift rows). */
const hasGifts = (r: LoadReport): boolean => r.scenario.giftsPerSecPerSender > 0 || r.gifts.sent > 0;

/** One latency table row: p50, p90, p99, p99.9, max and n, dashes when nothing was measured. */
function latencyRow(name: string, p: PercentilesMs): string {
  const values = p.count === 0 ? ['-', '-', '-', '-', '-', '0'] : [p.p50, p.p90, p.p99, p.p999, p.max, p.count].map(fmt);
  return `<tr><td>${escapeHtml(name)}</td>${values.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`;
}

/**
 * With --gifts: gifts sent and delivered, their latency beside chat's, and a chart of both by
 * percentile (when a gift arrived); '' without gifts.
 */
function giftsSection(r: LoadReport): string {
  if (!hasGifts(r)) return '';
  const g = r.gifts;
  return `<h2 id="gifts">Gifts</h2>
<p>sent ${escapeHtml(fmt(g.sent))} · delivered ${escapeHtml(fmt(g.delivered))} · ${escapeHtml(fmt(r.scenario.giftsPerSecPerSender))}/s per sender (also counted in chats sent and delivered)</p>
<table><tr><th>latency ms</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>n</th></tr>${latencyRow('gifts', g.latencyMs)}${latencyRow('chat', r.latencyMs)}</table>
${g.latencyMs.count > 0 ? '<div class="chart" id="chart-gift-spectrum"></div>\n' : ''}`;
}

/** The data the charts are drawn from: the report without its histograms, plus the gifts' spectrum. */
function chartData(r: LoadReport): unknown {
  const giftLatencySpectrum = hasGifts(r) ? spectrumMs(decodeHistogram(r.histograms.giftLatencyUs)) : undefined;
  return { ...r, histograms: undefined, giftLatencySpectrum };
}

/** One self-contained HTML file: summary table, embedded data, SVG charts drawn by inline JS. */
export function renderHtmlReport(r: LoadReport): string {
  const title = `roomcast-load ${r.target} ${r.runId}${r.label ? ` — ${r.label}` : ''}`;
  const rooms = r.rooms
    .slice(0, 200)
    .map(
      (room) =>
        `<tr><td>${escapeHtml(room.roomId)}</td><td>${room.members}</td><td>${room.accepted}</td><td>${room.expected}</td><td>${room.thinned}</td><td>${room.gaps}</td><td>${room.undelivered}</td><td>${room.lostToCloses}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 920px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
pre { background: #f6f6f6; padding: 12px; white-space: pre-wrap; font-size: 12px; }
.verdict-ok { color: #2b8a3e; font-weight: bold; } .verdict-fail { color: #c92a2a; font-weight: bold; }
table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
.chart svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(r.startedAt)} → ${escapeHtml(r.finishedAt)} · ${r.machine.cpus} cores · node ${escapeHtml(r.machine.node)} ·
<span class="${r.verdict.ok ? 'verdict-ok' : 'verdict-fail'}">${r.verdict.ok ? 'OK' : 'FAIL'}</span></p>
<h2>Summary</h2>
<pre>${escapeHtml(formatSummary(r))}</pre>
<h2>Latency</h2>
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-spectrum"></div>
${giftsSection(r)}<h2>Throughput</h2>
<div class="chart" id="chart-throughput-in"></div>
<div class="chart" id="chart-throughput-out"></div>
<h2>Connections</h2>
<div class="chart" id="chart-connections"></div>
<h2>Rooms${r.rooms.length > 200 ? ' (first 200)' : ''}</h2>
<table><tr><th>room</th><th>members</th><th>accepted</th><th>expected</th><th>thinned</th><th>gaps</th><th>undelivered</th><th>lost to closes</th></tr>${rooms}</table>
<script type="application/json" id="report-data">${scriptJson(chartData(r))}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
