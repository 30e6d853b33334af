/**
 * Planning large TFRecord files (issue 19.5): the header walk finds the same cuts as a reader
 * written from the spec, in one sequential read for small records and one short read per big
 * record; an index file beside the data (NVIDIA DALI's tfrecord2idx format) gives the same plan,
 * keys and records, reading 12 bytes per cut of the data; a stale or wrong index is one config
 * error naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import tfrecordSource from '../../stages/source/tfrecord/index.js';
import { indexUriOf } from '../../stages/source/tfrecord/index-file.js';
import { frameRecord, maskedCrc32c } from '../../src/core/tfrecord.js';
import { headerLength, indexCuts, tfrecordBoundaries, LOCAL_READS, type WalkReads } from '../../src/core/tfrecord-plan.js';
import { nominalCuts } from '../../src/core/partitioning.js';
import type { RawRecord } from '../../src/core/types.js';
import { createStorage, type Storage } from '../../src/storage/index.js';
import { readAll, smallReads } from '../helpers/run-stage.js';
import { needsPython, runPython } from '../helpers/python.js';
import { specRead } from '../helpers/tfrecord.js';

function dir(files: Record<string, Buffer | string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tfplan-'));
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(d, name), bytes);
  return d;
}

/**
 * The index `tfrecord2idx` writes, ported from vahidk/tfrecord (tfrecord/tools/tfrecord2idx.py,
 * the same as NVIDIA DALI's tools/tfrecord2idx): per record, its offset and the bytes up to the
 * next record (8-byte length, 4-byte CRC, data, 4-byte CRC), as `"<offset> <size>\n"`.
 */
function tfrecord2idx(file: Buffer): string {
  let out = '';
  for (let pos = 0; pos < file.length; ) {
    const len = Number(file.readBigInt64LE(pos));
    const size = 8 + 4 + len + 4;
    out += `${pos} ${size}\n`;
    pos += size;
  }
  return out;
}

/** The cuts a plan must have, from the spec reader's record offsets: the first record start at or after each nominal cut. */
function specCuts(file: string, partitionBytes: number): number[] {
  const starts = specRead(file).map((r) => r.offset);
  const size = fs.statSync(file).size;
  const out: number[] = [];
  for (const c of nominalCuts(0, size, partitionBytes)) {
    const s = starts.find((o) => o >= c);
    if (s !== undefined && s !== out.at(-1)) out.push(s);
  }
  return out;
}

/** Counts reads of a storage: calls and bytes per URI. */
function counting(storage: Storage): { storage: Storage; calls: Map<string, number>; bytes: Map<string, number> } {
  const calls = new Map<string, number>();
  const bytes = new Map<string, number>();
  return {
    calls,
    bytes,
    storage: {
      ...storage,
      read: (uri, range) => {
        calls.set(uri, (calls.get(uri) ?? 0) + 1);
        const r = storage.read(uri, range);
        // Counted as pulled (a 'data' listener would make the stream flow and read ahead).
        async function* pulled(): AsyncGenerator<Buffer> {
          try {
            for await (const c of r as AsyncIterable<Buffer>) {
              bytes.set(uri, (bytes.get(uri) ?? 0) + c.length);
              yield c;
            }
          } finally {
            r.destroy();
          }
        }
        return Readable.from(pulled(), { objectMode: false, highWaterMark: 1 });
      },
    },
  };
}

/** Varied records: mostly small, some far above a jump, so both ways of reading are walked. */
const sizes = Array.from({ length: 400 }, (_, i) => (i % 50 === 7 ? 20_000 + i : (i * 37) % 900));
const varied = Buffer.concat(sizes.map((n, i) => frameRecord(Buffer.alloc(n, i % 251))));

test('headerLength checks the masked CRC32C of the length as TensorFlow writes it', () => {
  for (let i = 0; i < 2000; i++) {
    const head = Buffer.alloc(12);
    head.writeUInt32LE(randomBytes(4).readUInt32LE(0) >>> (i % 32), 0);
    head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
    const len = head.readUInt32LE(0);
    assert.equal(headerLength(head, 0), len >= 2 ** 31 ? -1 : len);
    const bad = Buffer.from(head);
    bad[i % 12] ^= 1 << (i % 8);
    assert.equal(headerLength(bad, 0), -1, `a flipped bit ${i % 12}:${i % 8} is caught`);
  }
});

