import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tfrecordSource from '../../stages/source/tfrecord/index.js';
import { readAll, smallReads } from '../helpers/run-stage.js';
import { TFRECORD_DIR as DIR, needsFixtures, specMaskedCrc, specRead } from '../helpers/tfrecord.js';
import type { Failure, RawRecord } from '../../src/core/types.js';

/** Partitions large enough that every fixture stays one (splitting is tested in source-split-gzip-limits.test.ts and source-tfrecord-plan.test.ts). */
const WHOLE = { partitionBytes: 2 ** 30 };

const COUNTS: Record<string, number> = {
  'mnist.tfrecord': 1000,
  'penguin-train.tfrecord.gz': 234,
  'penguin-eval.tfrecord.gz': 100,
  'chicago-taxi-eval.tfrecord.gz': 424,
  'sequence-example-eval.tfrecord.gz': 4500,
  'next-page.tfrecord.gz': 100,
};

const isFailure = (r: RawRecord | Failure): r is Failure => (r as Failure).failed === true;
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function tmpCopy(name: string, bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tfr-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

test('reads every fixture with its exact record count, one partition per file, CRCs verified', { skip: needsFixtures }, async () => {
  const { partitions, records } = await readAll(tfrecordSource, { uri: '.' }, DIR, WHOLE);
  assert.deepEqual(partitions.map((p) => [p.source, p.start, p.end === p.size, p.split]), Object.keys(COUNTS).sort().map((f) => [f, 0, true, false]));
  assert.equal(records.filter(isFailure).length, 0);
  for (const [file, n] of Object.entries(COUNTS)) {
    const mine = records.filter((r) => r.source === file) as RawRecord[];
    assert.equal(mine.length, n, file);
    assert.deepEqual(mine.map((r) => r.index), [...Array(n).keys()], file);
  }
});

test('agrees record for record with an independent reader written from the spec (raw bytes and offsets)', { skip: needsFixtures }, async () => {
  for (const file of Object.keys(COUNTS)) {
    const { records } = await readAll(tfrecordSource, { uri: file }, DIR, WHOLE);
    const spec = specRead(path.join(DIR, file));
    assert.equal(records.length, spec.length, file);
    records.forEach((r, i) => {
      assert.equal(r.offset, spec[i]!.offset, `${file} #${i}`);
      assert.ok(Buffer.from((r as RawRecord).raw as Uint8Array).equals(spec[i]!.data), `${file} #${i}`);
    });
  }
});

test('records that straddle reads (7-byte reads, plain and gzip) come out the same', { skip: needsFixtures }, async () => {
  for (const file of ['mnist.tfrecord', 'penguin-eval.tfrecord.gz']) {
    const whole = await readAll(tfrecordSource, { uri: file }, DIR, WHOLE);
    const small = await readAll(tfrecordSource, { uri: file }, DIR, { ...WHOLE, storage: smallReads(7) });
    assert.equal(small.records.length, COUNTS[file]);
    assert.deepEqual(small.records, whole.records);
  }
});

test('compression auto detects gzip by its magic bytes without a .gz name; none/gzip force it', { skip: needsFixtures }, async () => {
  const file = tmpCopy('penguins.tfrecord', fs.readFileSync(path.join(DIR, 'penguin-eval.tfrecord.gz')));
  const auto = await readAll(tfrecordSource, { uri: file }, DIR, WHOLE);
  assert.equal(auto.records.filter((r) => !isFailure(r)).length, 100);
  const forced = await readAll(tfrecordSource, { uri: file, compression: 'gzip' }, DIR, WHOLE);
  assert.equal(forced.records.length, 100);
  // Read as plain TFRecord, gzip bytes are a corrupt length at once: one Failure, no crash.
  const plain = await readAll(tfrecordSource, { uri: file, compression: 'none' }, DIR, WHOLE);
  assert.deepEqual(plain.records.map((r) => [(r as Failure).code, r.index, r.offset]), [['bad-length', 0, 0]]);
});

test('a flipped byte in the middle of record 500: exactly one crc Failure for it, every other record read', { skip: needsFixtures }, async () => {
  const bytes = Buffer.from(fs.readFileSync(path.join(DIR, 'mnist.tfrecord')));
  const spec = specRead(path.join(DIR, 'mnist.tfrecord'));
  const { offset, data } = spec[500]!;
  const at = offset + 12 + Math.floor(data.length / 2);
  bytes[at] ^= 0x01;
  const file = tmpCopy('mnist.tfrecord', bytes);
  const { records } = await readAll(tfrecordSource, { uri: file }, path.dirname(file), WHOLE);
  assert.equal(records.length, 1000);
  const failures = records.filter(isFailure);
  const flipped = bytes.subarray(offset + 12, offset + 12 + data.length);
  assert.deepEqual(failures, [
    {
      failed: true,
      key: null,
      source: path.basename(file),
      index: 500,
      offset,
      stage: 'source',
      code: 'crc',
      error: `${path.basename(file)}: record 500 at byte offset ${offset}: data CRC mismatch: masked CRC32C is ${hex(specMaskedCrc(data))} in the file, expected ${hex(specMaskedCrc(flipped))} for its ${data.length} data bytes`,
      raw: flipped,
    },
  ]);
  assert.deepEqual(records.filter((r) => !isFailure(r)).map((r) => r.index), [...Array(1000).keys()].filter((i) => i !== 500));
  // Without CRC checks the record passes, flipped byte and all.
  const unchecked = await readAll(tfrecordSource, { uri: file, verifyCrc: false }, path.dirname(file), WHOLE);
  assert.equal(unchecked.records.filter(isFailure).length, 0);
});

test('a truncated tail: every earlier record, then one truncated Failure naming file, offset and index', { skip: needsFixtures }, async () => {
  const bytes = fs.readFileSync(path.join(DIR, 'mnist.tfrecord'));
  const spec = specRead(path.join(DIR, 'mnist.tfrecord'));
  const { offset, data } = spec[700]!;
  const file = tmpCopy('cut.tfrecord', bytes.subarray(0, offset + 100));
  const { records } = await readAll(tfrecordSource, { uri: file }, path.dirname(file), { ...WHOLE, storage: smallReads(4096) });
  assert.equal(records.length, 701);
  assert.deepEqual(records.slice(0, 700).map((r) => [isFailure(r), r.index]), [...Array(700).keys()].map((i) => [false, i]));
  assert.deepEqual(records[700], {
    failed: true,
    key: null,
    source: path.basename(file),
    index: 700,
    offset,
    stage: 'source',
    code: 'truncated',
    error: `${path.basename(file)}: record 700 at byte offset ${offset}: truncated: expected ${data.length + 16} bytes (header, ${data.length} data bytes, CRC), got 100 before the end of the file`,
    raw: null,
  });
  // Cut inside a header.
  const head = tmpCopy('head.tfrecord', bytes.subarray(0, offset + 5));
  const h = await readAll(tfrecordSource, { uri: head }, path.dirname(head), WHOLE);
  assert.equal(h.records.length, 701);
  assert.equal((h.records[700] as Failure).error, `${path.basename(head)}: record 700 at byte offset ${offset}: truncated: expected a 12-byte record header, got 5 bytes before the end of the file`);
});

test('a corrupted length ends the file with one bad-length Failure after the records before it', { skip: needsFixtures }, async () => {
  const bytes = Buffer.from(fs.readFileSync(path.join(DIR, 'mnist.tfrecord')));
  const { offset } = specRead(path.join(DIR, 'mnist.tfrecord'))[300]!;
  const stored = bytes.readUInt32LE(offset + 8);
  bytes[offset + 1] ^= 0x40;
  const file = tmpCopy('len.tfrecord', bytes);
  const { records } = await readAll(tfrecordSource, { uri: file }, path.dirname(file), WHOLE);
  assert.equal(records.length, 301);
  assert.deepEqual(records[300], {
    failed: true,
    key: null,
    source: path.basename(file),
    index: 300,
    offset,
    stage: 'source',
    code: 'bad-length',
    error: `${path.basename(file)}: record 300 at byte offset ${offset}: corrupt length: masked CRC32C of the length is ${hex(stored)} in the file, expected ${hex(specMaskedCrc(bytes.subarray(offset, offset + 8)))}`,
    raw: null,
  });
});

test('a cut gzip stream: the records decompressed before the cut, then one gzip Failure', { skip: needsFixtures }, async () => {
  const gz = fs.readFileSync(path.join(DIR, 'sequence-example-eval.tfrecord.gz'));
  const file = tmpCopy('cut.tfrecord.gz', gz.subarray(0, Math.floor(gz.length / 2)));
  const { records } = await readAll(tfrecordSource, { uri: file }, path.dirname(file), WHOLE);
  const failures = records.filter(isFailure);
  assert.equal(failures.length, 1);
  const f = failures[0]!;
  assert.equal(records.at(-1), f);
  assert.equal(f.index, records.length - 1, 'the Failure names the next record index');
  assert.ok(records.length > 100 && records.length < 4500, `${records.length} records`);
  const spec = specRead(path.join(DIR, 'sequence-example-eval.tfrecord.gz'));
  assert.equal(f.offset, spec[f.index!]!.offset);
  assert.match(f.error, new RegExp(`^${path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record ${f.index} at byte offset ${f.offset} of the uncompressed stream: corrupt gzip stream: `));
  assert.deepEqual([f.code, f.stage], ['gzip', 'source']);
});

test('an empty file is one partition with no records', async () => {
  const file = tmpCopy('empty.tfrecord', new Uint8Array(0));
  const { partitions, records } = await readAll(tfrecordSource, { uri: file }, path.dirname(file), WHOLE);
  assert.equal(partitions.length, 1);
  assert.deepEqual(records, []);
});
