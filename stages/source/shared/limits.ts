/**
 * The one record-size limit every source applies (`maxRecordBytes`): a record above it is a
 * Failure (code `too-large`) that the source recognises from a length it knows before holding the
 * record (a TFRecord or RecordIO header, a file's size, the bytes of a line seen so far), so the
 * record is skipped, never buffered whole. Each source's schema spreads `maxRecordBytesOption`.
 */
import { constants } from 'node:buffer';
import type { Failure } from '../../../src/core/types.js';

/** The default limit: 256 MiB, far above any sane record, far below what would exhaust a worker. */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * The schema property every source shares (JSON Schema, `integer` bytes). Typed loosely: the
 * option is optional in the options type (code reads it through `recordLimit`), with a default.
 */
export const maxRecordBytesOption: Record<'maxRecordBytes', any> = {
  maxRecordBytes: {
    type: 'integer',
    minimum: 1,
    maximum: 2 ** 31 - 1,
    default: DEFAULT_MAX_RECORD_BYTES,
    description:
      'Largest record, in bytes (default 268435456, 256 MiB). A larger record is a Failure (code "too-large") found without buffering it: the source skips its bytes and goes on with the next record. Text records (JSONL lines, CSV rows) are also capped by the longest string Node can hold (about 512 MiB).',
  },
};

/** The options the limit adds to a source's options type. */
export interface RecordLimitOptions {
  /** Largest record in bytes; larger ones are `too-large` Failures (default 256 MiB). */
  maxRecordBytes?: number;
}

/**
 * The limit in force for a source's options (the schema's default when a test or the builder
 * passes options that were not validated).
 *
 * @example
 * recordLimit({ uri: 'a.jsonl' }) // 268435456
 */
export function recordLimit(options: RecordLimitOptions): number {
  return options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
}

/**
 * The effective limit for records that become strings: a line longer than V8's longest string
 * could not be decoded at all, so it counts as too large too.
 *
 * @example
 * textLimit(2 ** 31 - 1) // about 2 ** 29
 */
export function textLimit(maxRecordBytes: number): number {
  return Math.min(maxRecordBytes, constants.MAX_STRING_LENGTH);
}

/**
 * The Failure of a record above the limit; `size` is its length in bytes (as its header declares
 * it, or as counted while skipping it); `raw` is at most its first bytes.
 *
 * @example
 * tooLarge({ source: 'a.jsonl', index: 3, offset: 120 }, 300_000_000, 268435456, head)
 */
export function tooLarge(
  origin: { source: string; index: number | null; offset: number | null },
  size: number,
  limit: number,
  raw: string | Uint8Array | null,
): Failure {
  return {
    failed: true,
    key: null,
    source: origin.source,
    index: origin.index,
    offset: origin.offset,
    stage: 'source',
    code: 'too-large',
    error: `${origin.source}: record of ${size} bytes is larger than maxRecordBytes (${limit}); it was skipped without reading it into memory`,
    raw,
  };
}
