/**
 * A score table: per distinct score, the (weighted) count of positives and negatives. It is the
 * mergeable state behind exact AUC-ROC, average precision, ROC/PR curves and precision-at-recall:
 * merging two tables is adding counts key by key (a sorted merge), so a merged table equals the
 * table of a single pass over all records, and every figure computed from it is exact.
 *
 * Bounded: past `maxScores` distinct keys the table coarsens by dropping low bits of the score's
 * float32 pattern (`shift`), which groups neighbouring scores into buckets whose edges depend on
 * nothing but the shift, so coarse tables still merge exactly and a single pass coarsens to the
 * same shift as any partitioning (a subset never needs more buckets than the whole). A coarse
 * table states how far its AUCs can be from the exact ones (see `aucRoc`, `averagePrecision`).
 */
import type { Json } from '../../../src/core/types.js';

/** The counts of one key. `tied` (coarse tables only): weight-pairs known to share one exact score. */
interface Cell {
  pos: number;
  neg: number;
  tied: number;
}

export interface ScoreTable {
  /** 0: keys are the exact scores; s > 0: keys are bucket edges, float32 bit patterns >> s << s. */
  shift: number;
  cells: Map<number, Cell>;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 bit pattern of a score in [0, 1] (monotone in the score). */
function bitsOf(p: number): number {
  f32[0] = p + 0; // + 0 turns -0 into 0
  return u32[0]!;
}

function valueOfBits(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}

/** The key a score falls in at `shift`. */
function keyOf(p: number, shift: number): number {
  return shift === 0 ? p + 0 : valueOfBits((bitsOf(p) >>> shift) << shift);
}

export function emptyTable(): ScoreTable {
  return { shift: 0, cells: new Map() };
}

function cellAt(t: ScoreTable, key: number): Cell {
  let c = t.cells.get(key);
  if (!c) t.cells.set(key, (c = { pos: 0, neg: 0, tied: 0 }));
  return c;
}

/** Adds one observation: score `p` in [0, 1], label `y`, weight `w`. */
export function addScore(t: ScoreTable, p: number, y: 0 | 1, w: number, maxScores: number): void {
  const c = cellAt(t, keyOf(p, t.shift));
  if (y === 1) c.pos += w;
  else c.neg += w;
  if (t.cells.size > maxScores) coarsen(t, maxScores, t.shift + 1);
}

/** Regroups `t` at `shift` or coarser until it holds at most `maxScores` keys. */
function coarsen(t: ScoreTable, maxScores: number, shift: number): void {
  let cells = t.cells;
  let from = t.shift;
  while (from < shift || cells.size > maxScores) {
    const to = Math.max(shift, from + 1);
    const next = new Map<number, Cell>();
    for (const [key, c] of cells) {
      const k = keyOf(key, to);
      let into = next.get(k);
      if (!into) next.set(k, (into = { pos: 0, neg: 0, tied: 0 }));
      // An exact key's pairs are all true ties; a bucket's known ties carry over.
      into.tied += from === 0 ? c.pos * c.neg : c.tied;
      into.pos += c.pos;
      into.neg += c.neg;
    }
    cells = next;
    from = to;
  }
  t.cells = cells;
  t.shift = from;
}

/**
 * Adds `b` into `a` (both left coarsened to the coarser shift, then to `maxScores`). Ties
 * between partitions inside one bucket are not known, so a merged coarse table's bound can be
 * looser than a single pass's; its counts, and so its AUC values, are the same.
 */
export function mergeTable(a: ScoreTable, b: ScoreTable, maxScores: number): void {
  let other = b;
  if (b.shift < a.shift) {
    other = { shift: b.shift, cells: new Map([...b.cells].map(([k, c]) => [k, { ...c }])) };
    coarsen(other, Infinity, a.shift);
  } else if (b.shift > a.shift) {
    coarsen(a, Infinity, b.shift);
  }
  for (const [key, c] of other.cells) {
    const into = cellAt(a, key);
    into.pos += c.pos;
    into.neg += c.neg;
    into.tied += c.tied;
  }
  if (a.cells.size > maxScores) coarsen(a, maxScores, a.shift + 1);
}

/** Keys in increasing order with their cells. */
function sorted(t: ScoreTable): [number, Cell][] {
  // A typed array sorts numerically and natively: ~20× a comparator over entry pairs.
  const keys = Float64Array.from(t.cells.keys()).sort();
  return Array.from(keys, (k) => [k, t.cells.get(k)!] as [number, Cell]);
}

/** Run-length encoding of a list of numbers: [value, run, value, run, …]. */
function runLengths(xs: number[]): number[] {
  const out: number[] = [];
  for (const x of xs) {
    if (out.length && out[out.length - 2] === x) out[out.length - 1]!++;
    else out.push(x, 1);
  }
  return out;
}

function unRunLengths(rle: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < rle.length; i += 2) for (let j = 0; j < rle[i + 1]!; j++) out.push(rle[i]!);
  return out;
}

