/**
 * What crosses between a worker thread and the model host thread (docs/native.md, "Thread
 * model"): a batch's features packed into one column per feature (a few typed arrays, not an
 * object per record), and errors as plain data that keep what the worker acts on: a
 * SluiceError's code and lines, an error's name and message (out-of-memory is read from it).
 */
import { SluiceError, type ErrorCode } from '../core/errors.js';
import type { FeatureValue, KeyedInstance } from '../core/types.js';
import type { InputBinding } from './features.js';
import type { LoadOptions } from './load.js';
import type { SavedModelOptions } from './saved-model.js';

/** What to load (model/open.ts): plain data, so that it can be sent to the model host. */
export type ModelRequest =
  | { kind: 'tfjs'; uri: string; options: LoadOptions }
  | { kind: 'saved-model'; uri: string; options: SavedModelOptions };

/** One feature of a batch, row after row: `size` values per record. */
export type Column = Float32Array | Int32Array | BigInt64Array | Float64Array | string[];

type NumberArray = Float32Array | Int32Array | Float64Array;

/**
 * The bound features of `records` as one column per feature. A column keeps the records'
 * own typed-array class (exact values); records that mix kinds get Float64Array (exact for
 * float32 and int32), or BigInt64Array when any holds 64-bit integers.
 *
 * @example
 * packColumns(bindings, records) // { pixels: Float32Array(256 × 784) }
 */
export function packColumns(bindings: InputBinding[], records: KeyedInstance[]): Record<string, Column> {
  const columns: Record<string, Column> = {};
  for (const b of bindings) {
    if (columns[b.feature]) continue;
    const values = records.map((r) => r.features[b.feature] as FeatureValue | number[]);
    if (b.input.dtype === 'string') {
      columns[b.feature] = values.flatMap((v) => v as string[]);
      continue;
    }
    const first = values[0];
    const same = !Array.isArray(first) && values.every((v) => v.constructor === first?.constructor);
    if (same && first instanceof BigInt64Array) {
      const out = new BigInt64Array(records.length * b.size);
      values.forEach((v, i) => out.set(v as BigInt64Array, i * b.size));
      columns[b.feature] = out;
    } else if (values.some((v) => v instanceof BigInt64Array)) {
      const out = new BigInt64Array(records.length * b.size);
      values.forEach((v, i) => {
        for (let k = 0; k < b.size; k++) out[i * b.size + k] = BigInt((v as ArrayLike<number | bigint>)[k]!);
      });
      columns[b.feature] = out;
    } else {
      const Kind = same ? (first!.constructor as new (n: number) => NumberArray) : Float64Array;
      const out = new Kind(records.length * b.size);
      values.forEach((v, i) => out.set(v as ArrayLike<number>, i * b.size));
      columns[b.feature] = out;
    }
  }
  return columns;
}

/**
 * Records again from packed columns, for the model's own `predict`: each holds only its
 * features, as views into the columns (no copy).
 */
export function unpackColumns(bindings: InputBinding[], columns: Record<string, Column>, count: number): KeyedInstance[] {
  const records: KeyedInstance[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const features: Record<string, FeatureValue> = {};
    for (const b of bindings) {
      const c = columns[b.feature]!;
      const at = i * b.size;
      features[b.feature] = (Array.isArray(c) ? c.slice(at, at + b.size) : c.subarray(at, at + b.size)) as FeatureValue;
    }
    records[i] = { features } as KeyedInstance;
  }
  return records;
}

/**
 * The Storage methods a model's load uses (model JSON, weights, a SavedModel's files): the host
 * calls them on the storage of the worker that asked for the model (host-storage.ts).
 */
export const STORAGE_READS = ['list', 'stat', 'exists', 'readAll'] as const;
export type StorageRead = (typeof STORAGE_READS)[number];

/**
 * A storage read's result as it crosses to the host: file contents of 1 MiB or more move into
 * shared memory, which a post hands over instead of copying (twice) like any other buffer.
 */
export function shareable(result: unknown): unknown {
  if (!(result instanceof Uint8Array) || result.byteLength < 1 << 20) return result;
  const shared = new Uint8Array(new SharedArrayBuffer(result.byteLength));
  shared.set(result);
  return shared;
}

/** An error as the other thread rebuilds it. */
export interface WireError {
  name: string;
  message: string;
  /** A Node error's code (e.g. ENOENT: "model file … does not exist"). */
  code?: string;
  sluice?: { code: ErrorCode; lines: string[] };
}

export function toWire(err: unknown): WireError {
  if (err instanceof SluiceError) return { name: err.name, message: err.message, sluice: { code: err.code, lines: err.lines } };
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

export function fromWire(wire: WireError): Error {
  if (wire.sluice) return new SluiceError(wire.sluice.code, wire.sluice.lines);
  const err = Object.assign(new Error(wire.message), wire.code ? { code: wire.code } : {});
  err.name = wire.name;
  return err;
}

/** The model host thread stopped: no call can be answered. Fails the partition, not its records. */
export class ModelHostGone extends Error {
  constructor(reason: string) {
    super(`the model host thread stopped (${reason}); no model call can run in this process`);
    this.name = 'ModelHostGone';
  }
}
