import { defineStage, type Row, type StageContext, type Json } from '../../../src/sdk.js';
import { joinUri } from '../../../src/storage/index.js';
import { computeMetrics } from './compute.js';
import { readRow } from './read.js';
import { addBinary, addMulticlass, addRegression, emptyState, mergeStates, skip, type MetricsState } from './state.js';
import { formatMetrics } from './table.js';
import { TASK_METRICS, metricsSinkSchema, type MetricName, type MetricsSinkOptions } from './schema.js';

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
  return out;
}

/** Adds a batch of prediction rows to a partition's state. */
function addRows(state: MetricsState, rows: Row[], options: MetricsSinkOptions): void {
  const read = { label: options.label, output: options.output, topK: options.topK, classes: options.classes };
  for (const row of rows) {
    if (options.task === 'binary') {
      const o = readRow('binary', row, read);
      if (typeof o === 'string') skip(state, o);
      else addBinary(state, o);
    } else if (options.task === 'multiclass') {
      const o = readRow('multiclass', row, read);
      if (typeof o === 'string') skip(state, o);
      else addMulticlass(state, o);
    } else {
      const o = readRow('regression', row, read);
      if (typeof o === 'string') skip(state, o);
      else addRegression(state, o);
    }
  }
}

/**
 * `sink/metrics`: evaluates the predictions against a label forwarded with each record. Each
 * partition accumulates a mergeable state (counts, score histograms, exact sums) that is
 * committed with the partition; when the run is complete the states are merged, and
 * `metrics.json` is written in `uri` and printed as a table. Use it beside a prediction sink
 * (`sink` is a list): one pass writes the predictions and the exact global metrics.
 *
 * @example
 * "key":  { "type": "position", "forward": ["image_class"] },
 * "sink": [ { "type": "jsonl", "uri": "out/predictions" },
 *           { "type": "metrics", "uri": "out/metrics", "label": "image_class", "task": "multiclass" } ]
 */
export default defineStage<MetricsSinkOptions>()({
  kind: 'sink',
  type: 'metrics',
  summary:
    'Evaluates predictions against a forwarded label (binary, multiclass, regression): mergeable per-partition states, merged exactly into metrics.json and a table at the end of the run.',
  optionsSchema: metricsSinkSchema,
  accepts: 'Prediction',
  emits: 'Rows',
  examples: [
    { uri: 'out/metrics', label: 'image_class', task: 'multiclass', metrics: ['accuracy', 'topKAccuracy', 'logLoss', 'confusionMatrix'], threshold: 0.5, thresholds: 1000, topK: 3 },
    { uri: 'out/metrics', label: 'clicked', task: 'binary', metrics: [], threshold: 0.5, thresholds: 1000, topK: 5 },
    { uri: 'out/metrics', label: 'price', task: 'regression', metrics: ['mae', 'rmse', 'r2'], threshold: 0.5, thresholds: 1000, topK: 5 },
  ],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  check: async (options, ctx) => problems(options, ctx),
  create(options) {
    const params = { threshold: options.threshold, thresholds: options.thresholds, topK: options.topK };
    return {
      open() {
        const state = emptyState(options.task, params);
        return {
          write: (rows) => addRows(state, rows, options),
          // The partition's state: the engine commits it in the partition's manifest entry.
          end: async () => state as unknown as Json,
        };
      },
    };
  },
  async finish(options, states, ctx) {
    const merged = mergeStates(states as unknown as MetricsState[]);
    const result = computeMetrics(merged, requestedMetrics(options), options.label, options.classes);
    const file = joinUri(ctx.resolve(options.uri), 'metrics.json');
    await ctx.storage.writeAtomic(file, JSON.stringify(result, null, 2) + '\n');
    return { lines: formatMetrics(result, ctx.displayName(file)), result: { file, ...result } as unknown as Json };
  },
});
