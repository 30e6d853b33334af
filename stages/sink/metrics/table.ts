import type { MetricName } from './schema.js';
import type { MetricsResult } from './compute.js';

/** How each metric is named in the printed table. */
const TITLES: Record<MetricName, string> = {
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1',
  aucRoc: 'AUC-ROC',
  aucPr: 'AUC-PR',
  logLoss: 'log-loss',
  topKAccuracy: 'top-k accuracy',
  confusionMatrix: 'confusion matrix',
  mae: 'MAE',
  mse: 'MSE',
  rmse: 'RMSE',
  r2: 'R²',
};

const n = (x: number) => x.toLocaleString('en-US');
const figure = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : 'n/a');

/**
 * The metrics as lines for the terminal: one line per figure, then the confusion matrix
 * (rows: label, columns: predicted).
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
    if (name === 'confusionMatrix') continue;
    let title = TITLES[name];
    if (name === 'topKAccuracy') title = `top-${r.params.topK} accuracy`;
    if (name === 'precision' || name === 'recall' || name === 'f1') title += macro;
    if (r.task === 'binary' && (name === 'precision' || name === 'recall' || name === 'f1' || name === 'accuracy')) title += ` @${r.params.threshold}`;
    const bound = r.errorBounds?.[name as 'aucRoc' | 'aucPr'];
    const note = typeof bound === 'number' ? `  (± ${bound.toExponential(1)}: ${n(r.params.thresholds!)}-bin histogram)` : r.unavailable?.[name] ? `  (${r.unavailable[name]})` : '';
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
  return lines;
}
