import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** The evaluation tasks: what a label and a prediction are. */
export type MetricsTask = 'binary' | 'multiclass' | 'regression';

/** Every metric the sink computes (which apply depends on the task, see `TASK_METRICS`). */
export const METRIC_NAMES = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'balancedAccuracy',
  'mcc',
  'aucRoc',
  'aucPr',
  'logLoss',
  'brier',
  'topKAccuracy',
  'precisionAtRecall',
  'recallAtPrecision',
  'meanLabel',
  'meanPrediction',
  'perClass',
  'averages',
  'aucRocOvr',
  'confusionMatrix',
  'calibration',
  'curves',
  'scoreHistogram',
  'mae',
  'mse',
  'rmse',
  'r2',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The metrics each task offers, in report order; also the default list of a task. */
export const TASK_METRICS: Record<MetricsTask, MetricName[]> = {
  binary: [
    'accuracy', 'precision', 'recall', 'f1', 'balancedAccuracy', 'mcc', 'aucRoc', 'aucPr', 'logLoss', 'brier', 'precisionAtRecall', 'recallAtPrecision',
    'meanLabel', 'meanPrediction', 'confusionMatrix', 'calibration', 'curves', 'scoreHistogram',
  ],
  multiclass: ['accuracy', 'topKAccuracy', 'precision', 'recall', 'f1', 'balancedAccuracy', 'mcc', 'logLoss', 'brier', 'aucRocOvr', 'perClass', 'averages', 'confusionMatrix'],
  regression: ['mae', 'mse', 'rmse', 'r2', 'meanLabel', 'meanPrediction'],
};

/** Options of `sink/metrics`. */
export interface MetricsSinkOptions {
  /** The output directory (relative to the config file): `metrics.json` and `metrics.html` are written in it. */
  uri: string;
  /** The forwarded field (`key.forward`) that holds each record's true label. */
  label: string;
  /** `binary` (label 0/1, score = P(1)), `multiclass` (label = class), `regression` (label = number). */
  task: MetricsTask;
  /** The metrics to compute; empty: every metric of the task. */
  metrics: MetricName[];
  /** Binary: a score at or above it counts as positive (accuracy, precision, recall, F1, confusion matrix). */
  threshold: number;
  /** Distinct scores a partition's score table keeps exactly (AUCs, curves); past it the table coarsens and states an error bound. */
  maxScores: number;
  /** Multiclass: the k of top-k accuracy. */
  topK: number;
  /** Multiclass: classes tied with the label's score at the top-k boundary: "index" (lower index first, as post/topk), "include" (all count, as Keras in_top_k). */
  topKTies: 'index' | 'include';
  /** A multi-output model: the output (by name) that holds the prediction to evaluate. */
  output?: string;
  /** Multiclass: class names by index, so an index label and a named prediction (or the reverse) compare. */
  classes?: string[];
  /** A forwarded field holding each record's weight (a number >= 0); every metric is weighted by it. */
  weightField?: string;
  /** Lists of forwarded fields: every metric is also computed per value of each list's fields. */
  slices: string[][];
  /** Most distinct values one slice list may have; past it that list's slices are left out with a message. */
  maxSlices: number;
  /** Binary: points of the ROC and PR curves written (each an exact point of the full curve). */
  curvePoints: number;
  /** Binary: equal-width bins of the calibration table. */
  calibrationBins: number;
  /** Binary: recalls at which to report the best precision (precisionAtRecall). */
  atRecall: number[];
  /** Binary: precisions at which to report the best recall (recallAtPrecision). */
  atPrecision: number[];
  /** Also write metrics.html, a report with charts drawn from metrics.json. */
  html: boolean;
}

