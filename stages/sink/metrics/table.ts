import type { MetricName } from './schema.js';
import type { MetricsResult } from './compute.js';

/** How each scalar metric is named in the printed table (the others are in metrics.json and metrics.html). */
const TITLES: Partial<Record<MetricName, string>> = {
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1',
  balancedAccuracy: 'balanced accuracy',
  mcc: 'MCC',
  aucRoc: 'AUC-ROC',
  aucPr: 'AUC-PR (AP)',
  logLoss: 'log-loss',
  brier: 'Brier score',
  topKAccuracy: 'top-k accuracy',
  meanLabel: 'mean label',
  meanPrediction: 'mean prediction',
  mae: 'MAE',
  mse: 'MSE',
  rmse: 'RMSE',
  r2: 'R²',
};

const n = (x: number) => x.toLocaleString('en-US');
const figure = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : 'n/a');

/**
 * How exact a bounded figure is, readably: "exact", or the interval the exact value lies in
 * (clipped to [0, 1]) with the reason, e.g. "exact value in [0.8101, 0.8363]: scores grouped".
 */
export function exactness(value: unknown, bound: number | null | undefined): string {
  if (typeof value !== 'number' || typeof bound !== 'number') return '';
  if (bound === 0) return '  (exact)';
  const lo = Math.max(0, value - bound);
  const hi = Math.min(1, value + bound);
  return `  (exact value in [${lo.toFixed(4)}, ${hi.toFixed(4)}]: more distinct scores than maxScores, neighbours grouped)`;
}

/**
 * The metrics as lines for the terminal: one line per scalar figure, then the confusion matrix
 * (rows: label, columns: predicted), then how many slices metrics.json holds.
 *
 * @example
 * formatMetrics(result, 'out/metrics/metrics.json')
 * // ['metrics: multiclass on "image_class", 1,000 records → out/metrics/metrics.json', '  accuracy          0.9310', …]
 */
export function formatMetrics(r: MetricsResult, file: string): string[] {
  const lines = [`metrics: ${r.task} on "${r.label}", ${n(r.records)} record${r.records === 1 ? '' : 's'} → ${file}`];
  const skipped = Object.entries(r.skipped);
  if (skipped.length) lines.push(`  skipped           ${skipped.map(([why, count]) => `${why} ${n(count)}`).join(', ')}`);
  const macro = r.task === 'multiclass' ? ' (macro)' : '';
  for (const [name, value] of Object.entries(r.metrics) as [MetricName, unknown][]) {
    if (name === 'precisionAtRecall' || name === 'recallAtPrecision') {
      const [what, at] = name === 'precisionAtRecall' ? ['precision', 'recall'] : ['recall', 'precision'];
      for (const [level, v] of Object.entries((value ?? {}) as Record<string, unknown>)) lines.push(`  ${`${what} @${at}≥${level}`.padEnd(18)}${figure(v)}`);
      continue;
    }
    if (name === 'aucRocOvr') {
      const ovr = value as { macro: number | null } | null;
      lines.push(`  ${'AUC-ROC (OvR)'.padEnd(18)}${figure(ovr?.macro)}${exactness(ovr?.macro, r.errorBounds?.aucRocOvr)}`);
      continue;
    }
    let title = TITLES[name];
    if (!title) continue;
    if (name === 'topKAccuracy') title = `top-${r.params.topK} accuracy`;
    if (name === 'precision' || name === 'recall' || name === 'f1') title += macro;
    if (r.task === 'binary' && ['precision', 'recall', 'f1', 'accuracy', 'balancedAccuracy', 'mcc'].includes(name)) title += ` @${r.params.threshold}`;
    const note = r.errorBounds && name in r.errorBounds ? exactness(value, r.errorBounds[name]) : r.unavailable?.[name] ? `  (${r.unavailable[name]})` : '';
    lines.push(`  ${title.padEnd(18)}${figure(value)}${note}`);
  }
  const cm = r.metrics.confusionMatrix as { classes: string[]; matrix: number[][] } | undefined;
  if (cm && cm.classes.length) {
    lines.push('  confusion matrix (rows: label, columns: predicted)');
    const width = Math.max(...cm.classes.map((c) => c.length), ...cm.matrix.flat().map((v) => String(v).length));
    const head = Math.max(...cm.classes.map((c) => c.length));
    lines.push(`    ${''.padEnd(head)} ${cm.classes.map((c) => c.padStart(width)).join(' ')}`);
    cm.classes.forEach((c, i) => lines.push(`    ${c.padEnd(head)} ${cm.matrix[i]!.map((v) => String(v).padStart(width)).join(' ')}`));
  }
  for (const g of r.slices ?? []) {
    lines.push(g.omitted ? `  slices ${g.fields.join(' × ')}: left out (${g.omitted})` : `  slices ${g.fields.join(' × ')}: ${n(g.values!.length)} in metrics.json`);
  }
  return lines;
}
