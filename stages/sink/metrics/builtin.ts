/**
 * The built-in metrics as one aggregation a prediction spec can declare among its `metrics`
 * (`{ builtin: { task: 'multiclass', label: 'species', metrics: ['accuracy'] } }`): the metrics
 * sink's options without `uri`, checked by its schema (defaults filled in) and its config
 * checks, its mergeable state, and `metrics.json`'s figures as the result.
 */
import type { Json, Row, StageContext } from '../../../src/sdk.js';
import { createAjv } from '../../../src/config/ajv.js';
import { overRows, type Aggregation } from '../aggregation.js';
import { computeMetrics } from './compute.js';
import metricsSink, { requestedMetrics } from './index.js';
import { metricsSinkSchema, type MetricsSinkOptions } from './schema.js';
import { metricsAggregation } from './sliced.js';

/** What a spec writes: the metrics sink's options (its defaults apply), without `uri`. */
export type BuiltinMetricsOptions = Partial<Omit<MetricsSinkOptions, 'uri' | 'task' | 'label'>> & Pick<MetricsSinkOptions, 'task' | 'label'>;

/** The options with defaults filled in, or the schema's complaints (`<where>/<option>: message`). */
export function builtinOptions(given: BuiltinMetricsOptions, where: string): { options?: MetricsSinkOptions; problems: string[] } {
  const options = { ...structuredClone(given), uri: '-' } as unknown as MetricsSinkOptions;
  const validate = createAjv().compile(metricsSinkSchema);
  if (validate(options)) return { options, problems: [] };
  return { problems: (validate.errors ?? []).map((e) => `${where}${e.instancePath}: ${e.message}`) };
}

/** Config problems of a spec's built-in metrics: the schema's, then the metrics sink's own checks (the label is forwarded…). */
export async function builtinProblems(given: BuiltinMetricsOptions, where: string, ctx: StageContext): Promise<string[]> {
  const { options, problems } = builtinOptions(given, where);
  if (!options) return problems;
  return (await metricsSink.check!(options, { ...ctx, path: where })).map(String);
}

/** The built-in metrics over batches of rows; the result is what `metrics.json` holds. */
export function builtinAggregation(options: MetricsSinkOptions): Aggregation<unknown, Row[], Json> {
  const agg = overRows(metricsAggregation(options));
  return { ...agg, result: (state) => computeMetrics(agg.result(state as never), requestedMetrics(options), options) as unknown as Json } as Aggregation<unknown, Row[], Json>;
}
