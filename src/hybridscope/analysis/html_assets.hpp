#pragma once
// The CSS and JavaScript of the HTML pages (html.cpp), kept apart from the C++ that fills them in.
namespace hybridscope::analysis::html_assets {

inline constexpr const char* kStyle = R"CSS(
body { font-family: "DejaVu Sans", Verdana, sans-serif; font-size: 13px; margin: 16px 24px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 22px; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; }
table.runs th, table.runs td, table.metrics th { text-align: left; }
table.sortable th { cursor: pointer; user-select: none; background: #f0f0f0; }
.hint { color: #666; font-size: 12px; }
.legend .key { margin-right: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border: 1px solid #666; }
#timeline { position: relative; display: flex; align-items: flex-start; }
#lane-labels { flex: none; }
#lanes-box { flex: 1; min-width: 300px; }
#lanes { display: block; width: 100%; cursor: crosshair; }
#time-axis { display: block; width: 100%; height: 44px; }
#tip { position: absolute; pointer-events: none; background: #fffbe6; border: 1px solid #999; padding: 4px 6px;
       font-size: 12px; white-space: pre; box-shadow: 1px 1px 3px #aaa; }
.warnings li { margin-bottom: 4px; }
)CSS";

// Sorts a table.sortable by the clicked column: numbers as numbers, columns marked data-text as text.
inline constexpr const char* kTableScript = R"JS(
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var up = th.dataset.order !== 'up', text = th.hasAttribute('data-text');
      var key = function (row) { var v = row.cells[column].textContent; return text ? v : (parseFloat(v) || 0); };
      rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1); });
      table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = up ? 'up' : 'down';
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
)JS";

