import { defineStage, type StageContext, type Json } from '../../../src/sdk.js';
import { joinUri } from '../../../src/storage/index.js';
import { aggregationWriter, mergeCommitted, overRows } from '../aggregation.js';
import { computeMetrics } from './compute.js';
import { renderReport } from './report.js';
import { metricsAggregation } from './sliced.js';
import { formatMetrics } from './table.js';
import { TASK_METRICS, metricsSinkMeta, type MetricName, type MetricsSinkOptions } from './schema.js';

/** The extension of a partition's state file: `part-00007-of-00032.metrics-state.json` beside metrics.json. */
export const STATE_EXT = 'metrics-state.json';

/** The metrics a config asks for: its list, or every metric of the task when the list is empty. */
export function requestedMetrics(options: Pick<MetricsSinkOptions, 'task' | 'metrics'>): MetricName[] {
  return options.metrics.length ? options.metrics : TASK_METRICS[options.task];
}

/** Config problems no schema can see: the label must be forwarded; each metric must fit the task. */
function problems(options: MetricsSinkOptions, ctx: StageContext): string[] {
  const out: string[] = [];
  if (!ctx.forward.includes(options.label)) {
    out.push(
      `${ctx.path}/label: "${options.label}" is not a forwarded field; add it to /key/forward (the metrics sink reads the label from the prediction row)` +
        (ctx.forward.length ? `; forwarded: ${ctx.forward.join(', ')}` : ''),
    );
  }
  options.metrics.forEach((m, i) => {
    if (!TASK_METRICS[options.task].includes(m)) {
      out.push(`${ctx.path}/metrics/${i}: "${m}" is not a ${options.task} metric (${options.task}: ${TASK_METRICS[options.task].join(', ')})`);
    }
  });
  if (options.classes && options.task !== 'multiclass') out.push(`${ctx.path}/classes: applies to task "multiclass" only, not "${options.task}"`);
  const forwarded = (field: string, where: string) => {
    if (!ctx.forward.includes(field)) out.push(`${ctx.path}/${where}: "${field}" is not a forwarded field; add it to /key/forward`);
  };
  if (options.weightField !== undefined) forwarded(options.weightField, 'weightField');
  options.slices.forEach((fields, i) => fields.forEach((f, j) => forwarded(f, `slices/${i}/${j}`)));
  return out;
}

/** The defaults of the options the examples below do not set. */
const DEFAULTS = {
  metrics: [] as MetricName[],
  threshold: 0.5,
  maxScores: 200000,
  topK: 5,
  topKTies: 'index' as const,
  slices: [] as string[][],
  maxSlices: 1000,
  curvePoints: 200,
  calibrationBins: 10,
  atRecall: [0.5, 0.8, 0.9],
  atPrecision: [0.5, 0.8, 0.9],
  html: true,
};

/**
 * `sink/metrics`: evaluates the predictions against a label forwarded with each record. Each
 * partition accumulates a mergeable state (counts, per-score tables, exact sums; overall and
 * per slice) that is committed with the partition as a file beside its outputs; when the run is
 * complete the states are merged, and `metrics.json` and `metrics.html` are written in `uri`
 * and a table is printed. See docs/evaluation.md. Use it beside a prediction sink
 * (`sink` is a list): one pass writes the predictions and the exact global metrics.
 *
 * @example
 * "key":  { "type": "position", "forward": ["image_class"] },
 * "sink": [ { "type": "jsonl", "uri": "out/predictions" },
 *           { "type": "metrics", "uri": "out/metrics", "label": "image_class", "task": "multiclass" } ]
 */
export default defineStage<MetricsSinkOptions>()({
  ...metricsSinkMeta,
  examples: [
    { ...DEFAULTS, uri: 'out/metrics', label: 'image_class', task: 'multiclass', metrics: ['accuracy', 'topKAccuracy', 'logLoss', 'confusionMatrix'], topK: 3 },
    { ...DEFAULTS, uri: 'out/metrics', label: 'clicked', task: 'binary', slices: [['country'], ['country', 'device']] },
    { ...DEFAULTS, uri: 'out/metrics', label: 'price', task: 'regression', metrics: ['mae', 'rmse', 'r2'], weightField: 'weight' },
  ],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  check: async (options, ctx) => problems(options, ctx),
  create(options, ctx) {
    const agg = overRows(metricsAggregation(options));
    const dir = ctx.resolve(options.uri);
    return { open: (part) => aggregationWriter(agg, part, dir, STATE_EXT) };
  },
  async finish(options, refs, ctx) {
    const agg = metricsAggregation(options);
    const dir = ctx.resolve(options.uri);
    const result = computeMetrics(agg.result(await mergeCommitted(agg, refs, ctx.storage, dir)), requestedMetrics(options), options);
    const file = joinUri(dir, 'metrics.json');
    const text = JSON.stringify(result, null, 2) + '\n';
    await ctx.storage.writeAtomic(file, text);
    const lines = formatMetrics(result, ctx.displayName(file));
    if (options.html) {
      const html = joinUri(dir, 'metrics.html');
      await ctx.storage.writeAtomic(html, renderReport(result));
      lines.push(`  report            ${ctx.displayName(html)}`);
    }
    return { lines, result: { file, ...result } as unknown as Json };
  },
});
