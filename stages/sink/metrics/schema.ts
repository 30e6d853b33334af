import type { JSONSchemaType } from 'ajv';

/** The evaluation tasks: what a label and a prediction are. */
export type MetricsTask = 'binary' | 'multiclass' | 'regression';

/** Every metric the sink computes (which apply depends on the task, see `TASK_METRICS`). */
export type MetricName =
  | 'accuracy'
  | 'precision'
  | 'recall'
  | 'f1'
  | 'aucRoc'
  | 'aucPr'
  | 'logLoss'
  | 'topKAccuracy'
  | 'confusionMatrix'
  | 'mae'
  | 'mse'
  | 'rmse'
  | 'r2';

/** The metrics each task offers, in report order; also the default list of a task. */
export const TASK_METRICS: Record<MetricsTask, MetricName[]> = {
  binary: ['accuracy', 'precision', 'recall', 'f1', 'aucRoc', 'aucPr', 'logLoss', 'confusionMatrix'],
  multiclass: ['accuracy', 'topKAccuracy', 'precision', 'recall', 'f1', 'logLoss', 'confusionMatrix'],
  regression: ['mae', 'mse', 'rmse', 'r2'],
};

/** Options of `sink/metrics`. */
export interface MetricsSinkOptions {
  /** The output directory (relative to the config file): `metrics.json` is written in it. */
  uri: string;
  /** The forwarded field (`key.forward`) that holds each record's true label. */
  label: string;
  /** `binary` (label 0/1, score = P(1)), `multiclass` (label = class), `regression` (label = number). */
  task: MetricsTask;
  /** The metrics to compute; empty: every metric of the task. */
  metrics: MetricName[];
  /** Binary: a score at or above it counts as positive (accuracy, precision, recall, F1, confusion matrix). */
  threshold: number;
  /** Binary: equal-width score bins in [0, 1] of the histograms AUC-ROC and AUC-PR are computed from. */
  thresholds: number;
  /** Multiclass: the k of top-k accuracy. */
  topK: number;
  /** A multi-output model: the output (by name) that holds the prediction to evaluate. */
  output?: string;
  /** Multiclass: class names by index, so an index label and a named prediction (or the reverse) compare. */
  classes?: string[];
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
      items: {
        type: 'string',
        enum: ['accuracy', 'precision', 'recall', 'f1', 'aucRoc', 'aucPr', 'logLoss', 'topKAccuracy', 'confusionMatrix', 'mae', 'mse', 'rmse', 'r2'],
      },
      uniqueItems: true,
      default: [],
      description:
        'Metrics to compute; empty (the default) means every metric of the task. binary: accuracy, precision, recall, f1, aucRoc, aucPr, logLoss, confusionMatrix; multiclass: accuracy, topKAccuracy, precision, recall, f1 (macro averages), logLoss, confusionMatrix; regression: mae, mse, rmse, r2.',
    },
    threshold: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'binary: a score >= threshold predicts label 1 (accuracy, precision, recall, f1, confusion matrix).',
    },
    thresholds: {
      type: 'integer',
      minimum: 2,
      maximum: 1000000,
      default: 1000,
      description: 'binary: number of equal-width score bins in [0, 1] for the AUC histograms; metrics.json states the resulting error bound of each AUC.',
    },
    topK: { type: 'integer', minimum: 1, default: 5, description: 'multiclass: k of topKAccuracy (the label is among the k highest scores; ties: lower index first).' },
    output: { type: 'string', minLength: 1, nullable: true, description: "A multi-output model: the name of the output to evaluate (the prediction is an object by output name)." },
    classes: {
      type: 'array',
      items: { type: 'string' },
      minItems: 2,
      nullable: true,
      description: 'multiclass: class names by index (as given to topk/argmax labels), so that a label given as an index compares with a named prediction, or a named label with a probability vector.',
    },
  },
  required: ['uri', 'label', 'task', 'metrics', 'threshold', 'thresholds', 'topK'],
  additionalProperties: false,
};
