/**
 * The record types that flow along the edges of a pipeline graph.
 * This file imports nothing, so every other module may import it without cycles.
 *
 *   source ─RawRecord→ decode ─Instance→ key ─KeyedInstance→ model ─Prediction→ post* ─Prediction→ sink
 *
 * Every record also carries its origin (source file, index, byte offset) so that any stage can
 * turn it into a Failure that names where it came from.
 */

/** Where a record came from: the input file, its record index (from 0) and byte offset. */
export interface Origin {
  /** The input file's URI as the user wrote it or as listed (e.g. `data/part-1.jsonl`). */
  source: string;
  /** Record index within `source`, from 0; null where counting would cost a second pass. */
  index: number | null;
  /** Byte offset of the record within `source`, where known. */
  offset: number | null;
}

/** One record as read from storage: the text of a line, a CSV row, or the bytes of a TFRecord. */
export interface RawRecord extends Origin {
  /** The record's text (JSONL line, CSV record) or bytes (binary formats). */
  raw: string | Uint8Array;
  /** Fields already parsed by the source (CSV rows), keyed by column name. */
  fields?: Record<string, unknown>;
}

/**
 * A flattened feature value, row-major, with the per-instance shape from the feature spec.
 * `BigInt64Array` holds an `int64` feature exactly; `bytes` features are base64 strings.
 */
export type FeatureValue = Float32Array | Int32Array | BigInt64Array | string[];

/** A decoded record: its parsed fields (for keys and forwarding) and its typed features. */
export interface Instance extends Origin {
  raw: string | Uint8Array;
  fields: Record<string, unknown>;
  features: Record<string, FeatureValue>;
}

/**
 * The instance key: user-provided (a field's value) or positional (`source:index`). A JSON
 * integer beyond 2^53 is a `bigint` holding the input's exact value (see core/exact-json.ts).
 */
export type Key = string | number | bigint;

/** An instance with its key and the input fields copied to the output unchanged. */
export interface KeyedInstance extends Instance {
  key: Key;
  forward: Record<string, unknown>;
}

/**
 * A JSON value: what a prediction becomes in an output row. A `bigint` is an input integer beyond
 * 2^53 (a key or forwarded value) kept exact; sinks write its digits (see core/exact-json.ts).
 */
export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

/** The model's answer for one instance, carried with its key and forwarded fields. */
export interface Prediction extends Origin {
  key: Key;
  forward: Record<string, unknown>;
  /**
   * The instance's output without the batch dimension: nested arrays shaped like the output,
   * or an object by output name for a model with several outputs. Post stages reshape it.
   */
  prediction: Json;
  raw?: string | Uint8Array;
}

/** The stage kinds, in the order a record passes them. */
export type StageKind = 'source' | 'decode' | 'key' | 'model' | 'post' | 'sink';

/**
 * A record that did not make it: it travels in-band to the end of the chain and lands in the
 * errors sink as one row. Its fields are the CONTRACT's error row.
 */
export interface Failure extends Origin {
  failed: true;
  key: Key | null;
  stage: StageKind;
  /** A short machine-friendly class of error, e.g. `bad-json`, `shape`, `not-finite`. */
  code: string;
  /** One line saying what was expected and what was found. */
  error: string;
  raw: string | Uint8Array | null;
  /** Parsed fields, when the record parsed: lets a later key stage fill in the key. */
  fields?: Record<string, unknown>;
}

/** Names of record types used to check the edges of a graph built from a config. */
export type RecordTypeName = 'Partition' | 'RawRecord' | 'Instance' | 'KeyedInstance' | 'Prediction' | 'Rows';

/** One whole input file of a partition that groups several files (source `files`). */
export interface PartitionFile {
  /** The file as named in keys and error rows. */
  source: string;
  /** Absolute, resolved location. */
  uri: string;
  size: number;
  mtimeMs: number;
}

/**
 * A unit of work planned by a source: a whole file, a byte range aligned on records, or a
 * group of whole files (`files`).
 */
export interface Partition {
  /** Position in the plan, from 0. */
  id: number;
  /** Number of partitions in the plan (for `part-00007-of-00032` names). */
  of: number;
  /** The input file (URI as listed). */
  source: string;
  /** Absolute, resolved location of the input file. */
  uri: string;
  /** Byte range [start, end) of the file this partition owns; whole file when start=0 and end=size. */
  start: number;
  end: number;
  /** The file's size in bytes (and mtime, for the plan fingerprint). */
  size: number;
  mtimeMs: number;
  /** True when the file is split into several ranges: records are then keyed by offset. */
  split: boolean;
  /**
   * Several whole files in one partition (source `files`: one record per file), in plan order.
   * `source`, `uri` and `mtimeMs` then describe the first file, and `start`/`end`/`size` span
   * the bytes of all of them (0 to their total), so progress and byte counts stay right.
   */
  files?: PartitionFile[];
}

/** Counters for one partition or a whole run; `read = written + failed` must hold. */
export interface Counts {
  read: number;
  written: number;
  failed: number;
  failedByStage: Partial<Record<StageKind, number>>;
  failedByCode: Record<string, number>;
}
