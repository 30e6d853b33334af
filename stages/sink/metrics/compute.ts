/**
 * The metrics of a merged state. Every figure is a function of the state alone, so a merged
 * state gives exactly what a single pass over all records gives. Definitions follow
 * scikit-learn (docs/evaluation.md says where and how they differ).
 */
import { exactSumValue, parseJsonExact, type Json } from '../../../src/sdk.js';
import type { MetricName, MetricsSinkOptions, MetricsTask } from './schema.js';
import type { BinaryState, MulticlassState, RegressionState, TaskState } from './state.js';
import type { MetricsState } from './sliced.js';
import { aucRoc, averagePrecision, curve, downsample, precisionAtRecall, recallAtPrecision, scoreHistogram, tableSize, type Bounded } from './scores.js';

/** Bins of the score histogram drawn in the report. */
export const HISTOGRAM_BINS = 20;

/** The figures of one group of records (everything, or one slice). */
export interface GroupResult {
  /** Records counted; with weightField also the sum of their weights. */
  records: number;
  weight?: number;
  skipped: Record<string, number>;
  metrics: Partial<Record<MetricName, Json>>;
  /** |value − exact| ≤ bound for figures from a coarsened score table (0: exact). */
  errorBounds?: Partial<Record<MetricName, number | null>>;
  /** Why a requested metric is null. */
  unavailable?: Partial<Record<MetricName, string>>;
}

export interface SliceResult {
  fields: string[];
  /** Set when the list had more than maxSlices values: its slices are left out. */
  omitted?: string;
  values?: (GroupResult & { slice: Record<string, Json> })[];
}

/** What `finish` writes to metrics.json (and the run summary's report). */
export interface MetricsResult extends GroupResult {
  task: MetricsTask;
  label: string;
  params: Record<string, Json>;
  slices?: SliceResult[];
}

/** What computing needs besides the state. */
export type ComputeOptions = Pick<MetricsSinkOptions, 'label' | 'classes' | 'curvePoints' | 'atRecall' | 'atPrecision' | 'maxSlices' | 'weightField'>;

/** Metrics left out of slices: display data of the whole run. */
const NOT_PER_SLICE: MetricName[] = ['curves', 'scoreHistogram'];

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The requested metrics of a merged state, overall and per slice.
 *
 * @example
 * computeMetrics(mergeAll(agg, states), ['accuracy', 'aucRoc'], options)
 */
export function computeMetrics(state: MetricsState, metrics: readonly MetricName[], o: ComputeOptions): MetricsResult {
  const p = state.params;
  const params: Record<string, Json> =
    state.task === 'binary'
      ? { threshold: p.threshold, maxScores: p.maxScores, curvePoints: o.curvePoints, calibrationBins: p.calibrationBins }
      : state.task === 'multiclass'
        ? { topK: p.topK, maxScores: p.maxScores }
        : {};
  const result: MetricsResult = { task: state.task, label: o.label, ...computeGroup(state.task, state.overall, metrics, o), params };
  if (o.weightField !== undefined) params.weightField = o.weightField;
  if (state.slices.length) {
    const perSlice = metrics.filter((m) => !NOT_PER_SLICE.includes(m));
    result.slices = state.slices.map((g) => {
      if (g.overflow) {
        return { fields: g.fields, omitted: `more than ${o.maxSlices.toLocaleString('en-US')} distinct values of ${JSON.stringify(g.fields)}; raise maxSlices or slice by fewer fields` };
      }
      const keys = Object.keys(g.values).sort();
      return {
        fields: g.fields,
        values: keys.map((k) => {
          const values = sliceText(parseJsonExact(k)) as Json[];
          return { slice: Object.fromEntries(g.fields.map((f, i) => [f, values[i]!])), ...computeGroup(state.task, g.values[k]!, perSlice, o) };
        }),
      };
    });
  }
  return result;
}

/**
 * A slice's values as metrics.json and the report show them: an integer beyond 2^53 as the
 * string of its exact digits (a reader's JSON.parse, the browser's too, would round a bare one).
 */
function sliceText(v: unknown): unknown {
  if (typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.map(sliceText);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sliceText(x)]));
  return v;
}

