/**
 * Source behaviours of issues 15.4, 16.6–7 and 19.4–5 at the stage level: TFRecord files split
 * at record starts (same records as a whole read, keyed by offset), gzip JSONL/CSV (index, no
 * offset; a cut stream is one Failure), records above maxRecordBytes skipped, blank lines of a
 * one-column CSV, undecodable Parquet row groups as one Failure per row, wide CSV headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import tfrecordSource from '../../stages/source/tfrecord/index.js';
import jsonlSource from '../../stages/source/jsonl/index.js';
import csvSource, { twice } from '../../stages/source/csv/index.js';
import parquetSource from '../../stages/source/parquet/index.js';
import { frameRecord } from '../../src/core/tfrecord.js';
import type { Failure, RawRecord } from '../../src/core/types.js';
import { readAll, smallReads } from '../helpers/run-stage.js';

const isFailure = (r: RawRecord | Failure): r is Failure => (r as Failure).failed === true;

function dir(files: Record<string, Buffer | string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-src-'));
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(d, name), bytes);
  return d;
}

/** Records of varied sizes (0 to ~3 KB), so cuts fall everywhere. */
const payloads = Array.from({ length: 300 }, (_, i) => Buffer.alloc((i * 37) % 3000, i % 251));
const tf = Buffer.concat(payloads.map((p) => frameRecord(p)));

test('tfrecord: a large plain file splits at record starts; the ranges give every record once, keyed by offset', async () => {
  const d = dir({ 'a.tfrecord': tf });
  const whole = await readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 2 ** 30 });
  for (const storage of [undefined, smallReads(5)]) {
    const split = await readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 20_000, storage });
    assert.ok(split.partitions.length >= 20, `${split.partitions.length} partitions`);
    assert.ok(split.partitions.every((p) => p.split));
    // Ranges tile the file, each starting at a record start (an offset the whole read saw).
    const starts = new Set(whole.records.map((r) => r.offset));
    split.partitions.forEach((p, i) => {
      assert.ok(starts.has(p.start), `range ${i} starts at ${p.start}`);
      assert.equal(p.start, i === 0 ? 0 : split.partitions[i - 1]!.end);
    });
    assert.equal(split.partitions.at(-1)!.end, tf.length);
    assert.deepEqual(split.records.map((r) => [r.offset, Buffer.from((r as RawRecord).raw as Uint8Array).toString('hex')]), whole.records.map((r) => [r.offset, Buffer.from((r as RawRecord).raw as Uint8Array).toString('hex')]));
    assert.ok(split.records.every((r) => r.index === null), 'a split file keys by offset');
  }
});

test('tfrecord: a gzip file is never split; a corrupt length stops the plan walk, the reader reports it', async () => {
  const bad = Buffer.from(tf);
  const at = tf.length - 20 * 1024;
  // Find the record header nearest after `at` and break its length CRC.
  let pos = 0;
  while (pos < at) pos += 12 + bad.readUInt32LE(pos) + 4;
  bad[pos + 8] ^= 0xff;
  const d = dir({ 'a.tfrecord.gz': gzipSync(tf), 'b.tfrecord': bad });
  const { partitions, records } = await readAll(tfrecordSource, { uri: '.' }, d, { partitionBytes: 20_000 });
  assert.equal(partitions.filter((p) => p.source.endsWith('a.tfrecord.gz')).length, 1);
  assert.ok(partitions.filter((p) => p.source.endsWith('b.tfrecord')).length > 5);
  const failures = records.filter(isFailure);
  assert.deepEqual(failures.map((f) => [f.code, f.offset, f.index]), [['bad-length', pos, null]]);
  assert.match(failures[0]!.error, new RegExp(`record at byte offset ${pos}: corrupt length`));
});

test('tfrecord: a record above maxRecordBytes is one too-large Failure and the next records are read; memory holds none of it', async () => {
  const big = frameRecord(Buffer.alloc(3_000_000, 7));
  const d = dir({ 'a.tfrecord': Buffer.concat([frameRecord(Buffer.from('a')), big, frameRecord(Buffer.from('b'))]) });
  const { records } = await readAll(tfrecordSource, { uri: 'a.tfrecord', maxRecordBytes: 1_000_000 }, d, { storage: smallReads(4096), partitionBytes: 2 ** 30 });
  assert.deepEqual(records.map((r) => (isFailure(r) ? r.code : Buffer.from(r.raw as Uint8Array).toString())), ['a', 'too-large', 'b']);
  assert.match((records[1] as Failure).error, /record of 3000000 bytes is larger than maxRecordBytes \(1000000\)/);
  assert.equal(records[1]!.index, 1);
  // Declared beyond the end of the file: one truncated Failure, nothing allocated for it.
  const header = big.subarray(0, 12);
  const d2 = dir({ 'b.tfrecord': Buffer.concat([frameRecord(Buffer.from('a')), header, Buffer.alloc(100)]) });
  const cut = await readAll(tfrecordSource, { uri: 'b.tfrecord', maxRecordBytes: 1_000_000 }, d2);
  assert.deepEqual(cut.records.map((r) => (isFailure(r) ? r.code : 'ok')), ['ok', 'truncated']);
});

const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i })).join('\n') + '\n';

