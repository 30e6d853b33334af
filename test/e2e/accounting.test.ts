/**
 * Exact accounting in every source (issue 15, item 4): each source runs through the CLI over its
 * own malformed inputs (undecodable Parquet row groups, blank CSV lines, cut gzip streams, CRC
 * errors, truncated tails, records above maxRecordBytes, split TFRecord files), and the run
 * summary must say `read = written + failed`, with `read` equal to a count the test knows from
 * how it built the inputs, and every record in exactly one output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { ExampleType } from '../../stages/decode/tf-example/proto.js';
import { frameRecord } from '../../src/core/tfrecord.js';
import { ROOT, readParts } from '../helpers/cli.js';
import { runSluice } from '../helpers/faults.js';
import { RecordioWriter, SNAPPY, GZIP } from '../helpers/recordio-writer.js';

const ok = [5.1, 3.5, 1.4, 0.2];
const features = { measurements: { dtype: 'float32', shape: [4] } };
const text = (s: string) => Buffer.from(s, 'utf8');
const line = (i: number) => JSON.stringify({ id: `r${i}`, measurements: ok });
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i)).join('\n') + '\n';

interface Case {
  files: Record<string, Buffer>;
  source: Record<string, unknown>;
  decode: Record<string, unknown>;
  /** Records in the input, counted from how it was built. */
  records: number;
  /** Of which fail (at any stage). */
  failed: number;
  execution?: Record<string, unknown>;
}

/** A Parquet file of `groups` row groups of `rows` rows; the groups in `gzipped` use GZIP, which hyparquet cannot decode. */
function parquet(groups: number, rows: number, gzipped: number[]): Buffer {
  const writer = new ByteWriter();
  const column = (g: number) => [
    { name: 'id', data: Array.from({ length: rows }, (_, i) => `g${g}-${i}`), type: 'STRING' as const },
    { name: 'measurements', data: Array.from({ length: rows }, () => ok), type: 'JSON' as const },
  ];
  const pq = new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData: column(0) }), compressors: { GZIP: (b: Uint8Array) => gzipSync(b) } });
  for (let g = 0; g < groups; g++) {
    const codec = gzipped.includes(g) ? 'GZIP' : 'SNAPPY';
    pq.write({ columnData: column(g).map((c) => ({ ...c, type: undefined, codec })), rowGroupSize: rows });
  }
  pq.finish();
  return Buffer.from(writer.getBuffer());
}

const example = (i: number, pad = 0) =>
  frameRecord(
    ExampleType.encode({
      features: { feature: { id: { bytes_list: { value: [Buffer.from(`t${i}`)] } }, measurements: { float_list: { value: ok } }, pad: { bytes_list: { value: [Buffer.alloc(pad, 0x78)] } } } },
    }).finish(),
  );
const examples = (from: number, n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => example(from + i)));

/** RecordIO of `n` tf.Examples in ~1 KB chunks: chunk `broken` has a flipped data byte; -1 cuts the last chunk in half. */
function recordio(compressor: number, n: number, broken: number): Buffer {
  const w = new RecordioWriter(1024, compressor);
  for (let i = 0; i < n; i++) w.write(example(5000 + i).subarray(12, -4));
  const buf = w.close();
  const starts: number[] = [];
  for (let pos = 0; pos < buf.length; pos += 20 + buf.readUInt32LE(pos + 12)) starts.push(pos);
  const count = (k: number) => buf.readUInt32LE(starts[k]! + 16);
  if (broken >= 0) {
    recordioFailed += count(broken);
    return flipped(buf, starts[broken]! + 25);
  }
  const last = starts.at(-1)!;
  recordioFailed += count(starts.length - 1);
  return buf.subarray(0, last + 20 + Math.floor(buf.readUInt32LE(last + 12) / 2));
}

function flipped(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] ^= 0x01;
  return copy;
}

const plainTf = examples(0, 400); // about 40 KB: split into several byte ranges below
const recordBytes = example(0).length;
const gz = gzipSync(text(lines(0, 300)));