/**
 * The table as compact JSON: keys in increasing order, delta-encoded as float32 bit patterns when
 * every key is a float32 value (model outputs are), else as the exact doubles; counts run-length
 * encoded (most distinct scores hold one record: runs of [0, 1]).
 */
export function encodeTable(t: ScoreTable): Json {
  const rows = sorted(t);
  const keys = rows.map(([k]) => k);
  const asF32 = keys.every((k) => Math.fround(k) === k);
  let keyField: Json;
  if (asF32) {
    let last = 0;
    keyField = { f32Deltas: keys.map((k) => { const b = bitsOf(k); const d = b - last; last = b; return d; }) };
  } else {
    keyField = { f64: keys };
  }
  const out: Record<string, Json> = { shift: t.shift, keys: keyField, pos: runLengths(rows.map(([, c]) => c.pos)), neg: runLengths(rows.map(([, c]) => c.neg)) };
  if (t.shift > 0) out.tied = runLengths(rows.map(([, c]) => c.tied));
  return out;
}

export function decodeTable(json: Json): ScoreTable {
  const j = json as { shift: number; keys: { f32Deltas?: number[]; f64?: number[] }; pos: number[]; neg: number[]; tied?: number[] };
  let keys: number[];
  if (j.keys.f32Deltas) {
    let bits = 0;
    keys = j.keys.f32Deltas.map((d) => valueOfBits((bits += d)));
  } else keys = j.keys.f64 ?? [];
  const pos = unRunLengths(j.pos);
  const neg = unRunLengths(j.neg);
  const tied = j.tied ? unRunLengths(j.tied) : [];
  if (pos.length !== keys.length || neg.length !== keys.length) throw new Error(`a score table has ${keys.length} keys but ${pos.length} positive and ${neg.length} negative counts`);
  const cells = new Map<number, Cell>();
  keys.forEach((k, i) => cells.set(k, { pos: pos[i]!, neg: neg[i]!, tied: tied[i] ?? 0 }));
  return { shift: j.shift, cells };
}

/** A figure with the largest possible gap to the exact figure of the raw scores (0 when exact). */
export interface Bounded {
  value: number;
  bound: number;
}

function totals(t: ScoreTable): { P: number; N: number } {
  let P = 0;
  let N = 0;
  for (const c of t.cells.values()) {
    P += c.pos;
    N += c.neg;
  }
  return { P, N };
}

/**
 * AUC-ROC: P(score⁺ > score⁻) + ½·P(score⁺ = score⁻), the area under the ROC curve with tied
 * scores as one step (scikit-learn's `roc_auc_score`). Exact on an exact table. On a coarse one,
 * pairs inside a bucket count ½; only those not known to be true ties are uncertain, each by ½:
 * bound = Σ (pos·neg − tied) / (2·P·N). Null without positives or negatives.
 */
export function aucRoc(t: ScoreTable): Bounded | null {
  const { P, N } = totals(t);
  if (!(P > 0) || !(N > 0)) return null;
  let credit2 = 0; // twice the credit: integers stay exact below 2^53
  let uncertain = 0;
  let above = 0;
  const rows = sorted(t);
  for (let i = rows.length - 1; i >= 0; i--) {
    const c = rows[i]![1];
    credit2 += c.neg * (2 * above + c.pos);
    if (t.shift > 0) uncertain += c.pos * c.neg - c.tied;
    above += c.pos;
  }
  return { value: credit2 / (2 * P * N), bound: Math.max(0, uncertain) / (2 * P * N) };
}

