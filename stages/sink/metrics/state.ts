/**
 * The mergeable state of the metrics sink: what one partition accumulates, committed with the
 * partition, and merged at the end of the run (later across machines). Every field is a count,
 * a score table of counts (scores.ts), or an exact sum (src/core/exact-sum.ts), so merging is
 * associative and commutative and the merged state equals the state of a single pass over all
 * records: counts and tables bit for bit, sums to the same correctly rounded value. (With
 * fractional example weights the weighted counts are plain float sums: equal to ~1e-15 relative.)
 *
 * It is one `Aggregation` (aggregation.ts): init / update / merge / result over JSON.
 */
import { addExact, mergeExact } from '../../../src/sdk.js';
import type { BinaryObservation, MulticlassObservation, RegressionObservation, SkipReason } from './read.js';
import type { MetricsTask } from './schema.js';
import { addScore, decodeTable, emptyTable, encodeTable, mergeTable, type ScoreTable } from './scores.js';
import type { Json } from '../../../src/core/types.js';

/** What a state is made with; states merge only when they agree. */
export interface StateParams {
  threshold: number;
  topK: number;
  /** Distinct scores a score table keeps exactly before it coarsens. */
  maxScores: number;
  /** Equal-width bins of the calibration table. */
  calibrationBins: number;
}

/** One calibration bin: exact sums of weights, weighted scores and weighted labels. */
export interface CalibrationBin {
  w: number[];
  p: number[];
  y: number[];
}

export interface BinaryState {
  /** Confusion counts at the threshold (weighted). */
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  scores: ScoreTable;
  /** Exact sums of w·(−ln p(label)), w·(p − y)², w·y, w·p. */
  logLoss: number[];
  brier: number[];
  sumLabel: number[];
  sumScore: number[];
  calibration: CalibrationBin[];
}

export interface MulticlassState {
  /** confusion[label][predicted] = (weighted) count. */
  confusion: Record<string, Record<string, number>>;
  topKHits: number;
  /** Records whose prediction does not tell whether the label is in the top k. */
  topKUnknown: number;
  logLoss: number[];
  /** Records whose prediction does not give the label's probability. */
  logLossUnknown: number;
  /** Exact sum of w·Σ_c (p_c − [label = c])², and records without a whole distribution. */
  brier: number[];
  distributionUnknown: number;
  /** One-vs-rest score tables by class: P(class) against label = class. */
  ovr: Record<string, ScoreTable>;
}

export interface RegressionState {
  /** Exact sums of w·|e|, w·e², w·y, w·y², w·ŷ (e = ŷ − y). */
  absError: number[];
  squaredError: number[];
  sumY: number[];
  sumY2: number[];
  sumYHat: number[];
}

/** The state of one group of records (everything, or one slice). */
export interface TaskState {
  /** Records counted, and the exact sum of their weights. */
  count: number;
  weight: number[];
  skipped: Partial<Record<SkipReason, number>>;
  binary?: BinaryState;
  multiclass?: MulticlassState;
  regression?: RegressionState;
}

/** Probabilities are clipped so one confident mistake costs ~34.5 rather than infinity. */
export const LOG_LOSS_EPSILON = 1e-15;
const logLossTerm = (p: number) => -Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p)));

/** The empty state of a task. */
export function emptyTaskState(task: MetricsTask, params: StateParams): TaskState {
  const state: TaskState = { count: 0, weight: [], skipped: {} };
  if (task === 'binary') {
    const calibration = Array.from({ length: params.calibrationBins }, () => ({ w: [], p: [], y: [] }));
    state.binary = { tp: 0, fp: 0, tn: 0, fn: 0, scores: emptyTable(), logLoss: [], brier: [], sumLabel: [], sumScore: [], calibration };
  } else if (task === 'multiclass') {
    state.multiclass = { confusion: {}, topKHits: 0, topKUnknown: 0, logLoss: [], logLossUnknown: 0, brier: [], distributionUnknown: 0, ovr: {} };
  } else {
    state.regression = { absError: [], squaredError: [], sumY: [], sumY2: [], sumYHat: [] };
  }
  return state;
}

/**
 * The calibration bin of a score: edges i/bins as numpy's linspace makes them, a score on an
 * inner edge in the bin below (scikit-learn's `calibration_curve`, strategy "uniform").
 */
export function calibrationBin(p: number, bins: number): number {
  const step = 1 / bins;
  let b = Math.min(bins - 1, Math.floor(p * bins));
  while (b > 0 && p <= b * step) b--;
  while (b < bins - 1 && p > (b + 1) * step) b++;
  return b;
}

/** Counts a skipped row. */
export function skip(state: TaskState, reason: SkipReason): void {
  state.skipped[reason] = (state.skipped[reason] ?? 0) + 1;
}

function counted(state: TaskState, w: number): void {
  state.count++;
  addExact(state.weight, w);
}

export function addBinary(state: TaskState, params: StateParams, o: BinaryObservation, w: number): void {
  const b = state.binary!;
  counted(state, w);
  const positive = o.p >= params.threshold;
  if (o.y === 1) {
    if (positive) b.tp += w;
    else b.fn += w;
  } else if (positive) b.fp += w;
  else b.tn += w;
  addScore(b.scores, o.p, o.y, w, params.maxScores);
  addExact(b.logLoss, w * logLossTerm(o.y === 1 ? o.p : 1 - o.p));
  addExact(b.brier, w * (o.p - o.y) * (o.p - o.y));
  addExact(b.sumLabel, w * o.y);
  addExact(b.sumScore, w * o.p);
  const bin = b.calibration[calibrationBin(o.p, params.calibrationBins)]!;
  addExact(bin.w, w);
  addExact(bin.p, w * o.p);
  addExact(bin.y, w * o.y);
}

