/**
 * Reading a prediction row as one observation of a task: the true label (a forwarded field)
 * and what the prediction says about it. A row that cannot be read is skipped with a reason,
 * counted in the metrics' `skipped`, never guessed at.
 */
import type { Json } from '../../../src/sdk.js';
import type { MetricsTask } from './schema.js';

/** One binary observation: label 0/1 and the predicted probability of label 1. */
export interface BinaryObservation {
  y: 0 | 1;
  p: number;
}

/**
 * One multiclass observation. `probability` (the predicted probability of the true class) and
 * `inTopK` are null when the prediction does not tell (an argmax or a short topk output).
 */
export interface MulticlassObservation {
  label: string;
  predicted: string;
  probability: number | null;
  inTopK: boolean | null;
  /** Every class's probability (a probability vector, or topk listing every configured class); null when the prediction does not give them all. */
  distribution: { classes: string[]; scores: number[] } | null;
}

/**
 * How far outside [0, 1] a probability may be and still count (clamped into [0, 1]): a float32
 * softmax rounds each output to within a few ulps (1.19e-7 at 1), so its outputs can sum to
 * 1.0000000848 or one of them exceed 1 by an ulp. 1e-6 is ~8 ulps: rounding, not a wrong model.
 */
export const PROBABILITY_TOLERANCE = 1e-6;

/** A probability within the tolerance of [0, 1], clamped into it; null otherwise. */
export function probability(v: unknown): number | null {
  if (!isFiniteNumber(v) || v < -PROBABILITY_TOLERANCE || v > 1 + PROBABILITY_TOLERANCE) return null;
  return Math.min(1, Math.max(0, v));
}

/** One regression observation. */
export interface RegressionObservation {
  y: number;
  yHat: number;
}

/** Why a row is not counted: no label, a label or prediction of the wrong kind. */
export type SkipReason = 'no-label' | 'bad-label' | 'unknown-label' | 'bad-prediction' | 'bad-weight';

/** What a row must be read with. */
export interface ReadOptions {
  label: string;
  output?: string;
  topK: number;
  /** Classes tied with the label at the top-k boundary: "index" (lower index first, as post/topk) or "include" (all count, Keras in_top_k). */
  topKTies?: 'index' | 'include';
  classes?: string[];
}

type Observation<T extends MetricsTask> = T extends 'binary' ? BinaryObservation : T extends 'multiclass' ? MulticlassObservation : RegressionObservation;

/**
 * Reads `row` for `task`: the observation, or why it is skipped.
 *
 * @example
 * readRow('binary', { key: 'a', clicked: [1], prediction: [0.8] }, { label: 'clicked', topK: 1 }) // { y: 1, p: 0.8 }
 */
export function readRow<T extends MetricsTask>(task: T, row: Record<string, Json>, options: ReadOptions): Observation<T> | SkipReason {
  const label = unwrap(row[options.label]);
  if (label === null || label === undefined || label === '') return 'no-label';
  let prediction: Json | undefined = row.prediction;
  if (options.output !== undefined) {
    prediction = isObject(prediction) ? prediction[options.output] : undefined;
  }
  if (prediction === undefined) return 'bad-prediction';
  if (task === 'binary') return readBinary(label, prediction) as Observation<T> | SkipReason;
  if (task === 'multiclass') return readMulticlass(label, prediction, options) as Observation<T> | SkipReason;
  return readRegression(label, prediction) as Observation<T> | SkipReason;
}