test('the header walk finds the spec cuts, reading directly, through storage in 5-byte chunks, and with probes past big records', async () => {
  const d = dir({ 'a.tfrecord': varied });
  const file = { uri: path.join(d, 'a.tfrecord'), size: varied.length, mtimeMs: 0 };
  for (const bytes of [3000, 20_000, 50_001]) {
    const want = specCuts(file.uri, bytes);
    assert.ok(want.length >= 3);
    assert.deepEqual(await tfrecordBoundaries(createStorage(), file, bytes), want, `direct, ${bytes}`);
    for (const reads of [{ jumpBytes: 1000, probeBytes: 64, direct: false }, { jumpBytes: 10 ** 9, probeBytes: 64, direct: false }] as WalkReads[]) {
      const tiny = counting(smallReads(5));
      assert.deepEqual(await tfrecordBoundaries(tiny.storage, file, bytes, reads), want, `storage, ${bytes}, jump ${reads.jumpBytes}`);
    }
  }
  // Past a big payload the walk reads a short probe at the next header: the payloads are not read.
  const probing = counting(smallReads(64));
  await tfrecordBoundaries(probing.storage, file, 3000, { jumpBytes: 1000, probeBytes: 64, direct: false });
  const bigBytes = sizes.filter((n) => n > 1000).reduce((a, n) => a + n, 0);
  assert.ok(probing.bytes.get(file.uri)! < varied.length - bigBytes / 2, `read ${probing.bytes.get(file.uri)} of ${varied.length} bytes`);
  // Small records only: one sequential read (one ranged GET on object storage), not one per record.
  const small = Buffer.concat(Array.from({ length: 3000 }, (_, i) => frameRecord(Buffer.alloc(i % 300, 1))));
  const d2 = dir({ 'b.tfrecord': small });
  const one = counting(createStorage());
  const cuts = await tfrecordBoundaries(one.storage, { uri: path.join(d2, 'b.tfrecord'), size: small.length, mtimeMs: 0 }, 50_000, { jumpBytes: 8 << 20, probeBytes: 65536, direct: false });
  assert.ok(cuts.length >= 8);
  assert.equal(one.calls.get(path.join(d2, 'b.tfrecord')), 1);
});

test('LOCAL_READS reads a local file directly (a path and a file:// URI), records above a jump included', async () => {
  const big = Buffer.concat(Array.from({ length: 40 }, (_, i) => frameRecord(Buffer.alloc(LOCAL_READS.jumpBytes + 1000 * i, i))));
  const d = dir({ 'big.tfrecord': big });
  const file = { uri: path.join(d, 'big.tfrecord'), size: big.length, mtimeMs: 0 };
  assert.deepEqual(await tfrecordBoundaries(createStorage(), file, 1 << 20), specCuts(file.uri, 1 << 20));
  assert.deepEqual(await tfrecordBoundaries(createStorage(), { ...file, uri: `file://${file.uri}` }, 1 << 20), specCuts(file.uri, 1 << 20));
});