/** The metrics of one task state. */
export function computeGroup(task: MetricsTask, s: TaskState, metrics: readonly MetricName[], o: ComputeOptions): GroupResult {
  const W = exactSumValue(s.weight);
  const out: GroupResult = { records: s.count, skipped: { ...s.skipped } as Record<string, number>, metrics: {} };
  if (o.weightField !== undefined) out.weight = W;
  const unavailable: Partial<Record<MetricName, string>> = {};
  const bounds: Partial<Record<MetricName, number | null>> = {};
  let values: Partial<Record<MetricName, Json>> = {};
  const group: Group = { W, o, metrics, bounds, unavailable };
  if (s.binary) values = binaryValues(s.binary, group);
  else if (s.multiclass) values = multiclassValues(s.multiclass, group);
  else if (s.regression) values = regressionValues(s.regression, W, metrics, unavailable);
  for (const m of metrics) out.metrics[m] = values[m] ?? null;
  if (s.count === 0) for (const m of metrics) unavailable[m] ??= 'no record was counted';
  for (const m of metrics) if (out.metrics[m] === null) unavailable[m] ??= 'undefined for these records (a zero denominator)';
  if (Object.keys(bounds).length) out.errorBounds = bounds;
  if (Object.keys(unavailable).length) out.unavailable = unavailable;
  return out;
}

/** Matthews correlation from a confusion matrix (scikit-learn's multiclass form; 0 when a denominator term is 0). */
export function mcc(matrix: readonly (readonly number[])[]): number {
  const n = sum(matrix.map(sum));
  const t = matrix.map(sum);
  const p = matrix[0] ? matrix[0].map((_, j) => sum(matrix.map((row) => row[j]!))) : [];
  const correct = sum(matrix.map((row, i) => row[i]!));
  const dot = (a: number[], b: number[]) => sum(a.map((x, i) => x * b[i]!));
  const cov = correct * n - dot(t, p);
  const covP = n * n - dot(p, p);
  const covT = n * n - dot(t, t);
  return covP * covT === 0 ? 0 : cov / Math.sqrt(covT * covP);
}

/** What every task's figures are computed with: the weight total, the options, and where bounds and reasons go. */
interface Group {
  W: number;
  o: ComputeOptions;
  metrics: readonly MetricName[];
  bounds: Partial<Record<MetricName, number | null>>;
  unavailable: Partial<Record<MetricName, string>>;
}

function bounded(b: Bounded | null, name: MetricName, bounds: Partial<Record<MetricName, number | null>>, metrics: readonly MetricName[]): number | null {
  if (metrics.includes(name)) bounds[name] = b?.bound ?? null;
  return b?.value ?? null;
}

