import type { Json, Key, StageKind } from '../core/types.js';

/** A prediction row, as the jsonl sink writes it: `{"key", <forwarded fields…>, "prediction"}`. */
export interface PredictionRow {
  key: Key;
  prediction: Json;
  [forwarded: string]: Json;
}

/** An error row, as the errors sink writes it (CONTRACT): where the record came from and why it failed. */
export interface ErrorRow {
  key: Key | null;
  source: string;
  index: number | null;
  offset: number | null;
  stage: StageKind;
  /** The kind of failure, e.g. `bad-json`, `shape`, `missing-feature`. */
  code: string;
  error: string;
  raw: string | null;
}

/** One output row per input record, in input order: a prediction, or the record's error. */
export type OutputRow = PredictionRow | ErrorRow;

/**
 * True for an error row. A prediction row always has `prediction` (a forwarded field cannot
 * take that name), an error row never does.
 *
 * @example
 * const rows = await predict('pipeline.json', records);
 * const failed = rows.filter(isErrorRow); // [{ key: 'b', stage: 'decode', error: 'feature "x": …', … }]
 */
export function isErrorRow(row: OutputRow): row is ErrorRow {
  return !Object.hasOwn(row, 'prediction');
}

/** What one batch produced: its rows in order and, beside each error row, the Failure's code (metrics count failures by it). */
export interface BatchResult {
  rows: OutputRow[];
  /** `codes[i]`: the code (`bad-json`, `shape`, `model-error`…) when `rows[i]` is an error row, else null. */
  codes: (string | null)[];
}