let recordioFailed = 0;
const cases: Record<string, Case> = {
  jsonl: {
    source: { type: 'jsonl', maxRecordBytes: 2000 },
    decode: { type: 'json', features },
    files: {
      // Blank lines (empty, spaces, CRLF) are not records; a bad line, bad UTF-8 and a 5 KB line are.
      'a.jsonl': text(`${line(0)}\n\n   \n${line(1)}\r\n{"oops\n${line(2)}\n{"id":"big","pad":"${'x'.repeat(5000)}"}\n${line(3)}`),
      'b.jsonl': Buffer.concat([text(lines(10, 5)), Buffer.from([0xff, 0x0a])]),
      // gzip, whole and cut: a cut stream keeps the lines before the damage and is one Failure.
      'c.jsonl.gz': gz,
      'd.jsonl.gz': gz.subarray(0, Math.floor(gz.length / 2)),
    },
    records: 6 + 6 + 300, // and d.jsonl.gz, counted below
    failed: 2 + 1,
  },
  csv: {
    source: { type: 'csv', maxRecordBytes: 2000 },
    decode: { type: 'csv', features },
    files: {
      // One column: a blank line is a record with an empty field (a decode Failure here).
      'a.csv': text('measurements\n"[5.1,3.5,1.4,0.2]"\n\n"[5.1,3.5,1.4,0.2]"\r\n\r\n\n'),
      // Two columns: a blank line is not a record; a short row, a huge row and bad UTF-8 are.
      'b.csv': Buffer.concat([text(`id,measurements\nb1,"[5.1,3.5,1.4,0.2]"\n\nb2\nb3,"${'x'.repeat(5000)}"\n`), Buffer.from([0x62, 0xff, 0x2c, 0x31, 0x0a]), text('b5,"[5.1,3.5,1.4,0.2]"')]),
      'c.csv.gz': gzipSync(text('id,measurements\n' + Array.from({ length: 50 }, (_, i) => `c${i},"[5.1,3.5,1.4,0.2]"`).join('\n') + '\n')),
    },
    records: 5 + 5 + 50,
    failed: 3 + 3,
  },
  tfrecord: {
    source: { type: 'tfrecord', maxRecordBytes: 4000 },
    decode: { type: 'tf-example', features },
    execution: { partitionBytes: 8192 },
    files: {
      // Split into byte ranges (8 KB partitions); one record's data CRC is broken.
      'a.tfrecord': flipped(plainTf, 5 * recordBytes + 20),
      // A record above maxRecordBytes (skipped) between good ones, and a truncated tail.
      'b.tfrecord': Buffer.concat([examples(1000, 3), example(1003, 10_000), examples(1004, 3), example(1007).subarray(0, 30)]),
      'c.tfrecord.gz': gzipSync(examples(2000, 20)),
    },
    records: 400 + 8 + 20,
    failed: 1 + 2,
  },
  parquet: {
    source: { type: 'parquet' },
    decode: { type: 'json', features },
    files: {
      // 3 row groups of 68 rows; the middle one is GZIP: 68 error rows, not 1.
      'a.parquet': parquet(3, 68, [1]),
      'b.parquet': parquet(2, 513, [0, 1]),
    },
    records: 3 * 68 + 2 * 513,
    failed: 68 + 2 * 513,
  },
  recordio: {
    source: { type: 'recordio' },
    decode: { type: 'tf-example', features },
    execution: { partitionBytes: 4096 },
    files: {
      // Ranges of whole chunks (4 KB partitions); the third chunk's data is corrupted.
      'a.recordio': recordio(SNAPPY, 300, 2),
      // A truncated tail: every record of the cut chunk fails.
      'b.recordio': recordio(GZIP, 100, -1),
    },
    records: 300 + 100,
    failed: 0, // set below: the records of the broken chunks, from their headers
  },
  'file-list': {
    // Entries relative to the list; a blank line and a comment are not entries.
    source: { type: 'file-list', uri: 'data/list.txt' },
    decode: { type: 'json', features },
    files: { 'list.txt': text('# inputs\na.jsonl\n\nb.jsonl.gz\n'), 'a.jsonl': text(`${line(0)}\n{"bad"\n\n${line(1)}\n`), 'b.jsonl.gz': gzipSync(text(lines(2, 30))) },
    records: 3 + 30,
    failed: 1,
  },
  files: {
    source: { type: 'files', maxRecordBytes: 1000 },
    decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4], default: 0 } } },
    files: { 'a.bin': Buffer.alloc(10), 'b.bin': Buffer.alloc(2000), 'c.bin': Buffer.alloc(0), 'd.bin': Buffer.alloc(999) },
    records: 4,
    failed: 1,
  },
};
cases.recordio!.failed = recordioFailed;

// The cut gzip, counted independently: zlib's own sync-flush decompression of the cut bytes
// gives the readable prefix; its whole lines are records, and the rest is one Failure.
{
  const prefix = gunzipSync(cases.jsonl!.files['d.jsonl.gz']!, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const whole = prefix.subarray(0, prefix.lastIndexOf(0x0a) + 1).toString().split('\n').length - 1;
  assert.ok(whole > 10 && whole < 300, `${whole} whole lines before the cut`);
  cases.jsonl!.records += whole + 1;
  cases.jsonl!.failed += 1;
}

function project(name: string, c: Case): { dir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-accounting-${name}-`));
  fs.cpSync(path.join(ROOT, 'examples/quickstart/model'), path.join(dir, 'model'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  for (const [file, bytes] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, 'data', file), bytes);
  const config = {
    source: { uri: 'data/', ...c.source },
    decode: c.decode,
    key: { type: 'position' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 16 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2, maxErrorRate: 1, ...c.execution },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  return { dir, config: path.join(dir, 'pipeline.json') };
}

for (const [name, c] of Object.entries(cases)) {
  test(`${name}: read = written + failed, read equals the records the test wrote, each in exactly one output`, async () => {
    const p = project(name, c);
    const r = await runSluice(['run', p.config, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    const predictions = readParts(path.join(p.dir, 'out/predictions'));
    const errors = readParts(path.join(p.dir, 'out/errors'));
    const detail = `errors: ${JSON.stringify(errors.slice(0, 12).map((e) => [e.key, e.source, e.index, e.offset, e.code ?? e.stage, e.error]))}`;
    assert.equal(summary.counts.read, c.records, detail);
    assert.equal(summary.counts.read, summary.counts.written + summary.counts.failed);
    assert.equal(summary.counts.failed, c.failed, detail);
    assert.equal(predictions.length, summary.counts.written);
    assert.equal(errors.length, summary.counts.failed);
    const keys = [...predictions, ...errors].map((row) => row.key).filter((k) => k !== null);
    assert.equal(new Set(keys).size, keys.length, 'no key twice');
  });
}