test('an index beside the file gives the walk\'s plan, keys and records, reading 12 bytes of the data per checked record', async () => {
  const d = dir({ 'a.tfrecord': varied, 'b.tfrecord': varied });
  fs.writeFileSync(path.join(d, 'a.tfrecord.idx'), tfrecord2idx(varied));
  const walked = await readAll(tfrecordSource, { uri: 'b.tfrecord' }, d, { partitionBytes: 20_000 });
  const seen = counting(createStorage());
  const indexed = await readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 20_000, storage: seen.storage });
  assert.ok(indexed.partitions.length >= 8);
  const ranges = (r: typeof walked) => r.partitions.map((p) => [p.start, p.end, p.split]);
  assert.deepEqual(ranges(indexed), ranges(walked));
  const rows = (r: typeof walked) => r.records.map((x) => [x.index, x.offset, Buffer.from((x as RawRecord).raw as Uint8Array).toString('hex')]);
  assert.deepEqual(rows(indexed), rows(walked));
  // Planning read the 2 magic bytes (gzip or not), then 12 bytes per check (first record, each
  // cut, last record); the rest are the partitions' reads.
  const file = path.join(d, 'a.tfrecord');
  assert.equal(seen.calls.get(file), 1 + (indexed.partitions.length - 1 + 2) + indexed.partitions.length);
  assert.ok(seen.bytes.get(file)! <= 2 + 12 * (indexed.partitions.length + 1) + varied.length);
  // The directory lists the index; it is not an input.
  const all = await readAll(tfrecordSource, { uri: '.' }, d, { partitionBytes: 20_000 });
  assert.deepEqual([...new Set(all.partitions.map((p) => p.source))], ['a.tfrecord', 'b.tfrecord']);
});

test('an index named by a template, and one written by Python (tfrecord2idx) when the reference is present', async (t) => {
  const d = dir({ 'a.tfrecord': varied });
  fs.mkdirSync(path.join(d, 'idx'));
  fs.writeFileSync(path.join(d, 'idx', 'a.tfrecord.index'), tfrecord2idx(varied));
  const walked = await readAll(tfrecordSource, { uri: 'a.tfrecord', index: 'none' }, d, { partitionBytes: 20_000 });
  const named = await readAll(tfrecordSource, { uri: 'a.tfrecord', index: 'idx/{name}.index' }, d, { partitionBytes: 20_000 });
  assert.deepEqual(named.partitions, walked.partitions);
  assert.equal(indexUriOf('auto', 's3://b/d/a.tfrecord'), 's3://b/d/a.tfrecord.idx');
  assert.equal(indexUriOf('{dir}/i/{name}', 'gs://b/d/a.tfrecord'), 'gs://b/d/i/a.tfrecord');
  assert.equal(indexUriOf('none', '/d/a.tfrecord'), null);
  const skip = needsPython();
  if (skip) return t.skip(skip);
  // tfrecord2idx's own loop (vahidk/tfrecord tfrecord/tools/tfrecord2idx.py), run by Python.
  runPython(
    [
      'import struct, sys',
      'infile = open(sys.argv[1], "rb"); outfile = open(sys.argv[2], "w")',
      'while True:',
      '    current = infile.tell()',
      '    byte_len = infile.read(8)',
      '    if len(byte_len) == 0: break',
      '    infile.read(4)',
      '    proto_len = struct.unpack("q", byte_len)[0]',
      '    infile.read(proto_len)',
      '    infile.read(4)',
      '    outfile.write(str(current) + " " + str(infile.tell() - current) + "\\n")',
      'outfile.close()',
    ].join('\n'),
    [path.join(d, 'a.tfrecord'), path.join(d, 'a.tfrecord.idx')],
  );
  assert.equal(fs.readFileSync(path.join(d, 'a.tfrecord.idx'), 'utf8'), tfrecord2idx(varied));
  const auto = await readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 20_000 });
  assert.deepEqual(auto.partitions, walked.partitions);
});

