/**
 * The metrics of a merged state. Every figure is a function of the state alone, so a merged
 * state gives exactly what a single pass over all records gives.
 */
import { exactSumValue, type Json } from '../../../src/sdk.js';
import type { MetricName, MetricsTask } from './schema.js';
import type { MetricsState, MulticlassState } from './state.js';

/** An AUC from score histograms, with the largest possible gap to the exact AUC of the raw scores. */
export interface HistogramAuc {
  value: number;
  /** |value − exact AUC| ≤ bound: only pairs or steps inside one bin are uncertain. */
  bound: number;
}

/**
 * AUC-ROC from per-bin counts of positives and negatives (bins in increasing score order):
 * P(score⁺ > score⁻) + ½·P(tie), where scores in one bin count as tied. The exact AUC of the
 * raw scores differs only on pairs that share a bin, each by at most ½:
 * bound = Σ_b pos_b·neg_b / (2·P·N). Null without positives or without negatives.
 *
 * @example
 * histogramAucRoc([0, 1], [1, 0]) // { value: 0, bound: 0 }: every positive scores below every negative
 */
export function histogramAucRoc(positives: readonly number[], negatives: readonly number[]): HistogramAuc | null {
  const P = sum(positives);
  const N = sum(negatives);
  if (P === 0 || N === 0) return null;
  // Twice the credit, so every term is an integer: exact while below 2^53.
  let credit2 = 0;
  let tied = 0;
  let positivesAbove = 0;
  for (let b = positives.length - 1; b >= 0; b--) {
    credit2 += negatives[b]! * (2 * positivesAbove + positives[b]!);
    tied += positives[b]! * negatives[b]!;
    positivesAbove += positives[b]!;
  }
  return { value: credit2 / (2 * P * N), bound: tied / (2 * P * N) };
}

/**
 * AUC-PR as average precision, Σ (R_t − R_{t−1})·P_t over the bin edges from the top (the
 * step-wise sum scikit-learn's `average_precision_score` uses; no interpolation). Within a bin
 * the exact sum over raw scores may place its steps anywhere between the bin's extreme
 * precisions, so bound = Σ_b (pos_b/P)·(maxP_b − minP_b) with maxP_b = (TP+pos_b)/(TP+pos_b+FP)
 * and minP_b = (TP+1)/(TP+1+FP+neg_b), TP and FP counted above the bin. Null without positives.
 *
 * @example
 * histogramAucPr([0, 2], [2, 0]) // { value: 1, bound: 0 }
 */
