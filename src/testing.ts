/**
 * Test helpers for users' code (`import { checkMerge } from 'sluice/testing'`).
 *
 * `checkMerge` runs a user aggregation the way a run does — rows split into partitions, each
 * partition's state updated in batches, encoded to JSON and back (as a committed state file is),
 * then merged in some order — over many random partitionings of the same rows, and throws when
 * a result differs from a single pass over all rows. A `merge` that is not associative and
 * commutative, or an `update` that depends on batch boundaries, fails it.
 */
import { jsonProblem, type UserAggregation } from '../stages/sink/aggregate/user-aggregation.js';
import type { Row } from './core/stage.js';
import { mulberry32 as random } from './core/random.js';

export type { UserAggregation } from '../stages/sink/aggregate/user-aggregation.js';

export interface CheckMergeOptions {
  /** Random partitionings tried (default 50). */
  partitionings?: number;
  /** Seed of the partitionings, so a failure replays (default 1). */
  seed?: number;
  /**
   * Numbers may differ from the single pass by this much relative to the larger magnitude
   * (default 0: exact). Float sums merged in different orders differ by ~1e-15 relatively; an
   * exact aggregation (integer counts, exact sums) needs no tolerance.
   */
  tolerance?: number;
}


/** Where `a` and `b` differ beyond `tolerance` (a path), or null. */
function difference(a: unknown, b: unknown, tolerance: number, at: string): string | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const scale = Math.max(Math.abs(a), Math.abs(b));
    return a === b || Math.abs(a - b) <= tolerance * scale ? null : `${at}: ${a} vs ${b} (single pass)`;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)} (single pass)`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: an array and an object`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tolerance, Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

/** A state as a committed file gives it back: JSON text and parsed (and checked to be plain JSON). */
function roundTrip(state: unknown): unknown {
  const problem = jsonProblem(state, 'state');
  if (problem) throw new Error(`checkMerge: the state is not JSON-serialisable: ${problem}`);
  return JSON.parse(JSON.stringify(state));
}

/** One partition's state: `rows` fed to `update` in random batches. */
function partitionState(agg: UserAggregation, rows: Row[], next: () => number): unknown {
  let state = agg.init();
  for (let i = 0; i < rows.length; ) {
    const n = 1 + Math.floor(next() * Math.min(rows.length - i, 64));
    state = agg.update(state, rows.slice(i, i + n)) ?? state;
    i += n;
  }
  return roundTrip(state);
}

/**
 * Throws (one message: the partitioning, the seed, where the results differ) unless every
 * random partitioning of `rows` gives the single pass's result within `tolerance`.
 *
 * @example
 * import { checkMerge } from 'sluice/testing';
 * import * as histogram from './histogram.js';
 * test('histogram merges exactly', () => checkMerge(histogram, rows));
 */
export function checkMerge(agg: UserAggregation, rows: readonly Row[], options: CheckMergeOptions = {}): void {
  const { partitionings = 50, seed = 1, tolerance = 0 } = options;
  const next = random(seed);
  const single = agg.result(partitionState(agg, [...rows], () => 1));
  for (let t = 0; t < partitionings; t++) {
    // Random partitions (some empty), each a run of consecutive rows, as a source splits a file.
    const count = 1 + Math.floor(next() * Math.min(rows.length + 1, 16));
    const cuts = Array.from({ length: count - 1 }, () => Math.floor(next() * (rows.length + 1))).sort((x, y) => x - y);
    const bounds = [0, ...cuts, rows.length];
    const states = bounds.slice(1).map((end, i) => partitionState(agg, rows.slice(bounds[i], end), next));
    // Merge in a random order and tree shape: pick two states, merge them, put the result back.
    while (states.length > 1) {
      const i = Math.floor(next() * states.length);
      const [a] = states.splice(i, 1);
      const j = Math.floor(next() * states.length);
      states[j] = roundTrip(next() < 0.5 ? agg.merge(a, states[j]) : agg.merge(states[j], a));
    }
    const merged = agg.merge(agg.init(), states[0]);
    const d = difference(agg.result(merged), single, tolerance, 'result');
    if (d) throw new Error(`checkMerge: ${count} partitions (cut at ${cuts.join(', ') || 'none'}; partitioning ${t + 1}, seed ${seed}) give a different result: ${d}`);
  }
}
