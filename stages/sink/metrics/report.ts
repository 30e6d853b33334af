/**
 * metrics.html: one self-contained page (no network, no library) drawn in the browser from the
 * metrics.json result embedded in it. The charts are plain SVG made by the small script below
 * (report-script.ts): ROC and PR curves, the calibration plot, the confusion-matrix heat map,
 * the score histogram by label, the per-class table and the sortable slice table. Plain SVG
 * keeps the page small (a charting library would be ~100× the data of a typical report) and
 * readable offline for years.
 */
import type { MetricsResult } from './compute.js';
import { REPORT_SCRIPT } from './report-script.js';

/** JSON safe inside a <script> element: `<` escaped, so no `</script>` can close it early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.sub { color: #57606a; margin-bottom: 16px; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #d0d7de; text-align: right; }
th { background: #f6f8fa; } td:first-child, th:first-child { text-align: left; }
th.sortable { cursor: pointer; user-select: none; } th.sortable:hover { background: #eaeef2; }
.note { color: #57606a; font-size: 12px; max-width: 60em; }
svg text { font: 11px system-ui, sans-serif; fill: #1b1f24; }
.axis line, .axis path { stroke: #8c959f; }
`;

/** The page for a metrics result. */
export function renderReport(result: MetricsResult): string {
  const title = `Sluice metrics: ${result.task} on "${result.label}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="sub" id="subtitle"></div>
<div id="report"></div>
<script type="application/json" id="metrics-data">${scriptJson(result)}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}