export function histogramAucPr(positives: readonly number[], negatives: readonly number[]): HistogramAuc | null {
  const P = sum(positives);
  if (P === 0) return null;
  let value = 0;
  let bound = 0;
  let tp = 0;
  let fp = 0;
  for (let b = positives.length - 1; b >= 0; b--) {
    const pos = positives[b]!;
    const neg = negatives[b]!;
    if (pos > 0) {
      const max = (tp + pos) / (tp + pos + fp);
      const min = (tp + 1) / (tp + 1 + fp + neg);
      value += (pos / P) * ((tp + pos) / (tp + pos + fp + neg));
      bound += (pos / P) * (max - min);
    }
    tp += pos;
    fp += neg;
  }
  return { value, bound };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** What `finish` writes to metrics.json (and the run summary's report). */
export interface MetricsResult {
  task: MetricsTask;
  label: string;
  /** Records counted; skipped ones by reason. */
  records: number;
  skipped: Record<string, number>;
  /** The parameters that apply to the task. */
  params: Record<string, number>;
  metrics: Partial<Record<MetricName, Json>>;
  /** Binary AUCs: the histogram's largest possible gap to the exact AUC of the raw scores. */
  errorBounds?: { aucRoc?: number | null; aucPr?: number | null };
  /** Why a requested metric is null. */
  unavailable?: Partial<Record<MetricName, string>>;
}

/**
 * The requested metrics of a merged state.
 *
 * @example
 * computeMetrics(mergeStates(states), ['accuracy', 'logLoss'], 'image_class')
 */
export function computeMetrics(state: MetricsState, metrics: readonly MetricName[], label: string, classes?: string[]): MetricsResult {
  const result: MetricsResult = { task: state.task, label, records: state.count, skipped: { ...state.skipped } as Record<string, number>, params: {}, metrics: {} };
  const unavailable: Partial<Record<MetricName, string>> = {};
  const n = state.count;
  if (state.binary) {
    const { tp, fp, tn, fn, positives, negatives } = state.binary;
    result.params = { threshold: state.params.threshold, thresholds: state.params.thresholds };
    const roc = histogramAucRoc(positives, negatives);
    const pr = histogramAucPr(positives, negatives);
    const values: Partial<Record<MetricName, Json>> = {
      accuracy: ratio(tp + tn, n),
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      f1: ratio(2 * tp, 2 * tp + fp + fn),
      aucRoc: roc?.value ?? null,
      aucPr: pr?.value ?? null,
      logLoss: ratio(exactSumValue(state.binary.logLoss), n),
      confusionMatrix: { classes: ['0', '1'], matrix: [[tn, fp], [fn, tp]] },
    };
    for (const m of metrics) result.metrics[m] = values[m] ?? null;
    if (metrics.includes('aucRoc') || metrics.includes('aucPr')) {
      result.errorBounds = {};
      if (metrics.includes('aucRoc')) result.errorBounds.aucRoc = roc?.bound ?? null;
      if (metrics.includes('aucPr')) result.errorBounds.aucPr = pr?.bound ?? null;
    }
    if (!roc && metrics.includes('aucRoc')) unavailable.aucRoc = 'needs records of both labels';
    if (!pr && metrics.includes('aucPr')) unavailable.aucPr = 'needs records with label 1';
  } else if (state.multiclass) {
    const m = state.multiclass;
    result.params = { topK: state.params.topK };
    const values = multiclassValues(m, n, classes);
    for (const name of metrics) result.metrics[name] = values[name] ?? null;
    if (metrics.includes('topKAccuracy') && m.topKUnknown > 0) {
      unavailable.topKAccuracy = `${m.topKUnknown} record(s) have a prediction that does not tell whether the label is among the top ${state.params.topK} (argmax, or topk with k < ${state.params.topK}); evaluate the probability vector or topk with a larger k`;
    }
    if (metrics.includes('logLoss') && m.logLossUnknown > 0) {
      unavailable.logLoss = `${m.logLossUnknown} record(s) have a prediction that does not give the probability of the label (argmax, topk without the label, or scores outside [0, 1]); evaluate the probability vector, or topk with k = number of classes`;
    }
  } else if (state.regression) {
    const r = state.regression;
    const sse = exactSumValue(r.squaredError);
    const sumY = exactSumValue(r.sumY);
    const ssTot = exactSumValue(r.sumY2) - (sumY * sumY) / n;
    const mse = ratio(sse, n);
    const values: Partial<Record<MetricName, Json>> = {
      mae: ratio(exactSumValue(r.absError), n),
      mse,
      rmse: mse === null ? null : Math.sqrt(mse),
      r2: n === 0 || !(ssTot > 0) ? null : 1 - sse / ssTot,
    };
    for (const name of metrics) result.metrics[name] = values[name] ?? null;
    if (metrics.includes('r2') && n > 0 && !(ssTot > 0)) unavailable.r2 = 'the labels do not vary';
  }
  if (n === 0) for (const name of metrics) unavailable[name] ??= 'no record was counted';
  for (const name of metrics) if (result.metrics[name] === null) unavailable[name] ??= 'undefined for these records (a zero denominator)';
  if (Object.keys(unavailable).length) result.unavailable = unavailable;
  return result;
}

/**
 * Class identities in report order: the configured names first, then the others in numeric
 * order when they are indices, else in code-point order.
 */
export function classOrder(m: MulticlassState, classes?: string[]): string[] {
  const seen = new Set<string>();
  for (const [label, row] of Object.entries(m.confusion)) {
    seen.add(label);
    for (const predicted of Object.keys(row)) seen.add(predicted);
  }
  const named = (classes ?? []).filter((c) => seen.has(c));
  const rest = [...seen].filter((c) => !named.includes(c));
  const numeric = rest.every((c) => /^\d+$/.test(c));
  rest.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...named, ...rest];
}

/**
 * Multiclass figures from the confusion counts. Precision, recall and F1 are macro averages
 * over every class seen as a label or a prediction; a class's undefined precision or recall
 * (never predicted, never a label) counts as 0, as scikit-learn's default does.
 */
function multiclassValues(m: MulticlassState, n: number, configured?: string[]): Partial<Record<MetricName, Json>> {
  const classes = classOrder(m, configured);
  const at = (label: string, predicted: string) => (Object.hasOwn(m.confusion, label) && Object.hasOwn(m.confusion[label]!, predicted) ? m.confusion[label]![predicted]! : 0);
  const matrix = classes.map((label) => classes.map((predicted) => at(label, predicted)));
  let correct = 0;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  classes.forEach((c, i) => {
    const tp = matrix[i]![i]!;
    const actual = sum(matrix[i]!);
    const predicted = sum(matrix.map((row) => row[i]!));
    const p = predicted === 0 ? 0 : tp / predicted;
    const r = actual === 0 ? 0 : tp / actual;
    correct += tp;
    precision += p;
    recall += r;
    f1 += p + r === 0 ? 0 : (2 * p * r) / (p + r);
  });
  const k = classes.length;
  return {
    accuracy: ratio(correct, n),
    precision: k ? precision / k : null,
    recall: k ? recall / k : null,
    f1: k ? f1 / k : null,
    topKAccuracy: m.topKUnknown > 0 ? null : ratio(m.topKHits, n),
    logLoss: m.logLossUnknown > 0 ? null : ratio(exactSumValue(m.logLoss), n),
    confusionMatrix: { classes, matrix },
  };
}