function binaryValues(b: BinaryState, { W, o, metrics, bounds, unavailable }: Group): Partial<Record<MetricName, Json>> {
  const { tp, fp, tn, fn } = b;
  const roc = aucRoc(b.scores);
  const pr = averagePrecision(b.scores);
  if (!roc && metrics.includes('aucRoc')) unavailable.aucRoc = 'needs records of both labels';
  if (!pr && metrics.includes('aucPr')) unavailable.aucPr = 'needs records with label 1';
  const want = (m: MetricName) => metrics.includes(m);
  const full = want('curves') || want('precisionAtRecall') || want('recallAtPrecision') ? curve(b.scores) : [];
  // Balanced accuracy: the mean recall of the labels present (scikit-learn leaves out a label without records).
  const recalls = [tp + fn > 0 ? tp / (tp + fn) : null, tn + fp > 0 ? tn / (tn + fp) : null].filter((r): r is number => r !== null);
  const values: Partial<Record<MetricName, Json>> = {
    accuracy: ratio(tp + tn, W),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    balancedAccuracy: recalls.length ? sum(recalls) / recalls.length : null,
    mcc: W > 0 ? mcc([[tn, fp], [fn, tp]]) : null,
    aucRoc: bounded(roc, 'aucRoc', bounds, metrics),
    aucPr: bounded(pr, 'aucPr', bounds, metrics),
    logLoss: ratio(exactSumValue(b.logLoss), W),
    brier: ratio(exactSumValue(b.brier), W),
    meanLabel: ratio(exactSumValue(b.sumLabel), W),
    meanPrediction: ratio(exactSumValue(b.sumScore), W),
    confusionMatrix: { classes: ['0', '1'], matrix: [[tn, fp], [fn, tp]] },
  };
  if (want('precisionAtRecall')) values.precisionAtRecall = Object.fromEntries(o.atRecall.map((r) => [String(r), precisionAtRecall(full, r)]));
  if (want('recallAtPrecision')) values.recallAtPrecision = Object.fromEntries(o.atPrecision.map((q) => [String(q), recallAtPrecision(full, q)]));
  if (want('calibration')) {
    const bins = b.calibration.length;
    values.calibration = {
      bins: b.calibration.flatMap((bin, i) => {
        const w = exactSumValue(bin.w);
        if (w === 0) return [];
        return [{ lower: i / bins, upper: (i + 1) / bins, weight: w, meanPrediction: exactSumValue(bin.p) / w, fractionPositive: exactSumValue(bin.y) / w }];
      }),
    };
  }
  if (want('curves') && full.length) {
    const shown = downsample(full, o.curvePoints);
    values.curves = {
      distinctScores: tableSize(b.scores),
      exact: b.scores.shift === 0,
      points: shown.length,
      threshold: shown.map((p) => p.threshold),
      tpr: shown.map((p) => p.tpr),
      fpr: shown.map((p) => p.fpr),
      precision: shown.map((p) => p.precision),
      recall: shown.map((p) => p.recall),
    };
  }
  if (want('scoreHistogram')) values.scoreHistogram = { bins: HISTOGRAM_BINS, ...scoreHistogram(b.scores, HISTOGRAM_BINS) };
  return values;
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

interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * Multiclass figures from the confusion counts (scikit-learn's precision_recall_fscore_support:
 * an undefined precision or recall counts as 0), the one-vs-rest tables and the sums.
 */
function multiclassValues(m: MulticlassState, { W, o, metrics, bounds, unavailable }: Group): Partial<Record<MetricName, Json>> {
  const classes = classOrder(m, o.classes);
  const at = (label: string, predicted: string) => (Object.hasOwn(m.confusion, label) && Object.hasOwn(m.confusion[label]!, predicted) ? m.confusion[label]![predicted]! : 0);
  const matrix = classes.map((label) => classes.map((predicted) => at(label, predicted)));
  const perClass = classes.map((c, i) => {
    const tp = matrix[i]![i]!;
    const support = sum(matrix[i]!);
    const predicted = sum(matrix.map((row) => row[i]!));
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    return { class: c, precision, recall, f1: f1Of(precision, recall), support, tp, predicted };
  });
  const k = classes.length;
  const macro: Prf | null = k ? { precision: sum(perClass.map((c) => c.precision)) / k, recall: sum(perClass.map((c) => c.recall)) / k, f1: sum(perClass.map((c) => c.f1)) / k } : null;
  const tpAll = sum(perClass.map((c) => c.tp));
  const predAll = sum(perClass.map((c) => c.predicted));
  const supAll = sum(perClass.map((c) => c.support));
  const microP = predAll === 0 ? 0 : tpAll / predAll;
  const microR = supAll === 0 ? 0 : tpAll / supAll;
  const micro: Prf | null = k ? { precision: microP, recall: microR, f1: f1Of(microP, microR) } : null;
  const weighted: Prf | null =
    supAll > 0
      ? {
          precision: sum(perClass.map((c) => c.precision * c.support)) / supAll,
          recall: sum(perClass.map((c) => c.recall * c.support)) / supAll,
          f1: sum(perClass.map((c) => c.f1 * c.support)) / supAll,
        }
      : null;
  const present = perClass.filter((c) => c.support > 0);
  const values: Partial<Record<MetricName, Json>> = {
    accuracy: ratio(tpAll, W),
    precision: macro?.precision ?? null,
    recall: macro?.recall ?? null,
    f1: macro?.f1 ?? null,
    balancedAccuracy: present.length ? sum(present.map((c) => c.recall)) / present.length : null,
    mcc: W > 0 ? mcc(matrix) : null,
    topKAccuracy: m.topKUnknown > 0 ? null : ratio(m.topKHits, W),
    logLoss: m.logLossUnknown > 0 ? null : ratio(exactSumValue(m.logLoss), W),
    brier: m.distributionUnknown > 0 ? null : ratio(exactSumValue(m.brier), W),
    perClass: perClass.map(({ class: c, precision, recall, f1, support }) => ({ class: c, precision, recall, f1, support })),
    averages: { micro: micro as Json, macro: macro as Json, weighted: weighted as Json },
    confusionMatrix: { classes, matrix },
  };
  if (metrics.includes('topKAccuracy') && m.topKUnknown > 0) {
    unavailable.topKAccuracy = `${m.topKUnknown} record(s) have a prediction that does not tell whether the label is among the top k (argmax, or topk with a smaller k); evaluate the probability vector or topk with a larger k`;
  }
  if (metrics.includes('logLoss') && m.logLossUnknown > 0) {
    unavailable.logLoss = `${m.logLossUnknown} record(s) have a prediction that does not give the probability of the label (argmax, topk without the label, or scores outside [0, 1]); evaluate the probability vector, or topk with k = number of classes`;
  }
  const noDistribution = `${m.distributionUnknown} record(s) have a prediction that does not give every class's probability; evaluate the probability vector, or topk over every class with "classes" set`;
  if (metrics.includes('brier') && m.distributionUnknown > 0) unavailable.brier = noDistribution;
  if (metrics.includes('aucRocOvr')) {
    if (m.distributionUnknown > 0) {
      unavailable.aucRocOvr = noDistribution;
    } else {
      values.aucRocOvr = ovrAuc(m, classes, bounds);
    }
  }
  return values;
}

/**
 * One-vs-rest AUC-ROC per class (P(class) against label = class), their macro mean and their
 * mean weighted by each class's (weighted) record count, as roc_auc_score(multi_class="ovr").
 * Classes without records of their own, or with nothing else, have no AUC and are left out.
 */
function ovrAuc(m: MulticlassState, classes: string[], bounds: Partial<Record<MetricName, number | null>>): Json {
  const names = [...classes, ...Object.keys(m.ovr).filter((c) => !classes.includes(c))];
  const perClass: Record<string, number | null> = {};
  let macro = 0;
  let macroBound = 0;
  let weighted = 0;
  let weightedBound = 0;
  let defined = 0;
  let support = 0;
  for (const c of names) {
    const table = Object.hasOwn(m.ovr, c) ? m.ovr[c]! : undefined;
    const auc = table ? aucRoc(table) : null;
    perClass[c] = auc?.value ?? null;
    if (!auc || !table) continue;
    let pos = 0;
    for (const cell of table.cells.values()) pos += cell.pos;
    defined++;
    macro += auc.value;
    macroBound += auc.bound;
    support += pos;
    weighted += pos * auc.value;
    weightedBound += pos * auc.bound;
  }
  bounds.aucRocOvr = defined ? macroBound / defined : null;
  return { macro: defined ? macro / defined : null, weighted: support > 0 ? weighted / support : null, weightedBound: support > 0 ? weightedBound / support : null, perClass };
}

function regressionValues(r: RegressionState, W: number, metrics: readonly MetricName[], unavailable: Partial<Record<MetricName, string>>): Partial<Record<MetricName, Json>> {
  const sse = exactSumValue(r.squaredError);
  const sumY = exactSumValue(r.sumY);
  const ssTot = exactSumValue(r.sumY2) - (sumY * sumY) / W;
  const mse = ratio(sse, W);
  if (metrics.includes('r2') && W > 0 && !(ssTot > 0)) unavailable.r2 = 'the labels do not vary';
  return {
    mae: ratio(exactSumValue(r.absError), W),
    mse,
    rmse: mse === null ? null : Math.sqrt(mse),
    r2: W === 0 || !(ssTot > 0) ? null : 1 - sse / ssTot,
    meanLabel: ratio(sumY, W),
    meanPrediction: ratio(exactSumValue(r.sumYHat), W),
  };
}
