/**
 * Prediction specs (ElasticDL's model spec): one class owns the model, the decode function
 * (`training = false`: no augmentation), optional post-processing and the output row, so state
 * such as a label vocabulary is shared as class members instead of module globals.
 *
 * `defineSpec(MySpec)` checks the class when its module is imported (a missing member is
 * reported then, while the graph is built, not halfway through a run) and turns one instance
 * per thread into three stages, decode, model and post, that a config or the builder names by
 * the module's path, like any user stage.
 */
import { defineStage, type FeatureSpecMap, type StageDefinition, type TransformInstance } from '../core/stage.js';
import type { Instance, Json, Key, KeyedInstance, Prediction, RawRecord } from '../core/types.js';
import { mapRecords } from '../core/stream.js';
import { checkFeatureSpecs, compileFeatures } from '../core/features.js';
import tfjsModel from '../../stages/model/tfjs/index.js';
import { tfjsSchema, type TfjsOptions } from '../../stages/model/tfjs/schema.js';
import { decodeJsonRecord } from '../../stages/decode/json/index.js';
import { aggregationWriter, combine, mergeCommitted } from '../../stages/sink/aggregation.js';
import { aggregationProblem, fromUser, requireJson, type UserAggregation } from '../../stages/sink/aggregate/user-aggregation.js';
import { reportResult } from '../../stages/sink/aggregate/index.js';
import { builtinAggregation, builtinOptions, builtinProblems, type BuiltinMetricsOptions } from '../../stages/sink/metrics/builtin.js';

/** A spec's metric: its own aggregation, or the built-in metrics with the metrics sink's options (without `uri`). */
export type SpecMetric = UserAggregation | { builtin: BuiltinMetricsOptions };
const isBuiltin = (m: SpecMetric): m is { builtin: BuiltinMetricsOptions } => 'builtin' in m && typeof (m as { init?: unknown }).init !== 'function';

/** What post-processing and the output row see of a record beside its prediction. */
export interface SpecContext {
  key: Key;
  /** The forwarded input fields. */
  forward: Record<string, unknown>;
}

/**
 * Subclass it, fill in the abstract members, and export `defineSpec(YourSpec)` as the module's
 * default export.
 *
 * @example
 * class IrisSpec extends PredictionSpec {
 *   readonly labels = ['setosa', 'versicolor', 'virginica'];
 *   readonly model = 'model/model.json';
 *   readonly features = { measurements: { dtype: 'float32', shape: [4] } } as const;
 *   decode(record) { return { measurements: record.measurements }; }
 *   output(p) { const v = p as number[]; const i = v.indexOf(Math.max(...v)); return { class: this.labels[i]!, score: v[i]! }; }
 * }
 * export default defineSpec(IrisSpec);
 */
export abstract class PredictionSpec {
  /** The model's JSON (LayersModel or GraphModel), relative to the pipeline's directory, or a file: URL. */
  abstract readonly model: string;
  /** The features `decode` returns (dtype, shape): mapped to the model's inputs and checked against its signature. */
  abstract readonly features: FeatureSpecMap;
  /**
   * One input record (a parsed JSON object, or a CSV/Parquet row) → its feature values by name
   * (numbers or nested arrays). Prediction never augments: `training` is always false.
   * What it throws becomes a Failure of the record at stage decode.
   */
  abstract decode(record: Record<string, unknown>, training: false): Record<string, unknown>;
  /** Optional: reshapes the model's output for one record (e.g. scores → top-k labels). */
  postprocess?(outputs: Json, context: SpecContext): Json;
  /** The `prediction` written in the output row for one record (after `postprocess`). */
  abstract output(prediction: Json, context: SpecContext): Json;
  /** Optional: async set-up run once per worker thread before the first record (e.g. read a vocabulary file). */
  init?(): Promise<void> | void;
  /**
   * Optional: aggregations over the output rows, by name (`init`, `update(state, rows)`,
   * `merge(a, b)`, `result(state)` over a JSON state; see docs/aggregations.md). They run in the
   * same partitions as the predictions, after `init` (so they may use what it set up: define
   * them with arrow functions, which see `this`), when the config lists the spec as a sink:
   * `{"type": "./my-spec.js", "uri": "out/metrics"}` writes `<name>.json` there for each.
   * `{ builtin: { task: 'multiclass', label: 'species', metrics: ['accuracy'] } }` is the
   * metrics sink's evaluation (its options without `uri`), merged the same way.
   */
  metrics?: Record<string, SpecMetric>;
}

/** Members a spec must have, with what each is for (the message lists what is missing). */
const MEMBERS: [string, 'string' | 'object' | 'function', string][] = [
  ['model', 'string', 'the model URI'],
  ['features', 'object', 'the feature specs'],
  ['decode', 'function', 'record → features'],
  ['output', 'function', 'the output row'],
];

/** Options a spec's model stage takes in the config (the URI comes from the spec). */
export type SpecModelOptions = Omit<TfjsOptions, 'uri'>;

const { uri: _uri, ...modelProperties } = tfjsSchema.properties;
const specModelSchema = { type: 'object', properties: modelProperties, additionalProperties: false } as const;
const noOptions = { type: 'object', properties: {}, additionalProperties: false } as const;

/**
 * Checks a spec class and returns its three stages (decode, model, post) sharing one instance.
 * Throws at once, naming every missing member.
 *
 * @example
 * export default defineSpec(IrisSpec);
 * // pipeline.json: "decode": {"type": "./iris-spec.js"}, "model": {"type": "./iris-spec.js"}, "post": [{"type": "./iris-spec.js"}]
 */