/** A one-element list (how tf.Example features are forwarded) stands for its element; `[]` for none. */
export function unwrap(v: Json | undefined): Json | undefined {
  if (Array.isArray(v)) return v.length === 1 ? v[0] : v.length === 0 ? null : v;
  return v;
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A number from a JSON number or a numeric string (CSV cells, int64 beyond 2^53 as text). */
export function numberOf(v: Json | undefined): number | null {
  if (isFiniteNumber(v)) return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return null;
}

function readBinary(label: Json, prediction: Json): BinaryObservation | SkipReason {
  const n = typeof label === 'boolean' ? Number(label) : numberOf(label);
  if (n !== 0 && n !== 1) return 'bad-label';
  // A probability of label 1: a number, [p], or a two-class vector [p0, p1].
  let p: Json | undefined = prediction;
  if (Array.isArray(p)) p = p.length === 1 ? p[0] : p.length === 2 ? p[1] : undefined;
  const clamped = probability(p);
  if (clamped === null) return 'bad-prediction';
  return { y: n, p: clamped };
}

function readRegression(label: Json, prediction: Json): RegressionObservation | SkipReason {
  const y = numberOf(label);
  if (y === null) return 'bad-label';
  const yHat = unwrap(prediction);
  if (!isFiniteNumber(yHat)) return 'bad-prediction';
  return { y, yHat };
}

/**
 * A class's identity as text: with `classes`, an index (number or digits) becomes its name;
 * otherwise an index is its decimal text and a name stays a name. Null when not a class.
 */
function classId(v: Json | undefined, classes: string[] | undefined): string | null {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) return null;
    return classes?.[v] ?? String(v);
  }
  if (typeof v !== 'string' || v === '') return null;
  if (classes && !classes.includes(v) && /^\d+$/.test(v)) return classes[Number(v)] ?? v;
  return v;
}

function readMulticlass(rawLabel: Json, prediction: Json, options: ReadOptions): MulticlassObservation | SkipReason {
  const label = classId(rawLabel, options.classes);
  if (label === null) return 'bad-label';
  if (Array.isArray(prediction)) return readVector(label, prediction, options);
  if (isObject(prediction) && Array.isArray(prediction.classes) && Array.isArray(prediction.scores)) {
    // post/topk: classes best first.
    const ids = prediction.classes.map((c) => classId(c, options.classes));
    const first = ids[0];
    if (first === null || first === undefined || ids.length !== prediction.scores.length) return 'bad-prediction';
    const at = ids.indexOf(label);
    const score = at >= 0 ? prediction.scores[at] : undefined;
    const scores = prediction.scores.map(probability);
    // topk gives the whole distribution only when it lists every configured class.
    const whole = options.classes !== undefined && options.classes.every((c) => ids.includes(c)) && scores.every((x) => x !== null);
    return {
      label,
      predicted: first,
      probability: probability(score),
      distribution: whole ? { classes: ids as string[], scores: scores as number[] } : null,
      // A label not listed is outside the top k only if at least k classes are listed.
      inTopK: at >= 0 ? at < options.topK : ids.length >= options.topK ? false : null,
    };
  }
  if (isObject(prediction) && 'class' in prediction && 'score' in prediction) {
    // post/argmax: only the best class and its score.
    const predicted = classId(prediction.class, options.classes);
    if (predicted === null) return 'bad-prediction';
    const hit = predicted === label;
    return { label, predicted, probability: hit ? probability(prediction.score) : null, inTopK: hit ? true : options.topK === 1 ? false : null, distribution: null };
  }
  return 'bad-prediction';
}

/** A probability vector (the model's softmax output): the class is its index. */
function readVector(label: string, v: Json[], options: ReadOptions): MulticlassObservation | SkipReason {
  if (v.length < 2 || !v.every(isFiniteNumber)) return 'bad-prediction';
  const scores = v as number[];
  const name = (i: number) => options.classes?.[i] ?? String(i);
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  let at = -1;
  for (let i = 0; i < scores.length && at < 0; i++) if (name(i) === label) at = i;
  if (at < 0) return 'unknown-label';
  const p = scores[at]!;
  // Rank as post/topk orders: higher score first, ties by lower index; or, with topKTies
  // "include" (Keras in_top_k), only strictly higher scores push the label down.
  let rank = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > p || (options.topKTies !== 'include' && scores[i] === p && i < at)) rank++;
  const probabilities = scores.map(probability);
  const whole = probabilities.every((x) => x !== null);
  return {
    label,
    predicted: name(best),
    probability: probability(p),
    inTopK: rank < options.topK,
    distribution: whole ? { classes: scores.map((_, i) => name(i)), scores: probabilities as number[] } : null,
  };
}
