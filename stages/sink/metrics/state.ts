/**
 * The mergeable state of the metrics sink: what one partition accumulates, stored in its
 * manifest entry, and merged in the coordinator (later across machines). Every field is a
 * count, a histogram of counts, or an exact sum (see src/core/exact-sum.ts), so merging is
 * associative and commutative and the merged state equals the state of a single pass over all
 * records: counts and histograms bit for bit, sums to the same correctly rounded value.
 */
import { addExact, mergeExact } from '../../../src/sdk.js';
import type { BinaryObservation, MulticlassObservation, RegressionObservation, SkipReason } from './read.js';
import type { MetricsTask } from './schema.js';

/** Binary: confusion counts at the threshold, score histograms by label, the log-loss sum. */
export interface BinaryState {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Records with label 1 (positives) and 0 (negatives) per score bin; bin b holds scores in [b/B, (b+1)/B) (1 in the last). */
  positives: number[];
  negatives: number[];
  /** Exact sum of -ln(p(label)), p clipped to [1e-15, 1 - 1e-15]. */
  logLoss: number[];
}

/** Multiclass: the confusion counts, top-k hits, the log-loss sum, and how many could not tell. */
export interface MulticlassState {
  /** confusion[label][predicted] = count. */
  confusion: Record<string, Record<string, number>>;
  topKHits: number;
  /** Records whose prediction does not tell whether the label is in the top k. */
  topKUnknown: number;
  logLoss: number[];
  /** Records whose prediction does not give the label's probability. */
  logLossUnknown: number;
}

/** Regression: exact sums of |e|, e², y and y² (e = prediction − label). */
export interface RegressionState {
  absError: number[];
  squaredError: number[];
  sumY: number[];
  sumY2: number[];
}

/** One partition's (or a merged) state. JSON-serialisable: it is stored in the manifest. */
export interface MetricsState {
  task: MetricsTask;
  /** The parameters the state was made with; states merge only when they agree. */
  params: { threshold: number; thresholds: number; topK: number };
  /** Records counted. */
  count: number;
  skipped: Partial<Record<SkipReason, number>>;
  binary?: BinaryState;
  multiclass?: MulticlassState;
  regression?: RegressionState;
}

/** Probabilities are clipped so one confident mistake costs ~34.5 rather than infinity. */
export const LOG_LOSS_EPSILON = 1e-15;
const logLossTerm = (p: number) => -Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p)));

/** The empty state of a task. */
export function emptyState(task: MetricsTask, params: MetricsState['params']): MetricsState {
  const state: MetricsState = { task, params: { ...params }, count: 0, skipped: {} };
  if (task === 'binary') {
    state.binary = { tp: 0, fp: 0, tn: 0, fn: 0, positives: new Array(params.thresholds).fill(0), negatives: new Array(params.thresholds).fill(0), logLoss: [] };
  } else if (task === 'multiclass') {
    state.multiclass = { confusion: {}, topKHits: 0, topKUnknown: 0, logLoss: [], logLossUnknown: 0 };
  } else {
    state.regression = { absError: [], squaredError: [], sumY: [], sumY2: [] };
  }
  return state;
}

/** The histogram bin of a score in [0, 1]: monotone in the score, so bins keep the ranking. */
export function binOf(p: number, bins: number): number {
  return Math.min(bins - 1, Math.floor(p * bins));
}

/** Counts a skipped row. */
export function skip(state: MetricsState, reason: SkipReason): void {
  state.skipped[reason] = (state.skipped[reason] ?? 0) + 1;
}

/** Adds one binary observation. */
export function addBinary(state: MetricsState, o: BinaryObservation): void {
  const b = state.binary!;
  state.count++;
  const positive = o.p >= state.params.threshold;
  if (o.y === 1) {
    if (positive) b.tp++;
    else b.fn++;
    b.positives[binOf(o.p, state.params.thresholds)]!++;
  } else {
    if (positive) b.fp++;
    else b.tn++;
    b.negatives[binOf(o.p, state.params.thresholds)]!++;
  }
  addExact(b.logLoss, logLossTerm(o.y === 1 ? o.p : 1 - o.p));
}

/** Adds one multiclass observation. */
export function addMulticlass(state: MetricsState, o: MulticlassObservation): void {
  const m = state.multiclass!;
  state.count++;
  countIn(rowIn(m.confusion, o.label), o.predicted, 1);
  if (o.inTopK === null) m.topKUnknown++;
  else if (o.inTopK) m.topKHits++;
  if (o.probability === null) m.logLossUnknown++;
  else addExact(m.logLoss, logLossTerm(o.probability));
}

/** Adds one regression observation. */
export function addRegression(state: MetricsState, o: RegressionObservation): void {
  const r = state.regression!;
  state.count++;
  const e = o.yHat - o.y;
  addExact(r.absError, Math.abs(e));
  addExact(r.squaredError, e * e);
  addExact(r.sumY, o.y);
  addExact(r.sumY2, o.y * o.y);
}

/**
 * Merges states into a new one; a pure function of its inputs (none is modified), associative
 * and commutative. States made with other parameters (task, threshold, bins, k) do not merge.
 *
 * @example
 * const total = mergeStates([stateOfPartition0, stateOfPartition1]);
 */
export function mergeStates(states: readonly MetricsState[]): MetricsState {
  if (states.length === 0) throw new Error('no metrics states to merge');
  const first = states[0]!;
  const out = emptyState(first.task, first.params);
  for (const s of states) {
    if (s.task !== first.task || JSON.stringify(s.params) !== JSON.stringify(first.params)) {
      throw new Error(`cannot merge a ${s.task} state with parameters ${JSON.stringify(s.params)} into a ${first.task} state with ${JSON.stringify(first.params)}`);
    }
    out.count += s.count;
    for (const [reason, n] of Object.entries(s.skipped)) out.skipped[reason as SkipReason] = (out.skipped[reason as SkipReason] ?? 0) + (n ?? 0);
    if (s.binary) mergeBinary(out.binary!, s.binary);
    if (s.multiclass) mergeMulticlass(out.multiclass!, s.multiclass);
    if (s.regression) {
      const r = out.regression!;
      mergeExact(r.absError, s.regression.absError);
      mergeExact(r.squaredError, s.regression.squaredError);
      mergeExact(r.sumY, s.regression.sumY);
      mergeExact(r.sumY2, s.regression.sumY2);
    }
  }
  return out;
}

function mergeBinary(a: BinaryState, b: BinaryState): void {
  a.tp += b.tp;
  a.fp += b.fp;
  a.tn += b.tn;
  a.fn += b.fn;
  for (let i = 0; i < a.positives.length; i++) {
    a.positives[i]! += b.positives[i]!;
    a.negatives[i]! += b.negatives[i]!;
  }
  mergeExact(a.logLoss, b.logLoss);
}

function mergeMulticlass(a: MulticlassState, b: MulticlassState): void {
  for (const [label, row] of Object.entries(b.confusion)) {
    const into = rowIn(a.confusion, label);
    for (const [predicted, n] of Object.entries(row)) countIn(into, predicted, n);
  }
  a.topKHits += b.topKHits;
  a.topKUnknown += b.topKUnknown;
  mergeExact(a.logLoss, b.logLoss);
  a.logLossUnknown += b.logLossUnknown;
}

/** Sets an own property, also for a class named "__proto__" (plain assignment would set the prototype). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
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
