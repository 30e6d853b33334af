/**
 * Checks the output of one run of `bench/tfrecord-split.ts` against the file's record index:
 * every record of the file appears exactly once, as a prediction or an error row, whether the
 * file ran as one partition (keys `file:index`) or split (keys `file@offset`); and the
 * predictions of two runs are the same record for record. What makes the comparison possible
 * is the tfrecord2idx index the bench writes beside the file: it maps an index to its offset.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Record offsets of a TFRecord file, in file order, from its tfrecord2idx index. */
export function readOffsets(indexFile: string): Float64Array {
  const lines = fs.readFileSync(indexFile, 'utf8').split('\n').filter((l) => l.length > 0);
  const offsets = new Float64Array(lines.length);
  lines.forEach((line, i) => (offsets[i] = Number(line.slice(0, line.indexOf(' ')))));
  return offsets;
}

/** The record number of `offset` (a binary search), or -1 when no record starts there. */
function recordAt(offsets: Float64Array, offset: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid]! === offset) return mid;
    if (offsets[mid]! < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** FNV-1a of a string: a prediction's fingerprint, so two runs compare in 4 bytes per record. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What one run wrote, per record number: a prediction's fingerprint, or an error row. */
export interface RunOutput {
  predictions: number;
  errors: number;
  /** Records that appear more than once, and records that appear nowhere. */
  duplicates: number;
  missing: number;
  /** Per record: 1 = prediction, 2 = error row, 0 = absent. */
  kind: Uint8Array;
  hash: Uint32Array;
}

function jsonlLines(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0));
}

/**
 * Reads a run's predictions (`{"key": "<file>:<index>" | "<file>@<offset>", "prediction": …}`)
 * and error rows (`offset` set in both layouts) and places each on its record.
 */
export function readRun(outDir: string, errorsDir: string, offsets: Float64Array): RunOutput {
  const n = offsets.length;
  const out: RunOutput = { predictions: 0, errors: 0, duplicates: 0, missing: 0, kind: new Uint8Array(n), hash: new Uint32Array(n) };
  const place = (record: number, kind: 1 | 2, hash: number) => {
    if (record < 0 || record >= n) throw new Error(`${outDir}: a row names no record of the file (record ${record})`);
    if (out.kind[record] !== 0) out.duplicates++;
    out.kind[record] = kind;
    out.hash[record] = hash;
  };
  for (const line of jsonlLines(outDir)) {
    const row = JSON.parse(line) as { key: string; prediction: unknown };
    const at = row.key.lastIndexOf('@');
    const record = at >= 0 ? recordAt(offsets, Number(row.key.slice(at + 1))) : Number(row.key.slice(row.key.lastIndexOf(':') + 1));
    place(record, 1, fnv1a(JSON.stringify(row.prediction)));
    out.predictions++;
  }
  for (const line of jsonlLines(errorsDir)) {
    const row = JSON.parse(line) as { offset: number; code: string };
    place(recordAt(offsets, row.offset), 2, fnv1a(row.code));
    out.errors++;
  }
  for (let i = 0; i < n; i++) if (out.kind[i] === 0) out.missing++;
  return out;
}

/** Records whose row differs between two runs (kind or prediction), and the first such record. */
export function compareRuns(a: RunOutput, b: RunOutput): { differ: number; first: number } {
  let differ = 0;
  let first = -1;
  for (let i = 0; i < a.kind.length; i++) {
    if (a.kind[i] !== b.kind[i] || a.hash[i] !== b.hash[i]) {
      differ++;
      if (first < 0) first = i;
    }
  }
  return { differ, first };
}
