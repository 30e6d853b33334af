import type { Failure, Key, Origin, StageKind } from './types.js';
import { redact } from './redact.js';

/** Raw text kept in an error row is cut at this many bytes (CONTRACT: 4 KB). */
export const RAW_LIMIT = 4096;

/**
 * Thrown by stage code for a problem with one record; the stage helpers turn it into a Failure.
 * Any other thrown error also becomes a Failure (code `error`), so user code cannot crash a run.
 *
 * @example
 * if (!Number.isFinite(v)) throw new RecordError('not-finite', `feature "x": expected a finite number, got ${v}`);
 */
export class RecordError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** True when an element of a stream is a Failure rather than a record. */
export function isFailure(x: unknown): x is Failure {
  return typeof x === 'object' && x !== null && (x as Failure).failed === true;
}

interface FailableRecord extends Origin {
  raw?: string | Uint8Array | null;
  key?: Key | null;
  fields?: Record<string, unknown>;
}

/**
 * A Failure for `record` at `stage`, from a thrown value or a code and message.
 *
 * @example
 * toFailure('decode', rawRecord, new RecordError('bad-json', 'expected JSON, got "{oops"'))
 */
export function toFailure(stage: StageKind, record: FailableRecord, err: unknown): Failure {
  const code = err instanceof RecordError ? err.code : 'error';
  const message = err instanceof Error ? err.message : String(err);
  return {
    failed: true,
    key: record.key ?? null,
    source: record.source,
    index: record.index,
    offset: record.offset,
    stage,
    code,
    error: redact(message.split('\n')[0] ?? ''),
    raw: record.raw ?? null,
    fields: record.fields,
  };
}

/** The raw record as text for an error row, cut at RAW_LIMIT bytes; bytes are shown as base64. */
export function rawText(raw: string | Uint8Array | null): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') {
    if (raw.length <= RAW_LIMIT / 4) return raw;
    const bytes = Buffer.from(raw, 'utf8');
    return bytes.length <= RAW_LIMIT ? raw : bytes.subarray(0, RAW_LIMIT).toString('utf8').replace(/\uFFFD$/, '');
  }
  return Buffer.from(raw.subarray(0, (RAW_LIMIT / 4) * 3)).toString('base64');
}