test('a stale or wrong index is one config error naming it; index "none" ignores it; a named index must exist', async () => {
  const other = Buffer.concat(sizes.map((n, i) => frameRecord(Buffer.alloc((n * 3) % 1000, i))));
  const lines = tfrecord2idx(varied).trimEnd().split('\n');
  const total = varied.length;
  // The record a cut falls on merged with the next: every line follows, the total fits, but the
  // header at the cut declares another length.
  const merged = [...lines];
  const k = lines.findIndex((l) => Number(l.split(' ')[0]) >= 20_000);
  const [o, s] = merged[k]!.split(' ').map(Number);
  merged.splice(k, 2, `${o} ${s! + Number(merged[k + 1]!.split(' ')[1])}`);
  const cases: [string, string, RegExp][] = [
    ['another file', tfrecord2idx(other), /records end at byte \d+, the file has \d+ bytes/],
    ['cut short', lines.slice(0, -3).join('\n') + '\n', new RegExp(`records end at byte \\d+, the file has ${total} bytes`)],
    ['a gap', lines.map((l, i) => (i === 9 ? l.replace(/^\d+/, (m) => String(Number(m) + 1)) : l)).join('\n') + '\n', /line 10: record at byte offset \d+, expected \d+/],
    ['garbage', lines.slice(0, 5).join('\n') + '\nnot a line\n', /line 6: expected "<offset> <size>"/],
    ['merged records', merged.join('\n') + '\n', /record at byte offset \d+: the index says \d+ bytes, its header says \d+/],
    ['shifted by one record', ['0 ' + (Number(lines[0]!.split(' ')[1]) + Number(lines[1]!.split(' ')[1])), ...lines.slice(2)].join('\n') + '\n', /the index says \d+ bytes, its header says \d+/],
  ];
  for (const [what, idx, message] of cases) {
    const d = dir({ 'a.tfrecord': varied, 'a.tfrecord.idx': idx });
    await assert.rejects(readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 20_000 }), (err: any) => {
      assert.equal(err.code, 'CONFIG_INVALID', what);
      assert.equal(err.lines.length, 1, what);
      assert.match(err.message, /^\/stage\/index: a\.tfrecord\.idx is not the record index of a\.tfrecord \(stale or wrong: /, what);
      assert.match(err.message, message, what);
      return true;
    });
    const walked = await readAll(tfrecordSource, { uri: 'a.tfrecord', index: 'none' }, d, { partitionBytes: 20_000 });
    assert.equal(walked.records.length, sizes.length, what);
  }
  const d = dir({ 'a.tfrecord': varied });
  await assert.rejects(readAll(tfrecordSource, { uri: 'a.tfrecord', index: '{name}.idx' }, d, { partitionBytes: 20_000 }), /^Error: \/stage\/index: no index a\.tfrecord\.idx for a\.tfrecord$|\/stage\/index: no index a\.tfrecord\.idx for a\.tfrecord/);
});

test('indexCuts: the same cuts as the walk for every partition size, blank last line and CRLF accepted', () => {
  const text = tfrecord2idx(varied);
  const d = dir({ 'a.tfrecord': varied });
  for (const bytes of [1000, 7777, 20_000, varied.length - 1, varied.length]) {
    const got = indexCuts(Buffer.from(text), varied.length, bytes);
    assert.ok(typeof got !== 'string');
    assert.deepEqual(got.cuts, specCuts(path.join(d, 'a.tfrecord'), bytes), String(bytes));
  }
  const crlf = indexCuts(Buffer.from(text.replaceAll('\n', '\r\n')), varied.length, 20_000);
  assert.ok(typeof crlf !== 'string');
  assert.equal(indexCuts(Buffer.from(''), 0, 10) && typeof indexCuts(Buffer.from(''), 5, 10), 'string');
});

test('auto walks past an index above 1/32 of its file (tiny records: the walk is cheaper); a named one is still used and checked', async () => {
  const tiny = Buffer.concat(Array.from({ length: 5000 }, (_, i) => frameRecord(Buffer.alloc(i % 7, 1))));
  const d = dir({ 'a.tfrecord': tiny });
  const walked = await readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 20_000 });
  assert.equal(walked.records.length, 5000);
  assert.ok(walked.partitions.length >= 4);
  fs.writeFileSync(path.join(d, 'a.tfrecord.idx'), tfrecord2idx(tiny).repeat(2));
  assert.ok(fs.statSync(path.join(d, 'a.tfrecord.idx')).size > tiny.length / 32);
  assert.deepEqual((await readAll(tfrecordSource, { uri: 'a.tfrecord' }, d, { partitionBytes: 20_000 })).partitions, walked.partitions);
  await assert.rejects(readAll(tfrecordSource, { uri: 'a.tfrecord', index: '{name}.idx' }, d, { partitionBytes: 20_000 }), /line 5001: record at byte offset 0, expected \d+/);
});