export function addMulticlass(state: TaskState, params: StateParams, o: MulticlassObservation, w: number): void {
  const m = state.multiclass!;
  counted(state, w);
  countIn(rowIn(m.confusion, o.label), o.predicted, w);
  if (o.inTopK === null) m.topKUnknown++;
  else if (o.inTopK) m.topKHits += w;
  if (o.probability === null) m.logLossUnknown++;
  else addExact(m.logLoss, w * logLossTerm(o.probability));
  if (o.distribution === null) {
    m.distributionUnknown++;
    return;
  }
  let squares = 0;
  o.distribution.classes.forEach((c, i) => {
    const p = o.distribution!.scores[i]!;
    const y = c === o.label ? 1 : 0;
    squares += (p - y) * (p - y);
    if (!Object.hasOwn(m.ovr, c)) setOwn(m.ovr, c, emptyTable());
    addScore(m.ovr[c]!, p, y, w, params.maxScores);
  });
  addExact(m.brier, w * squares);
}

export function addRegression(state: TaskState, o: RegressionObservation, w: number): void {
  const r = state.regression!;
  counted(state, w);
  const e = o.yHat - o.y;
  addExact(r.absError, w * Math.abs(e));
  addExact(r.squaredError, w * e * e);
  addExact(r.sumY, w * o.y);
  addExact(r.sumY2, w * o.y * o.y);
  addExact(r.sumYHat, w * o.yHat);
}

/** Adds `b` into `a` (`b` is left as it was). */
export function mergeTaskState(a: TaskState, b: TaskState, params: StateParams): void {
  a.count += b.count;
  mergeExact(a.weight, b.weight);
  for (const [reason, n] of Object.entries(b.skipped)) a.skipped[reason as SkipReason] = (a.skipped[reason as SkipReason] ?? 0) + (n ?? 0);
  if (a.binary && b.binary) {
    const x = a.binary;
    const y = b.binary;
    x.tp += y.tp;
    x.fp += y.fp;
    x.tn += y.tn;
    x.fn += y.fn;
    mergeTable(x.scores, y.scores, params.maxScores);
    for (const k of ['logLoss', 'brier', 'sumLabel', 'sumScore'] as const) mergeExact(x[k], y[k]);
    x.calibration.forEach((bin, i) => {
      const other = y.calibration[i]!;
      mergeExact(bin.w, other.w);
      mergeExact(bin.p, other.p);
      mergeExact(bin.y, other.y);
    });
  }
  if (a.multiclass && b.multiclass) {
    const x = a.multiclass;
    const y = b.multiclass;
    for (const [label, row] of Object.entries(y.confusion)) {
      const into = rowIn(x.confusion, label);
      for (const [predicted, n] of Object.entries(row)) countIn(into, predicted, n);
    }
    x.topKHits += y.topKHits;
    x.topKUnknown += y.topKUnknown;
    mergeExact(x.logLoss, y.logLoss);
    x.logLossUnknown += y.logLossUnknown;
    mergeExact(x.brier, y.brier);
    x.distributionUnknown += y.distributionUnknown;
    for (const [c, table] of Object.entries(y.ovr)) {
      if (!Object.hasOwn(x.ovr, c)) setOwn(x.ovr, c, emptyTable());
      mergeTable(x.ovr[c]!, table, params.maxScores);
    }
  }
  if (a.regression && b.regression) {
    for (const k of ['absError', 'squaredError', 'sumY', 'sumY2', 'sumYHat'] as const) mergeExact(a.regression[k], b.regression[k]);
  }
}

/** The state as JSON (score tables compact: scores.ts `encodeTable`). */
export function encodeTaskState(s: TaskState): Json {
  const out: Record<string, Json> = { count: s.count, weight: s.weight, skipped: s.skipped as Json };
  if (s.binary) out.binary = { ...s.binary, scores: encodeTable(s.binary.scores), calibration: s.binary.calibration as unknown as Json };
  if (s.multiclass) out.multiclass = { ...s.multiclass, ovr: Object.fromEntries(Object.entries(s.multiclass.ovr).map(([c, t]) => [c, encodeTable(t)])) };
  if (s.regression) out.regression = s.regression as unknown as Json;
  return out;
}

export function decodeTaskState(json: Json): TaskState {
  const j = json as unknown as TaskState & { binary?: { scores: Json }; multiclass?: { ovr: Record<string, Json> } };
  const s: TaskState = { count: j.count, weight: j.weight, skipped: j.skipped };
  if (j.binary) s.binary = { ...(j.binary as unknown as BinaryState), scores: decodeTable(j.binary.scores) };
  if (j.multiclass) {
    s.multiclass = { ...(j.multiclass as unknown as MulticlassState), ovr: Object.fromEntries(Object.entries(j.multiclass.ovr).map(([c, t]) => [c, decodeTable(t)])) };
  }
  if (j.regression) s.regression = j.regression;
  return s;
}

/** Sets an own property, also for a class named "__proto__" (plain assignment would set the prototype). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Adds `n` to `counts[key]`. */
function countIn(counts: Record<string, number>, key: string, n: number): void {
  setOwn(counts, key, (Object.hasOwn(counts, key) ? counts[key]! : 0) + n);
}

/** The confusion row of `label`, made when absent. */
function rowIn(confusion: Record<string, Record<string, number>>, label: string): Record<string, number> {
  if (!Object.hasOwn(confusion, label)) setOwn(confusion, label, {});
  return confusion[label]!;
}