// The zoomable timeline: picks the coarsest stored level that still has a column per pixel (else
// the finest), gives each pixel the kind that filled most of it, as `hybridscope plot` does, and
// shows the interval behind the pixel under the mouse. The canvas's data-from/data-to (ns) and
// body's data-ready are read by the picture tests.
inline constexpr const char* kTimelineScript = R"JS(
(function () {
  var D = JSON.parse(document.getElementById('timeline-data').textContent);
  var NONE = 0xffffffff, LANE = 14, K = D.kinds.length, FONT = '11px "DejaVu Sans", Verdana, sans-serif';
  function typed(s, T) {
    var bin = atob(s), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new T(bytes.buffer);
  }
  var I = { begin: typed(D.intervals.begin, Float64Array), end: typed(D.intervals.end, Float64Array),
            item: typed(D.intervals.item, Float64Array), cpu: typed(D.intervals.cpu, Int16Array),
            kind: typed(D.intervals.kind, Uint8Array) };
  var levels = D.levels.map(function (l) {
    return { columns: l.columns, width: l.columns ? (D.end - D.begin) / l.columns : 0,
             lanes: l.lanes.map(function (s) { return { start: typed(s.start, Uint32Array), ref: typed(s.ref, Uint32Array) }; }) };
  });
  var canvas = document.getElementById('lanes'), axis = document.getElementById('time-axis');
  var labels = document.getElementById('lane-labels'), tip = document.getElementById('tip');
  var view = { from: D.begin, to: D.end }, shown = [], level = levels[0], ctx = canvas.getContext('2d');
  var SVG = 'http://www.w3.org/2000/svg';

  function svgText(parent, x, y, text, anchor, bold) {
    var t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', x); t.setAttribute('y', y); t.textContent = text;
    if (anchor) t.setAttribute('text-anchor', anchor);
    if (bold) t.setAttribute('font-weight', 'bold');
    parent.appendChild(t); return t;
  }
  function laneLabels() {
    var height = D.lanes.length * LANE + 2;
    labels.setAttribute('width', 110); labels.setAttribute('height', height + 18);
    labels.setAttribute('font-size', '11'); labels.setAttribute('font-family', '"DejaVu Sans", Verdana, sans-serif');
    svgText(labels, 4, 12, 'rank', null, true); svgText(labels, 104, 12, 'thread', 'end', true);
    // Across nodes each rank's label names its node too, cut to fit before the thread column.
    var nodes = new Set(D.lanes.map(function (l) { return l.host; })).size > 1;
    ctx.font = FONT;
    function fit(text, width) {
      if (ctx.measureText(text).width <= width) return text;
      while (text.length > 1 && ctx.measureText(text + '…').width > width) text = text.slice(0, -1);
      return text + '…';
    }
    D.lanes.forEach(function (lane, i) {
      var y = 18 + i * LANE + 11;
      if (i === 0 || D.lanes[i - 1].rank !== lane.rank)
        svgText(labels, 4, y, fit(String(lane.rank) + (nodes ? ' ' + lane.host : ''), 74)).appendChild(
          Object.assign(document.createElementNS(SVG, 'title'), { textContent: lane.host }));
      svgText(labels, 104, y, String(lane.thread), 'end');
    });
    canvas.style.marginTop = '18px';
  }
  // Segment i of a lane at a level: [begin, end) ns and the interval it shows.
  function begin(l, s, i) { return l.columns ? D.begin + s.start[i] * l.width : I.begin[s.ref[i]]; }
  function end(l, s, i) {
    if (!l.columns) return I.end[s.ref[i]];
    return D.begin + (i + 1 < s.start.length ? s.start[i + 1] : l.columns) * l.width;
  }
  function first(l, s, t) {  // the last segment that begins at or before t
    var lo = 0, hi = s.ref.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (begin(l, s, mid) <= t) lo = mid; else hi = mid - 1; }
    return lo;
  }
  function pick(nsPerPixel) {
    for (var i = 0; i < levels.length; i++) if (levels[i].width <= nsPerPixel) return levels[i];
    return levels[levels.length - 1];
  }
  function draw() {
    var W = Math.max(1, Math.floor(canvas.clientWidth)), H = D.lanes.length * LANE, ratio = window.devicePixelRatio || 1;
    canvas.width = W * ratio; canvas.height = H * ratio; canvas.style.height = H + 'px';
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0); ctx.clearRect(0, 0, W, H);
    var span = view.to - view.from, per = span / W;
    level = pick(per);
    var time = new Float64Array(W * K), best = new Float64Array(W * K), ref = new Float64Array(W * K);
    shown = [];
    D.lanes.forEach(function (lane, li) {
      var s = level.lanes[li], n = s.ref.length, y = li * LANE;
      time.fill(0); best.fill(0);
      for (var i = n ? first(level, s, view.from) : 0; i < n; i++) {
        var b = begin(level, s, i); if (b >= view.to) break;
        var r = s.ref[i]; if (r === NONE) continue;
        var k = I.kind[r], x0 = (Math.max(b, view.from) - view.from) / per, x1 = (Math.min(end(level, s, i), view.to) - view.from) / per;
        for (var px = Math.floor(x0); px < Math.min(W, Math.ceil(x1)); px++) {
          var o = Math.min(x1, px + 1) - Math.max(x0, px), at = px * K + k;
          if (o <= 0) continue;
          time[at] += o; if (o > best[at]) { best[at] = o; ref[at] = r; }
        }
      }
      var row = new Float64Array(W).fill(-1), runKind = -1, runStart = 0;
      for (var px = 0; px <= W; px++) {
        var kind = -1;
        if (px < W) {
          var most = 0;
          for (var k = 0; k < K; k++) if (time[px * K + k] > most) { most = time[px * K + k]; kind = k; }
          if (kind >= 0) row[px] = ref[px * K + kind];
        }
        if (kind !== runKind) {
          if (runKind >= 0) { ctx.fillStyle = D.colours[runKind]; ctx.fillRect(runStart, y, px - runStart, LANE - 2); }
          runKind = kind; runStart = px;
        }
      }
      shown.push(row);
      if (li > 0 && D.lanes[li - 1].rank !== lane.rank) { ctx.fillStyle = '#999'; ctx.fillRect(0, y - 1, W, 1); }
    });
    canvas.dataset.from = view.from; canvas.dataset.to = view.to; canvas.dataset.laneHeight = LANE;
    drawAxis(W);
    document.getElementById('detail').textContent = level.columns
      ? 'Stored detail: ' + seconds(level.width * 1e-9) + ' per column (' + D.file_intervals + ' intervals in the file; ' +
        'hybridscope plot --from/--to draws any window exactly).'
      : 'Every interval of the run is in this page.';
  }
  function decimals(step) { return Math.max(0, Math.min(9, Math.ceil(-Math.log10(step) - 1e-9))); }
  function seconds(s) {
    var a = Math.abs(s);
    return a >= 1 ? +s.toPrecision(4) + ' s' : a >= 1e-3 ? +(s * 1e3).toPrecision(4) + ' ms' : +(s * 1e6).toPrecision(4) + ' us';
  }
  function niceStep(span, n) {
    var raw = span / Math.max(1, n), p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = [1, 2, 5, 10].find(function (m) { return m * p >= raw * (1 - 1e-9); });
    return m * p;
  }
  // Ticks whose labels keep 12 px apart, as chart::linear_ticks does for the SVG pictures.
  function drawAxis(W) {
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    axis.setAttribute('font-size', '11'); axis.setAttribute('font-family', '"DejaVu Sans", Verdana, sans-serif');
    ctx.font = FONT;
    var lo = view.from * 1e-9, hi = view.to * 1e-9, ticks;
    for (var wanted = Math.max(2, Math.floor(W / 60)); ; wanted = Math.max(1, Math.floor(wanted * 2 / 3))) {
      var step = niceStep(hi - lo, wanted), d = decimals(step), fits = true, last = -Infinity;
      ticks = [];
      for (var k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
        var v = k * step, label = (Math.abs(v) < step * 1e-6 ? 0 : v).toFixed(d) + ' s';
        var x = (v - lo) / (hi - lo) * W, w = ctx.measureText(label).width;
        if (x - w / 2 < last + 12) fits = false;
        last = x + w / 2; ticks.push([x, label]);
      }
      if (fits || wanted === 1) break;
    }
    var line = document.createElementNS(SVG, 'line');
    line.setAttribute('x1', 0); line.setAttribute('x2', W); line.setAttribute('y1', 0.5); line.setAttribute('y2', 0.5);
    line.setAttribute('stroke', 'black'); axis.appendChild(line);
    ticks.forEach(function (t) {
      var g = document.createElementNS(SVG, 'g'); g.setAttribute('class', 'tick');
      var l = document.createElementNS(SVG, 'line');
      l.setAttribute('x1', t[0]); l.setAttribute('x2', t[0]); l.setAttribute('y1', 0); l.setAttribute('y2', 4); l.setAttribute('stroke', 'black');
      g.appendChild(l); axis.appendChild(g);
      var anchor = t[0] < 30 ? 'start' : t[0] > W - 30 ? 'end' : 'middle';
      svgText(g, t[0], 16, t[1], anchor);
    });
    svgText(axis, W / 2, 38, "time since the run's start", 'middle');
  }
  function describe(li, px) {
    var r = shown[li] ? shown[li][px] : -1;
    var lane = D.lanes[li];
    var where = 'rank ' + lane.rank + ' thread ' + lane.thread + (lane.host ? ' on ' + lane.host : '');
    if (r === undefined || r < 0) return where + '\nno interval here';
    var item = I.item[r] < 0 ? 'no item' : 'item ' + I.item[r], core = I.cpu[r] < 0 ? 'core unknown' : 'core ' + I.cpu[r];
    var duration = I.end[r] - I.begin[r], per = (view.to - view.from) / canvas.clientWidth;
    var text = D.kinds[I.kind[r]] + ' · ' + item + ' · ' + seconds(duration * 1e-9) + ' · ' + core + '\n' + where +
      '\nfrom ' + (I.begin[r] * 1e-9).toFixed(6) + ' s to ' + (I.end[r] * 1e-9).toFixed(6) + ' s';
    if (duration < per || (level.columns && level.width > duration)) text += '\none of several intervals in this pixel: zoom in';
    return text;
  }
  function at(event) {
    var box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top, width: box.width };
  }
  var drag = null;
  canvas.addEventListener('mousemove', function (event) {
    var p = at(event);
    if (drag) {
      var shift = (drag.x - p.x) / p.width * (drag.to - drag.from);
      shift = Math.max(D.begin - drag.from, Math.min(D.end - drag.to, shift));
      view = { from: drag.from + shift, to: drag.to + shift }; draw();
    }
    var li = Math.floor(p.y / LANE), px = Math.floor(p.x);
    if (li < 0 || li >= D.lanes.length || px < 0 || px >= p.width) { tip.hidden = true; return; }
    tip.textContent = describe(li, px); tip.hidden = false;
    var host = document.getElementById('timeline').getBoundingClientRect();
    tip.style.left = (event.clientX - host.left + 14) + 'px'; tip.style.top = (event.clientY - host.top + 14) + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.hidden = true; drag = null; });
  canvas.addEventListener('mousedown', function (event) { drag = { x: at(event).x, from: view.from, to: view.to }; });
  window.addEventListener('mouseup', function () { drag = null; });
  canvas.addEventListener('dblclick', function () { view = { from: D.begin, to: D.end }; draw(); });
  canvas.addEventListener('wheel', function (event) {
    event.preventDefault();
    var p = at(event), span = view.to - view.from, t = view.from + p.x / p.width * span;
    var next = Math.min(D.end - D.begin, Math.max(100, span * Math.exp(event.deltaY * 0.002)));
    var from = Math.max(D.begin, Math.min(D.end - next, t - (t - view.from) * next / span));
    view = { from: from, to: from + next }; draw();
  }, { passive: false });
  window.addEventListener('resize', draw);
  laneLabels(); draw();
  document.body.dataset.ready = '1';
})();
)JS";

}  // namespace hybridscope::analysis::html_assets
