/**
 * metrics.html in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run)
 * opens the report of a binary run with slices and of a multiclass run, each from a file with
 * no network; the test checks every chart rendered from the embedded metrics.json (curves with
 * their points, calibration dots, histogram bars, confusion cells, sortable tables), that no
 * console error or request left the page, and saves a screenshot next to the report in
 * $TMPDIR/sluice-metrics-report/ (its path is printed as a test diagnostic). Skips with a reason where Chromium is absent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// playwright-core is a test-only package (test-deps/): resolved at run time, typed loosely here.
type BrowserContext = any;
type Page = any;
import metricsSink from '../../stages/sink/metrics/index.js';
import { mergeAll } from '../../stages/sink/aggregation.js';
import { computeMetrics } from '../../stages/sink/metrics/compute.js';
import { renderReport } from '../../stages/sink/metrics/report.js';
import { metricsAggregation } from '../../stages/sink/metrics/sliced.js';
import { TASK_METRICS, type MetricsSinkOptions } from '../../stages/sink/metrics/schema.js';
import { withDefaults } from '../helpers/run-stage.js';
import { randomFloats } from '../model/helpers.js';

const CHROMIUM = process.env.SLUICE_CHROMIUM || '/usr/bin/chromium';
// Loaded here so that a test install without it skips too.
const PLAYWRIGHT = 'playwright-core';
const playwright: any = await import(PLAYWRIGHT).catch(() => null);
const skip = !playwright
  ? 'needs the playwright-core package (npm run test:deps)'
  : fs.existsSync(CHROMIUM)
    ? false
    : `needs Chromium at ${CHROMIUM} (apt-get install chromium, or set SLUICE_CHROMIUM)`;
/** Reports and screenshots of the last run stay here to look at; the browser profile is removed. */
const dir = path.join(os.tmpdir(), 'sluice-metrics-report');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chromium-profile-'));
let browser: BrowserContext | undefined;

after(async () => {
  await browser?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

/** A report of seeded rows for `task`, written to `dir`; returns its path. */
function report(task: 'binary' | 'multiclass'): string {
  const o = withDefaults<MetricsSinkOptions>(metricsSink, {
    uri: 'm',
    label: 'y',
    task,
    slices: [['country'], ['country', 'device']],
    ...(task === 'multiclass' && { classes: ['cat', 'dog', 'bird', 'fish'] }),
  });
  const agg = metricsAggregation(o);
  const r = randomFloats(4000 * 6, 11);
  const states = [0, 1, 2].map(() => agg.init());
  for (let i = 0; i < 4000; i++) {
    const u = (j: number) => r[i * 6 + j]!;
    const y = u(0) < 0.2 ? 1 : 0;
    const kind = Math.floor(u(0) * 4);
    const scores = [0, 1, 2, 3].map((c) => Math.exp((c === kind ? 1.5 : 0) + u(1 + c) * 2));
    const total = scores.reduce((a, b) => a + b, 0);
    const row = {
      key: String(i),
      y: task === 'binary' ? y : kind,
      country: ['us', 'de', 'fr', 'jp', 'br'][Math.floor(u(5) * 5)]!,
      device: u(4) < 0.6 ? 'mobile' : 'desktop',
      prediction: task === 'binary' ? Math.fround(Math.min(1, Math.max(0, 0.3 + 0.3 * y + (u(1) - 0.5) * 0.8))) : scores.map((s) => Math.fround(s / total)),
    };
    agg.update(states[i % 3]!, row);
  }
  const result = computeMetrics(mergeAll(agg, states), TASK_METRICS[task], o);
  const file = path.join(dir, `${task}-metrics.html`);
  fs.writeFileSync(file, renderReport(result));
  return file;
}

async function open(file: string) {
  // A new, empty profile (playwright passes it as --user-data-dir).
  browser ??= await playwright!.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m: any) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err: any) => problems.push(`page error: ${err.message}`));
  page.on('request', (req: any) => {
    if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 10_000 });
  return { page, problems };
}

const count = (page: Page, selector: string) => page.locator(selector).count();

test('binary report: ROC and PR curves, calibration, histogram, confusion heat map and a sortable slice table render in Chromium', { skip }, async (t) => {
  const file = report('binary');
  const { page, problems } = await open(file);
  const points = async (series: string) => ((await page.getAttribute(`polyline[data-series="${series}"]`, 'points')) ?? '').trim().split(/\s+/).length;
  assert.ok((await points('roc')) > 100, 'the ROC curve has its points');
  assert.ok((await points('pr')) > 100, 'the PR curve has its points');
  assert.equal(await count(page, 'svg[data-chart="calibration"] circle'), 10);
  assert.equal(await count(page, 'svg[data-chart="histogram"] rect[data-bar="positive"]'), 20);
  assert.equal(await count(page, 'svg[data-chart="confusion"] rect[data-cell]'), 4);
  assert.equal(await count(page, 'table[data-table="slices"]'), 2);
  assert.equal(await count(page, 'table[data-table="slices"] >> nth=1 >> tbody tr'), 10, 'country × device: 5 × 2 slices');
  // Sorting by a metric column orders the rows by it, and a second click reverses them.
  const table = page.locator('table[data-table="slices"]').first();
  const column = async (i: number) => (await table.locator(`tbody tr td:nth-child(${i})`).allTextContents()).map(Number);
  await table.locator('th', { hasText: /^aucRoc$/ }).click();
  const headers = await table.locator('th').allTextContents();
  const auc = headers.indexOf('aucRoc') + 1;
  const ascending = await column(auc);
  assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
  await table.locator('th', { hasText: /^aucRoc$/ }).click();
  assert.deepEqual(await column(auc), [...ascending].reverse());
  const shot = path.join(dir, 'binary-metrics.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('multiclass report: confusion heat map with class names and the per-class table render in Chromium', { skip }, async (t) => {
  const { page, problems } = await open(report('multiclass'));
  assert.equal(await count(page, 'svg[data-chart="confusion"] rect[data-cell]'), 16);
  assert.equal(await count(page, 'table[data-table="per-class"] tbody tr'), 4);
  assert.deepEqual(await page.locator('table[data-table="per-class"] tbody tr td:first-child').allTextContents(), ['cat', 'dog', 'bird', 'fish']);
  const shot = path.join(dir, 'multiclass-metrics.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  assert.deepEqual(problems, []);
  await page.close();
});
