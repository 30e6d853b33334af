/**
 * The script of metrics.html (report.ts): reads the embedded metrics.json and draws every chart
 * as SVG. Plain ES2017 so any current browser runs it; no network, no library.
 */
export const REPORT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('metrics-data').textContent);
  var root = document.getElementById('report');
  var SVG = 'http://www.w3.org/2000/svg';
  var m = data.metrics || {};
  var W = 320, H = 260, L = 50, R = 12, T = 10, B = 36;

  function el(tag, attrs, parent, text) {
    var e = tag === 'svg' || ['line', 'polyline', 'rect', 'text', 'circle', 'g', 'path', 'title'].indexOf(tag) >= 0 ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  // Counts as integers with separators, figures with 4 decimals (1 is 1.0000, a figure).
  function fmt(x, count) {
    if (x === null || x === undefined) return 'n/a';
    if (typeof x !== 'number') return String(x);
    if (count && Number.isInteger(x)) return x.toLocaleString('en-US');
    return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2);
  }
  var COUNT_COLUMNS = ['records', 'weight', 'support'];
  function section(title) {
    el('h2', {}, root, title);
    return el('div', { 'class': 'grid' }, root);
  }
  function figure(parent, caption, name) {
    var f = el('figure', { 'data-figure': name }, parent);
    el('figcaption', {}, f, caption);
    return f;
  }

  // A unit-square chart: axes, ticks, labels; returns the svg and a point mapper.
  function plot(parent, name, xLabel, yLabel, xMax, yMax) {
    xMax = xMax || 1; yMax = yMax || 1;
    var svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, 'data-chart': name, role: 'img' }, parent);
    var sx = function (x) { return L + (x / xMax) * (W - L - R); };
    var sy = function (y) { return H - B - (y / yMax) * (H - T - B); };
    var axis = el('g', { 'class': 'axis' }, svg);
    el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B }, axis);
    el('line', { x1: L, y1: T, x2: L, y2: H - B }, axis);
    for (var i = 0; i <= 4; i++) {
      var vx = (xMax * i) / 4, vy = (yMax * i) / 4;
      el('line', { x1: sx(vx), y1: H - B, x2: sx(vx), y2: H - B + 4 }, axis);
      el('text', { x: sx(vx), y: H - B + 15, 'text-anchor': 'middle' }, svg, +vx.toPrecision(2) + '');
      el('line', { x1: L - 4, y1: sy(vy), x2: L, y2: sy(vy) }, axis);
      el('text', { x: L - 6, y: sy(vy) + 4, 'text-anchor': 'end' }, svg, +vy.toPrecision(2) + '');
    }
    el('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, svg, xLabel);
    el('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', transform: 'rotate(-90 12 ' + (T + H - B) / 2 + ')' }, svg, yLabel);
    return { svg: svg, sx: sx, sy: sy };
  }
  function line(p, xs, ys, color, dashed, name) {
    var pts = xs.map(function (x, i) { return p.sx(x).toFixed(1) + ',' + p.sy(ys[i]).toFixed(1); }).join(' ');
    var attrs = { points: pts, fill: 'none', stroke: color, 'stroke-width': dashed ? 1 : 2 };
    if (dashed) attrs['stroke-dasharray'] = '4 3';
    if (name) attrs['data-series'] = name;
    return el('polyline', attrs, p.svg);
  }

  function summary() {
    var sub = document.getElementById('subtitle');
    var skipped = Object.keys(data.skipped || {}).map(function (k) { return k + ' ' + fmt(data.skipped[k], true); });
    sub.textContent = fmt(data.records, true) + ' records' + (data.weight !== undefined ? ' (total weight ' + fmt(data.weight, true) + ')' : '') +
      (skipped.length ? '; skipped: ' + skipped.join(', ') : '') + '; parameters: ' + JSON.stringify(data.params);
    var grid = section('Metrics');
    var t = el('table', { 'data-table': 'metrics' }, grid);
    var head = el('tr', {}, t); el('th', {}, head, 'metric'); el('th', {}, head, 'value'); el('th', {}, head, 'exactness');
    Object.keys(m).forEach(function (name) {
      var v = m[name];
      var rows = [];
      if (typeof v === 'number' || v === null) rows.push([name, v]);
      else if (name === 'precisionAtRecall' || name === 'recallAtPrecision') Object.keys(v).forEach(function (k) { rows.push([name + ' ≥' + k, v[k]]); });
      else if (name === 'aucRocOvr') { rows.push(['aucRocOvr (macro)', v.macro]); rows.push(['aucRocOvr (weighted)', v.weighted]); }
      else if (name === 'averages') ['micro', 'macro', 'weighted'].forEach(function (a) { if (v[a]) ['precision', 'recall', 'f1'].forEach(function (k) { rows.push([k + ' (' + a + ')', v[a][k]]); }); });
      rows.forEach(function (r) {
        var tr = el('tr', {}, t);
        el('td', {}, tr, r[0]); el('td', {}, tr, fmt(r[1]));
        var b = data.errorBounds && data.errorBounds[name];
        var bounded = typeof b === 'number' && typeof r[1] === 'number';
        el('td', {}, tr, bounded ? (b === 0 ? 'exact' : 'exact value in [' + fmt(Math.max(0, r[1] - b)) + ', ' + fmt(Math.min(1, r[1] + b)) + ']') : (data.unavailable && data.unavailable[name]) || '');
      });
    });
  }

  function curves(grid) {
    var c = m.curves;
    if (!c) return;
    var roc = plot(figure(grid, 'ROC curve (AUC ' + fmt(m.aucRoc) + ')', 'roc'), 'roc', 'false positive rate', 'true positive rate');
    line(roc, [0, 1], [0, 1], '#8c959f', true);
    line(roc, [0].concat(c.fpr), [0].concat(c.tpr), '#0969da', false, 'roc');
    var pr = plot(figure(grid, 'Precision-recall curve (AP ' + fmt(m.aucPr) + ')', 'pr'), 'pr', 'recall', 'precision');
    line(pr, c.recall, c.precision, '#8250df', false, 'pr');
    el('p', { 'class': 'note' }, grid, c.points + ' of ' + fmt(c.distinctScores, true) + ' thresholds shown, each an exact point of the curve' + (c.exact ? '.' : ' (scores were grouped: see maxScores).'));
  }

  function calibration(grid) {
    var cal = m.calibration;
    if (!cal) return;
    var p = plot(figure(grid, 'Calibration (mean label ' + fmt(m.meanLabel) + ', mean prediction ' + fmt(m.meanPrediction) + ')', 'calibration'), 'calibration', 'mean prediction', 'fraction positive');
    line(p, [0, 1], [0, 1], '#8c959f', true);
    line(p, cal.bins.map(function (b) { return b.meanPrediction; }), cal.bins.map(function (b) { return b.fractionPositive; }), '#1a7f37', false, 'calibration');
    cal.bins.forEach(function (b) {
      var dot = el('circle', { cx: p.sx(b.meanPrediction), cy: p.sy(b.fractionPositive), r: 3, fill: '#1a7f37' }, p.svg);
      el('title', {}, dot, '[' + b.lower.toFixed(2) + ', ' + b.upper.toFixed(2) + ']: ' + fmt(b.weight, true) + ' records, mean prediction ' + fmt(b.meanPrediction) + ', fraction positive ' + fmt(b.fractionPositive));
    });
  }

  function histogram(grid) {
    var h = m.scoreHistogram;
    if (!h) return;
    var totalPos = h.positives.reduce(function (a, b) { return a + b; }, 0) || 1;
    var totalNeg = h.negatives.reduce(function (a, b) { return a + b; }, 0) || 1;
    // Shares of each label, so a rare label stays visible.
    var pos = h.positives.map(function (x) { return x / totalPos; });
    var neg = h.negatives.map(function (x) { return x / totalNeg; });
    var top = Math.max.apply(null, pos.concat(neg)) || 1;
    var p = plot(figure(grid, 'Score histogram by label (share of each label)', 'histogram'), 'histogram', 'score', 'share', 1, top);
    var bw = 1 / h.bins;
    for (var i = 0; i < h.bins; i++) {
      var x = i * bw;
      el('rect', { x: p.sx(x), y: p.sy(neg[i]), width: (p.sx(bw) - p.sx(0)) / 2, height: p.sy(0) - p.sy(neg[i]), fill: '#cf222e', 'fill-opacity': 0.7, 'data-bar': 'negative' }, p.svg);
      el('rect', { x: p.sx(x + bw / 2), y: p.sy(pos[i]), width: (p.sx(bw) - p.sx(0)) / 2, height: p.sy(0) - p.sy(pos[i]), fill: '#0969da', 'fill-opacity': 0.7, 'data-bar': 'positive' }, p.svg);
    }
    // Colours as style: the page's CSS fill for text would override a fill attribute.
    el('text', { x: W - R - 4, y: T + 12, 'text-anchor': 'end', style: 'fill:#0969da' }, p.svg, 'label 1: ' + fmt(totalPos, true));
    el('text', { x: W - R - 4, y: T + 26, 'text-anchor': 'end', style: 'fill:#cf222e' }, p.svg, 'label 0: ' + fmt(totalNeg, true));
  }

  function confusion(grid) {
    var cm = m.confusionMatrix;
    if (!cm || !cm.classes.length) return;
    var n = cm.classes.length, cell = Math.max(18, Math.min(48, Math.floor(360 / n))), pad = 60;
    var size = pad + n * cell + 10;
    var f = figure(grid, 'Confusion matrix (rows: label, columns: predicted; shade: share of the row)', 'confusion');
    var svg = el('svg', { width: size, height: size, viewBox: '0 0 ' + size + ' ' + size, 'data-chart': 'confusion' }, f);
    cm.matrix.forEach(function (row, i) {
      var total = row.reduce(function (a, b) { return a + b; }, 0) || 1;
      el('text', { x: pad - 6, y: pad + i * cell + cell / 2 + 4, 'text-anchor': 'end' }, svg, cm.classes[i]);
      row.forEach(function (v, j) {
        var share = v / total;
        var r = el('rect', { x: pad + j * cell, y: pad + i * cell, width: cell - 1, height: cell - 1, fill: i === j ? '#0969da' : '#cf222e', 'fill-opacity': (0.06 + 0.94 * share).toFixed(3), 'data-cell': i + ',' + j }, svg);
        el('title', {}, r, 'label ' + cm.classes[i] + ', predicted ' + cm.classes[j] + ': ' + fmt(v, true));
        if (cell >= 28) el('text', { x: pad + j * cell + cell / 2, y: pad + i * cell + cell / 2 + 4, 'text-anchor': 'middle', style: share > 0.5 ? 'fill:#fff' : 'fill:#1b1f24' }, svg, fmt(v, true));
      });
    });
    cm.classes.forEach(function (c, j) { el('text', { x: pad + j * cell + cell / 2, y: pad - 8, 'text-anchor': 'middle' }, svg, c); });
  }

  // A table sortable by clicking its headers (numbers numerically, n/a last).
  function sortable(parent, name, columns, rows) {
    var t = el('table', { 'data-table': name }, parent);
    var head = el('tr', {}, el('thead', {}, t));
    var body = el('tbody', {}, t);
    var state = { col: -1, dir: 1 };
    function draw() {
      body.textContent = '';
      rows.forEach(function (r) {
        var tr = el('tr', {}, body);
        r.forEach(function (v, i) { el('td', {}, tr, fmt(v, COUNT_COLUMNS.indexOf(columns[i]) >= 0)); });
      });
    }
    columns.forEach(function (c, i) {
      var th = el('th', { 'class': 'sortable', title: 'sort by ' + c }, head, c);
      th.addEventListener('click', function () {
        state.dir = state.col === i ? -state.dir : 1;
        state.col = i;
        rows.sort(function (a, b) {
          var x = a[i], y = b[i];
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0) * state.dir;
        });
        draw();
      });
    });
    draw();
    return t;
  }

  function perClass() {
    if (!m.perClass) return;
    var grid = section('Per class');
    var ovr = (m.aucRocOvr && m.aucRocOvr.perClass) || {};
    sortable(grid, 'per-class', ['class', 'precision', 'recall', 'F1', 'support', 'AUC (one-vs-rest)'],
      m.perClass.map(function (c) { return [c['class'], c.precision, c.recall, c.f1, c.support, ovr[c['class']] === undefined ? null : ovr[c['class']]]; }));
  }

  function slices() {
    if (!data.slices) return;
    var grid = section('Slices');
    data.slices.forEach(function (g) {
      var f = el('div', {}, grid);
      el('h3', {}, f, g.fields.join(' × '));
      if (g.omitted) { el('p', { 'class': 'note' }, f, 'Left out: ' + g.omitted); return; }
      var names = [];
      g.values.forEach(function (v) { Object.keys(v.metrics).forEach(function (k) { var x = v.metrics[k]; if ((typeof x === 'number' || x === null) && names.indexOf(k) < 0) names.push(k); }); });
      var cols = g.fields.concat(['records']).concat(data.weight !== undefined ? ['weight'] : []).concat(names);
      sortable(f, 'slices', cols, g.values.map(function (v) {
        return g.fields.map(function (k) { return v.slice[k] === null ? 'null' : typeof v.slice[k] === 'object' ? JSON.stringify(v.slice[k]) : v.slice[k]; })
          .concat([v.records]).concat(data.weight !== undefined ? [v.weight] : [])
          .concat(names.map(function (k) { return v.metrics[k]; }));
      }));
    });
  }

  summary();
  if (m.curves || m.calibration || m.scoreHistogram || m.confusionMatrix) {
    var charts = section('Charts');
    curves(charts);
    calibration(charts);
    histogram(charts);
    confusion(charts);
  }
  perClass();
  slices();
  document.body.setAttribute('data-rendered', 'true');
})();
`;
