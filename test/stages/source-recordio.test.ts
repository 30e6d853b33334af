/**
 * `source/recordio` over files written by the ported reference writer (test/helpers/recordio-writer.ts):
 * none, gzip and snappy chunks, ranges of whole chunks, a corrupted chunk (one Failure per record
 * of it, the other chunks read), a truncated tail, a chunk above maxRecordBytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import recordioSource from '../../stages/source/recordio/index.js';
import type { Failure, RawRecord } from '../../src/core/types.js';
import { readAll, smallReads } from '../helpers/run-stage.js';
import { GZIP, NO_COMPRESSION, RecordioWriter, SNAPPY } from '../helpers/recordio-writer.js';

const isFailure = (r: RawRecord | Failure): r is Failure => (r as Failure).failed === true;
// Varied records, compressible and not, some empty: 500 of them, chunks of ~10 KB.
const records = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? Buffer.alloc(0) : i % 3 === 0 ? Buffer.from(`record ${i} `.repeat(i % 50)) : Buffer.from(Array.from({ length: (i * 31) % 400 }, (_, j) => (i * j * 2654435761) >>> 24))));

function file(compressor: number, chunkSize = 10_000): Buffer {
  const w = new RecordioWriter(chunkSize, compressor);
  for (const r of records) w.write(r);
  return w.close();
}

function dir(files: Record<string, Buffer>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-recordio-'));
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(d, name), bytes);
  return d;
}

/** Chunk offsets of a file (header walk, as the format defines it). */
function chunks(buf: Buffer): Array<{ offset: number; size: number; count: number }> {
  const out = [];
  for (let pos = 0; pos < buf.length; pos += 20 + buf.readUInt32LE(pos + 12)) out.push({ offset: pos, size: buf.readUInt32LE(pos + 12), count: buf.readUInt32LE(pos + 16) });
  return out;
}

const text = (r: RawRecord | Failure) => (isFailure(r) ? r.code : Buffer.from(r.raw as Uint8Array).toString('hex'));

test('none, gzip and snappy files give every record, in order, with file-wide indexes; whole or in ranges of chunks', async () => {
  const d = dir({ 'none.recordio': file(NO_COMPRESSION), 'gzip.recordio': file(GZIP), 'snappy.recordio': file(SNAPPY) });
  for (const name of ['none', 'gzip', 'snappy']) {
    const bytes = fs.readFileSync(path.join(d, `${name}.recordio`));
    assert.ok(chunks(bytes).length > 5, `${name}: several chunks`);
    assert.ok(chunks(bytes).every((c) => bytes.readUInt32LE(c.offset + 8) === { none: 0, snappy: 1, gzip: 2 }[name]));
    const quarter = Math.ceil(bytes.length / 4);
    for (const opts of [{ partitionBytes: 2 ** 30 }, { partitionBytes: quarter }, { partitionBytes: quarter, storage: smallReads(333) }]) {
      const { partitions, records: got } = await readAll(recordioSource, { uri: `${name}.recordio` }, d, opts);
      if (opts.partitionBytes < 2 ** 30) {
        assert.ok(partitions.length > 2, `${name}: ${partitions.length} ranges`);
        const starts = new Set(chunks(bytes).map((c) => c.offset));
        assert.ok(partitions.every((p) => starts.has(p.start)), 'ranges start at chunk headers');
      }
      assert.deepEqual(got.map(text), records.map((r) => r.toString('hex')), name);
      assert.deepEqual(got.map((r) => r.index), records.map((_, i) => i));
    }
  }
});

test('a corrupted chunk: one crc Failure per record it holds, every other chunk read; a truncated tail: one per record of the cut chunk', async () => {
  const bytes = file(SNAPPY);
  const cs = chunks(bytes);
  const bad = Buffer.from(bytes);
  bad[cs[2]!.offset + 20 + 10] ^= 0xff;
  const cut = bytes.subarray(0, cs[4]!.offset + 20 + Math.floor(cs[4]!.size / 2));
  const d = dir({ 'bad.recordio': bad, 'cut.recordio': cut });
  const before = cs.slice(0, 2).reduce((n, c) => n + c.count, 0);
  const { records: got } = await readAll(recordioSource, { uri: 'bad.recordio' }, d, { partitionBytes: 2 ** 30 });
  assert.equal(got.length, records.length);
  const failed = got.filter(isFailure);
  assert.equal(failed.length, cs[2]!.count);
  assert.deepEqual(failed.map((f) => [f.code, f.index, f.offset]), Array.from({ length: cs[2]!.count }, (_, i) => ['crc', before + i, cs[2]!.offset]));
  assert.match(failed[0]!.error, /bad\.recordio: chunk at byte offset \d+: CRC32 of its \d+ data bytes is 0x[0-9a-f]+, the header says 0x[0-9a-f]+/);
  assert.deepEqual(got.filter((r) => !isFailure(r)).map(text), records.filter((_, i) => i < before || i >= before + cs[2]!.count).map((r) => r.toString('hex')));

  const tail = await readAll(recordioSource, { uri: 'cut.recordio' }, d, { partitionBytes: 2 ** 30 });
  const upTo4 = cs.slice(0, 4).reduce((n, c) => n + c.count, 0);
  assert.equal(tail.records.length, upTo4 + cs[4]!.count);
  assert.ok(tail.records.slice(0, upTo4).every((r) => !isFailure(r)));
  assert.ok(tail.records.slice(upTo4).every((r) => isFailure(r) && r.code === 'truncated'));
});

test('a chunk above maxRecordBytes is skipped unread: one too-large Failure per record; a bad magic ends the range with one Failure', async () => {
  const bytes = file(NO_COMPRESSION);
  const cs = chunks(bytes);
  const d = dir({ 'a.recordio': bytes, 'b.recordio': Buffer.concat([bytes.subarray(0, cs[1]!.offset), Buffer.from('garbage here, not a chunk header at all')]) });
  const big = Math.max(...cs.map((c) => c.size));
  const { records: got } = await readAll(recordioSource, { uri: 'a.recordio', maxRecordBytes: big - 1 }, d, { partitionBytes: 2 ** 30 });
  assert.equal(got.length, records.length);
  const largest = cs.filter((c) => c.size === big);
  assert.equal(got.filter((r) => isFailure(r) && r.code === 'too-large').length, largest.reduce((n, c) => n + c.count, 0));
  const b = await readAll(recordioSource, { uri: 'b.recordio' }, d, { partitionBytes: 2 ** 30 });
  assert.equal(b.records.length, cs[0]!.count + 1);
  assert.match((b.records.at(-1) as Failure).error, /no chunk magic 0x01020304/);
});