/**
 * Average precision, Σ (R_n − R_{n−1})·P_n over the distinct scores from the top, no
 * interpolation (scikit-learn's `average_precision_score`). On a coarse table the steps inside a
 * bucket may fall anywhere between the bucket's extreme precisions:
 * bound = Σ (pos/P)·(maxP − minP), maxP = (TP+pos)/(TP+pos+FP), minP = TP/(TP+FP+neg),
 * TP and FP above the bucket. Null without positives.
 */
export function averagePrecision(t: ScoreTable): Bounded | null {
  const { P } = totals(t);
  if (!(P > 0)) return null;
  let value = 0;
  let bound = 0;
  let tp = 0;
  let fp = 0;
  const rows = sorted(t);
  for (let i = rows.length - 1; i >= 0; i--) {
    const { pos, neg } = rows[i]![1];
    if (pos > 0) {
      value += (pos / P) * ((tp + pos) / (tp + pos + fp + neg));
      // The lowest precision a step in the bucket can have: every negative of the bucket first
      // (the first positive's own weight is not known, so it is left out: a looser bound).
      if (t.shift > 0) bound += (pos / P) * ((tp + pos) / (tp + pos + fp) - tp / (tp + fp + neg || 1));
    }
    tp += pos;
    fp += neg;
  }
  return { value, bound: Math.max(0, bound) };
}

/** One point of the ROC and PR curves: predicting positive at score ≥ threshold. */
export interface CurvePoint {
  threshold: number;
  tp: number;
  fp: number;
  tpr: number;
  fpr: number;
  /** TP / (TP + FP); 1 at the first point when nothing is predicted positive (scikit-learn's convention). */
  precision: number;
  recall: number;
}

/** Every curve point, from the highest threshold down (one per distinct key). */
export function curve(t: ScoreTable): CurvePoint[] {
  const { P, N } = totals(t);
  const out: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  const rows = sorted(t);
  for (let i = rows.length - 1; i >= 0; i--) {
    const [key, c] = rows[i]!;
    tp += c.pos;
    fp += c.neg;
    out.push({ threshold: key, tp, fp, tpr: P > 0 ? tp / P : 0, fpr: N > 0 ? fp / N : 0, precision: tp + fp > 0 ? tp / (tp + fp) : 1, recall: P > 0 ? tp / P : 0 });
  }
  return out;
}

/**
 * At most `points` of `all`, evenly spaced by index, always with the first and the last: each
 * point given is a true point of the full curve (exact), only the ones between are left out.
 */
export function downsample<T>(all: readonly T[], points: number): T[] {
  if (all.length <= points) return [...all];
  const out: T[] = [];
  for (let j = 0; j < points; j++) out.push(all[Math.round((j * (all.length - 1)) / (points - 1))]!);
  return out;
}

/** The highest precision over thresholds whose recall is ≥ `recall` (null when no threshold reaches it). */
export function precisionAtRecall(points: readonly CurvePoint[], recall: number): number | null {
  let best: number | null = null;
  for (const p of points) if (p.recall >= recall && p.tp + p.fp > 0 && (best === null || p.precision > best)) best = p.precision;
  return best;
}

/** The highest recall over thresholds whose precision is ≥ `precision` (null when none reaches it). */
export function recallAtPrecision(points: readonly CurvePoint[], precision: number): number | null {
  let best: number | null = null;
  for (const p of points) if (p.tp + p.fp > 0 && p.precision >= precision && (best === null || p.recall > best)) best = p.recall;
  return best;
}

/** (Weighted) counts of positives and negatives in `bins` equal-width score bins over [0, 1], for display. */
export function scoreHistogram(t: ScoreTable, bins: number): { positives: number[]; negatives: number[] } {
  const positives = new Array<number>(bins).fill(0);
  const negatives = new Array<number>(bins).fill(0);
  for (const [key, c] of t.cells) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(key * bins)));
    positives[b]! += c.pos;
    negatives[b]! += c.neg;
  }
  return { positives, negatives };
}

/** Distinct keys held (for reports). */
export const tableSize = (t: ScoreTable) => t.cells.size;
