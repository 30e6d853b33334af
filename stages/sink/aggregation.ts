/**
 * A mergeable aggregation over rows, and how its per-partition states travel.
 *
 * One mechanism for every sink that aggregates: the metrics sink (`metricsAggregation`,
 * metrics/sliced.ts), the `aggregate` sink (a user module) and a prediction spec's metrics all
 * open a partition with `aggregationWriter` and merge in `finish` with `mergeCommitted`. `init` makes an empty state, `update` adds a row, `merge` adds another state (it must be
 * associative and commutative, so a state merged from any partitioning equals a single pass),
 * `result` is the figure, `encode`/`decode` turn a state into JSON and back.
 *
 * A partition's state is written as a file beside the partition's other outputs,
 * `<dir>/part-00007-of-00032.<ext>`, through `part.createOutput`: the engine stages it and
 * commits it with the partition, before the manifest entry (the commit point), so a committed
 * partition always has its state and an abandoned attempt's state is never seen. The manifest
 * entry holds only a small reference (`StateRef`), so it stays small however big the state.
 */
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { partName } from '../../src/runtime/partition.js';
import type { PartitionContext, Row, RowWriter } from '../../src/core/stage.js';
import type { Json } from '../../src/core/types.js';
import { joinUri, type Storage } from '../../src/storage/index.js';

export interface Aggregation<State, Input, Result> {
  init(): State;
  update(state: State, input: Input): void;
  /** Adds `other` into `into`; `other` is left as it was. */
  merge(into: State, other: State): void;
  result(state: State): Result;
  encode(state: State): Json;
  decode(json: Json): State;
}

/** Merges states into a new one (none of them is modified). */
export function mergeAll<S>(agg: Aggregation<S, unknown, unknown>, states: readonly S[]): S {
  const out = agg.init();
  for (const s of states) agg.merge(out, s);
  return out;
}

/** What the manifest entry keeps of a partition's state: the file's name in the sink's directory, and its size. */
export interface StateRef {
  stateFile: string;
  bytes: number;
}

/** Writes a partition's state next to its outputs in `dir`; resolves to the reference for the manifest. */
export async function writeStateFile(part: PartitionContext, dir: string, ext: string, state: Json): Promise<StateRef> {
  const text = JSON.stringify(state);
  const out = part.createOutput(dir, ext);
  const done = finished(out as NodeJS.WritableStream & Writable);
  out.end(text);
  await done;
  return { stateFile: partName(part.partition, ext), bytes: Buffer.byteLength(text) };
}

/** Reads a committed partition's state back (an inline state, from tests or `predict`, is returned as it is). */
export async function readStateFile(storage: Storage, dir: string, ref: Json): Promise<Json> {
  if (ref === null || typeof ref !== 'object' || Array.isArray(ref) || typeof ref.stateFile !== 'string') return ref;
  const file = joinUri(dir, ref.stateFile);
  try {
    return JSON.parse(Buffer.from(await storage.readAll(file)).toString('utf8')) as Json;
  } catch (err) {
    throw new Error(`cannot read the partition state ${file}: ${(err as Error).message}; rerun with --overwrite`, { cause: err });
  }
}

/**
 * The writer of one partition attempt: rows go into a fresh state; `end` commits the state as a
 * file `part-NNNNN-of-NNNNN.<ext>` in `dir` with the partition (an aborted attempt's file is
 * dropped with the attempt, so a retried or resumed partition is counted once). Outside the
 * engine (no partition: tests, `predict`) the state itself is returned.
 */
export function aggregationWriter<S>(agg: Aggregation<S, Row[], unknown>, part: PartitionContext | undefined, dir: string, ext: string): RowWriter {
  const state = agg.init();
  return {
    write: (rows) => agg.update(state, rows),
    end: async () => (part ? ((await writeStateFile(part, dir, ext, agg.encode(state))) as unknown as Json) : agg.encode(state)),
  };
}

/** Reads the committed partitions' states (the refs `finish` receives) and merges them into one. */
export async function mergeCommitted<S>(agg: Aggregation<S, never, unknown>, refs: readonly Json[], storage: Storage, dir: string): Promise<S> {
  const states: S[] = [];
  for (const ref of refs) states.push(agg.decode(await readStateFile(storage, dir, ref)));
  return mergeAll(agg as Aggregation<S, unknown, unknown>, states);
}

/** A per-row aggregation as one over batches of rows (what a sink writer receives). */
export function overRows<S, R>(agg: Aggregation<S, Row, R>): Aggregation<S, Row[], R> {
  return {
    ...agg,
    update: (state, rows) => {
      for (const row of rows) agg.update(state, row);
    },
  };
}

/** Several named aggregations as one (a prediction spec's metrics): one state file per partition, a result by name. */
export function combine(aggs: Record<string, Aggregation<any, Row[], Json>>): Aggregation<Record<string, any>, Row[], Record<string, Json>> {
  const names = Object.keys(aggs);
  const each = <T>(f: (name: string, agg: Aggregation<any, Row[], Json>) => T): Record<string, T> => Object.fromEntries(names.map((n) => [n, f(n, aggs[n]!)]));
  return {
    init: () => each((_, a) => a.init()),
    update: (state, rows) => names.forEach((n) => aggs[n]!.update(state[n], rows)),
    merge: (into, other) => names.forEach((n) => aggs[n]!.merge(into[n], other[n])),
    result: (state) => each((n, a) => a.result(state[n])),
    encode: (state) => each((n, a) => a.encode(state[n])),
    decode: (json) => each((n, a) => a.decode((json as Record<string, Json>)[n]!)),
  };
}