test('jsonl gzip (by name and by magic bytes): one partition, index not offset; a cut stream keeps what came before, then one Failure', async () => {
  const gz = gzipSync(rows);
  const d = dir({ 'a.jsonl.gz': gz, 'b.jsonl': gz, 'c.jsonl.gz': gz.subarray(0, gz.length - 12) });
  const { partitions, records } = await readAll(jsonlSource, { uri: '.' }, d, { partitionBytes: 1 });
  assert.deepEqual(partitions.map((p) => [p.source.split('/').pop(), p.split]), [['a.jsonl.gz', false], ['b.jsonl', false], ['c.jsonl.gz', false]]);
  const of = (f: string) => records.filter((r) => r.source.endsWith(f));
  for (const f of ['a.jsonl.gz', 'b.jsonl']) {
    assert.deepEqual(of(f).map((r) => [r.index, r.offset, (r as RawRecord).raw]), Array.from({ length: 40 }, (_, i) => [i, null, JSON.stringify({ id: i })]));
  }
  const cut = of('c.jsonl.gz');
  const last = cut.at(-1) as Failure;
  assert.equal(last.code, 'gzip');
  assert.equal(last.index, cut.length - 1);
  assert.equal(last.offset, null);
  assert.match(last.error, /corrupt gzip stream after \d+ uncompressed bytes: unexpected end of file; the rest of the file was not read as records/);
  assert.ok(cut.slice(0, -1).every((r) => !isFailure(r)));
  // compression "none" reads the bytes as they are (they are not UTF-8 text).
  const none = await readAll(jsonlSource, { uri: 'b.jsonl', compression: 'none' }, d);
  assert.ok(none.records.every(isFailure));
});

test('csv gzip: rows by index; a one-column CSV counts blank lines as records, a wider one does not', async () => {
  const d = dir({ 'a.csv.gz': gzipSync('x\n1\n\n2\n'), 'b.csv': 'x,y\n1,2\n\n3,4\n', 'c.csv': 'x\n\n\n' });
  const { records } = await readAll(csvSource, { uri: '.' }, d);
  assert.deepEqual(
    records.map((r) => [r.source.split('/').pop(), r.index, r.offset, (r as RawRecord).fields]),
    [
      ['a.csv.gz', 0, null, { x: '1' }],
      ['a.csv.gz', 1, null, { x: '' }],
      ['a.csv.gz', 2, null, { x: '2' }],
      ['b.csv', 0, 4, { x: '1', y: '2' }],
      ['b.csv', 1, 9, { x: '3', y: '4' }],
      ['c.csv', 0, 2, { x: '' }],
      ['c.csv', 1, 3, { x: '' }],
    ],
  );
});

test('csv and jsonl: a record above maxRecordBytes is one too-large Failure, in one read or across many', async () => {
  const huge = 'z'.repeat(50_000);
  const d = dir({ 'a.csv': `x,y\n1,2\n3,"${huge}\n${huge}"\n5,6\n`, 'a.jsonl': `{"a":1}\n"${huge}"\n{"a":2}\n` });
  for (const storage of [undefined, smallReads(1000)]) {
    const csv = await readAll(csvSource, { uri: 'a.csv', maxRecordBytes: 10_000 }, d, { storage });
    assert.deepEqual(csv.records.map((r) => (isFailure(r) ? [r.code, r.index, r.offset] : (r as RawRecord).fields)), [{ x: '1', y: '2' }, ['too-large', 1, 8], { x: '5', y: '6' }]);
    const jsonl = await readAll(jsonlSource, { uri: 'a.jsonl', maxRecordBytes: 10_000 }, d, { storage });
    assert.deepEqual(jsonl.records.map((r) => (isFailure(r) ? [r.code, r.index, r.offset] : r.raw)), ['{"a":1}', ['too-large', 1, 8], '{"a":2}']);
    assert.match((jsonl.records[1] as Failure).error, /record of 50002 bytes is larger than maxRecordBytes \(10000\)/);
  }
});

test('csv: the duplicate-column check is linear (200,000 columns in a few milliseconds; indexOf took a minute)', () => {
  const names = Array.from({ length: 200_000 }, (_, i) => `c${i}`);
  const started = performance.now();
  assert.equal(twice(names), undefined);
  assert.equal(twice([...names, 'c7']), 'c7');
  assert.ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
});

test('parquet: a GZIP row group (hyparquet cannot decode it) is one Failure per row; the other groups are read', async () => {
  const writer = new ByteWriter();
  const columns = (g: number) => [{ name: 'id', data: Array.from({ length: 68 }, (_, i) => g * 68 + i) }];
  const pq = new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData: [{ name: 'id', data: [1], type: 'INT32' }] }), compressors: { GZIP: (b: Uint8Array) => gzipSync(b) } });
  for (let g = 0; g < 3; g++) pq.write({ columnData: columns(g).map((c) => ({ ...c, codec: g === 1 ? 'GZIP' : 'UNCOMPRESSED' })), rowGroupSize: 68 });
  pq.finish();
  const d = dir({ 'a.parquet': Buffer.from(writer.getBuffer()) });
  const { partitions, records } = await readAll(parquetSource, { uri: 'a.parquet' }, d);
  assert.equal(partitions.length, 3);
  assert.equal(records.length, 204);
  const failures = records.filter(isFailure);
  assert.deepEqual(failures.map((f) => f.index), Array.from({ length: 68 }, (_, i) => 68 + i));
  assert.ok(failures.every((f) => f.code === 'bad-parquet' && f.stage === 'source'));
  assert.match(failures[0]!.error, /a\.parquet: row 68 \(row group of rows 68-135\) unreadable: .*GZIP/i);
  assert.deepEqual(records.filter((r) => !isFailure(r)).map((r) => (r as RawRecord).fields!.id), [...Array.from({ length: 68 }, (_, i) => i), ...Array.from({ length: 68 }, (_, i) => 136 + i)]);
});