/** JSON Schema of `sink/metrics` options, e.g. `{"uri": "out/metrics", "label": "species", "task": "multiclass"}`. */
export const metricsSinkSchema: JSONSchemaType<MetricsSinkOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The output directory (relative to the config file); metrics.json is written in it when every partition is committed.',
    },
    label: {
      type: 'string',
      minLength: 1,
      description: 'The field holding the true label: it must be forwarded by the key stage (key.forward), which copies it from the input record (a JSON/CSV field, or a tf.Example feature as a one-element list).',
    },
    task: {
      type: 'string',
      enum: ['binary', 'multiclass', 'regression'],
      description: 'binary: label 0/1 (or true/false), prediction = P(label 1); multiclass: label = class index or name, prediction = a probability vector, or topk/argmax output; regression: label and prediction are numbers.',
    },
    metrics: {
      type: 'array',
      items: { type: 'string', enum: [...METRIC_NAMES] },
      uniqueItems: true,
      default: [],
      description: `Metrics to compute; empty (the default) means every metric of the task. ${Object.entries(TASK_METRICS).map(([t, ms]) => `${t}: ${ms.join(', ')}`).join('; ')}. See docs/evaluation.md.`,
    },
    threshold: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'binary: a score >= threshold predicts label 1 (accuracy, precision, recall, f1, balancedAccuracy, mcc, confusion matrix).',
    },
    maxScores: {
      type: 'integer',
      minimum: 16,
      maximum: 10000000,
      default: 200000,
      description: 'Distinct scores a score table keeps exactly (AUC-ROC, AUC-PR, curves, one-vs-rest AUC); past it the table groups neighbouring scores and metrics.json states the resulting error bound.',
    },
    topK: { type: 'integer', minimum: 1, default: 5, description: 'multiclass: k of topKAccuracy.' },
    topKTies: {
      type: 'string',
      enum: ['index', 'include'],
      default: 'index',
      description: 'multiclass, probability vectors: classes scoring the same as the label at the top-k boundary. index: lower class index first (as post/topk orders them); include: all of them count as in the top k (Keras/TensorFlow in_top_k).',
    },
    output: { type: 'string', minLength: 1, nullable: true, description: "A multi-output model: the name of the output to evaluate (the prediction is an object by output name)." },
    classes: {
      type: 'array',
      items: { type: 'string' },
      minItems: 2,
      nullable: true,
      description: 'multiclass: class names by index (as given to topk/argmax labels), so that a label given as an index compares with a named prediction, or a named label with a probability vector; a topk output listing every one of them gives the whole distribution (brier, aucRocOvr).',
    },
    weightField: { type: 'string', minLength: 1, nullable: true, description: 'A forwarded field holding each record\'s example weight (a number >= 0): every metric is weighted by it; a record without a valid weight is skipped as bad-weight.' },
    slices: {
      type: 'array',
      items: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true },
      default: [],
      description: 'Lists of forwarded fields, e.g. [["country"], ["country", "device"]]: every metric is also computed for each value (combination) of each list, with counts.',
    },
    maxSlices: { type: 'integer', minimum: 1, default: 1000, description: 'Most distinct values one slice list may have; past it that list is left out of metrics.json with a message (the other lists and the overall metrics are kept).' },
    curvePoints: { type: 'integer', minimum: 2, maximum: 100000, default: 200, description: 'binary: points of the ROC and PR curves written to metrics.json, evenly spaced over the thresholds; each is an exact point of the full curve.' },
    calibrationBins: { type: 'integer', minimum: 1, maximum: 1000, default: 10, description: 'binary: equal-width score bins of the calibration table (as scikit-learn calibration_curve, strategy uniform).' },
    atRecall: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, default: [0.5, 0.8, 0.9], description: 'binary: recalls at which precisionAtRecall reports the best precision of any threshold.' },
    atPrecision: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, default: [0.5, 0.8, 0.9], description: 'binary: precisions at which recallAtPrecision reports the best recall of any threshold.' },
    html: { type: 'boolean', default: true, description: 'Also write metrics.html beside metrics.json: one self-contained page (no network) with the curves, calibration, confusion matrix, score histogram and the slice table.' },
  },
  required: ['uri', 'label', 'task', 'metrics', 'threshold', 'maxScores', 'topK', 'topKTies', 'slices', 'maxSlices', 'curvePoints', 'calibrationBins', 'atRecall', 'atPrecision', 'html'],
  additionalProperties: false,
};

/** `sink/metrics` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const metricsSinkMeta: StageMeta<'sink'> = {
  kind: 'sink',
  type: 'metrics',
  summary: 'Evaluates predictions against a forwarded label (binary, multiclass, regression), overall and per slice: exact AUCs, curves, calibration, per-class metrics, from mergeable per-partition states merged into metrics.json, metrics.html and a table at the end of the run.',
  optionsSchema: metricsSinkSchema,
  aggregates: true,
};