export function defineSpec(SpecClass: new () => PredictionSpec): StageDefinition[] {
  const name = SpecClass.name || 'spec';
  const spec = new SpecClass();
  const missing = MEMBERS.filter(([m, type]) => typeof (spec as any)[m] !== type || (spec as any)[m] === null).map(([m, type, what]) => `${m}${type === 'function' ? '()' : ''} (${what})`);
  if (missing.length) throw new Error(`prediction spec ${name} is missing ${missing.join(', ')}`);
  let ready: Promise<void> | undefined;
  const init = () => (ready ??= Promise.resolve(spec.init?.()));
  const context = (p: Prediction): SpecContext => ({ key: p.key, forward: p.forward });

  const decode = defineStage<Record<string, never>>()({
    kind: 'decode',
    type: name,
    summary: `Decodes records with ${name}.decode (training=false).`,
    optionsSchema: noOptions,
    features: () => spec.features,
    check: async (_options, ctx) => checkFeatureSpecs(spec.features, `${ctx.path} (${name}.features)`),
    async create(_options, ctx): Promise<TransformInstance<RawRecord, Instance>> {
      await init();
      const features = compileFeatures(spec.features, 'json', `${ctx.path} (${name}.features)`);
      return { transform: mapRecords<RawRecord, Instance>('decode', (r) => decodeJsonRecord(r, (fields) => features(spec.decode(fields, false) as Record<string, unknown>))) };
    },
  });
  const withUri = (options: SpecModelOptions): TfjsOptions => ({ ...options, uri: spec.model });
  const model = defineStage<SpecModelOptions>()({
    kind: 'model',
    type: name,
    summary: `Runs ${name}.model (a TensorFlow.js model) on batches of instances.`,
    optionsSchema: specModelSchema,
    check: (options, ctx) => tfjsModel.check!(withUri(options), ctx),
    describe: (options, ctx) => tfjsModel.describe!(withUri(options), ctx),
    create: (options, ctx) => tfjsModel.create(withUri(options), ctx) as Promise<TransformInstance<KeyedInstance, Prediction>>,
  });
  const post = defineStage<Record<string, never>>()({
    kind: 'post',
    type: name,
    summary: `Post-processes with ${name}.postprocess and writes ${name}.output.`,
    optionsSchema: noOptions,
    async create(): Promise<TransformInstance<Prediction, Prediction>> {
      await init();
      return {
        transform: mapRecords<Prediction, Prediction>('post', (p) => {
          const c = context(p);
          const value = spec.postprocess ? spec.postprocess(p.prediction, c) : p.prediction;
          const prediction = spec.output(value, c);
          if (prediction === undefined) throw new Error(`${name}.output() returned undefined; return the prediction to write`);
          return { ...p, prediction };
        }),
      };
    },
  });
  const metrics = () => Object.entries(spec.metrics ?? {});
  const metricsAggregation = () =>
    combine(
      Object.fromEntries(
        metrics().map(([m, agg]) => [m, isBuiltin(agg) ? builtinAggregation(builtinOptions(agg.builtin, m).options!) : fromUser(agg, `${name}.metrics.${m}`)]),
      ),
    );
  const sink = defineStage<{ uri: string }>()({
    kind: 'sink',
    type: name,
    summary: `Runs ${name}.metrics over the output rows; writes <name>.json for each in uri.`,
    optionsSchema: specSinkSchema,
    outputDir: (options, ctx) => ctx.resolve(options.uri),
    // Each metric is an aggregation whose empty state is plain JSON: a config error otherwise.
    async check(_options, ctx) {
      await init();
      if (metrics().length === 0) return [`${ctx.path}/type: prediction spec ${name} declares no metrics; add a metrics member or remove this sink`];
      const problems = await Promise.all(metrics().map(async ([m, agg]) => (isBuiltin(agg) ? builtinProblems(agg.builtin, `${ctx.path} (${name}.metrics.${m}.builtin)`, ctx) : [])));
      return problems.flat().concat(metrics().flatMap(([m, agg]) => {
        if (isBuiltin(agg)) return [];
        const where = `${name}.metrics.${m}`;
        const problem = aggregationProblem(agg);
        if (problem) return [`${ctx.path}/type: aggregation ${where} ${problem}`];
        try {
          requireJson(where, 'init', agg.init());
          return [];
        } catch (err) {
          return [`${ctx.path}/type: ${(err as Error).message}`];
        }
      }));
    },
    async create(options, ctx) {
      await init();
      const agg = metricsAggregation();
      const dir = ctx.resolve(options.uri);
      return { open: (part) => aggregationWriter(agg, part, dir, 'spec-metrics-state.json') };
    },
    async finish(options, refs, ctx) {
      await init();
      const agg = metricsAggregation();
      const dir = ctx.resolve(options.uri);
      const results = agg.result(await mergeCommitted(agg, refs, ctx.storage, dir));
      const lines: string[] = [];
      const files: Record<string, Json> = {};
      for (const [m, result] of Object.entries(results)) {
        const { file, line } = await reportResult(m, dir, result, ctx);
        lines.push(line);
        files[m] = file;
      }
      return { lines, result: { files, ...results } };
    },
  });
  return [decode, model, post, sink];
}

const specSinkSchema = {
  type: 'object',
  properties: { uri: { type: 'string', minLength: 1, description: 'The directory the spec\'s metrics are written to (<name>.json each).' } },
  required: ['uri'],
  additionalProperties: false,
} as const;
