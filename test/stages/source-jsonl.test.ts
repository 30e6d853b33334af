import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Failure, Partition, RawRecord } from '../../src/core/types.js';
import { SluiceError } from '../../src/core/errors.js';
import { defaultPartitionBytes } from '../../src/core/partitioning.js';
import { createStorage } from '../../src/storage/index.js';
import { readAll, smallReads, testContext, testPartition, withDefaults } from '../helpers/run-stage.js';
import jsonl from '../../stages/source/jsonl/index.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-'));
}


/** Partitions of one file cover it exactly, in order, without gaps or overlaps. */
function assertCovers(partitions: Partition[], size: number): void {
  let at = 0;
  for (const p of partitions) {
    assert.equal(p.start, at);
    assert.ok(p.end > p.start || size === 0);
    at = p.end;
  }
  assert.equal(at, size);
}

test('jsonl: a whole file: blank lines skipped, CRLF and BOM stripped, last line without a newline', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'a.jsonl'), '\uFEFF{"a":1}\n\n  \t\n{"a":2}\r\n{"b":"é"}');
  const { partitions, records } = await readAll(jsonl, { uri: 'a.jsonl' }, dir);
  assert.deepEqual(partitions, [{ id: 0, of: 1, source: 'a.jsonl', uri: path.join(dir, 'a.jsonl'), start: 0, end: 35, size: 35, mtimeMs: partitions[0]!.mtimeMs, split: false }]);
  assert.deepEqual(records, [
    { source: 'a.jsonl', index: 0, offset: 0, raw: '{"a":1}' },
    { source: 'a.jsonl', index: 1, offset: 16, raw: '{"a":2}' },
    { source: 'a.jsonl', index: 2, offset: 25, raw: '{"b":"é"}' },
  ]);
});

function sampleLines(n: number): string[] {
  const words = ['a', 'héllo', '日本語', 'x'.repeat(40), '🙂🙂', ''];
  return Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, text: words[i % words.length]!.repeat(1 + (i % 3)) }));
}

test('jsonl: invalid UTF-8 fails exactly its own lines, whether a read is checked whole or line by line', async () => {
  const dir = tempDir();
  // Multi-byte characters on every line (so small reads cut them), bad bytes on lines 3 and 8.
  const bad = new Set([3, 8]);
  const lines = Array.from({ length: 12 }, (_, i) => {
    const good = Buffer.from(JSON.stringify({ id: i, text: '日本語🙂'.repeat(1 + (i % 4)) }));
    return bad.has(i) ? Buffer.concat([good.subarray(0, 5), Buffer.of(0xff), good.subarray(5)]) : good;
  });
  fs.writeFileSync(path.join(dir, 'mixed.jsonl'), Buffer.concat(lines.flatMap((l) => [l, Buffer.of(0x0a)])));
  // One read of the whole file (it fails the whole-read check), and reads of 7 and 64 bytes:
  // most of those hold no bad byte and pass the check whole, some cut a character.
  for (const storage of [createStorage(), smallReads(7), smallReads(64)]) {
    const { records } = await readAll(jsonl, { uri: 'mixed.jsonl' }, dir, { storage });
    assert.equal(records.length, lines.length);
    records.forEach((r, i) => {
      if (bad.has(i)) {
        assert.equal((r as Failure).failed, true, `line ${i} holds 0xff`);
        assert.equal((r as Failure).error, 'invalid UTF-8 at byte 5 of the record (0xff)');
      } else assert.equal((r as RawRecord).raw, lines[i]!.toString('utf8'), `line ${i} is read whole and intact`);
    });
  }
});

test('jsonl: split partitions read every record of the whole file exactly once', async () => {
  const dir = tempDir();
  const lines = sampleLines(60);
  // Blank lines and CRLF here and there, and no newline at the end.
  const text = lines.map((l, i) => (i % 7 === 3 ? `\n${l}\r\n` : `${l}\n`)).join('').slice(0, -1);
  fs.writeFileSync(path.join(dir, 'big.jsonl'), text);
  const size = Buffer.byteLength(text);
  const whole = await readAll(jsonl, { uri: 'big.jsonl' }, dir);
  assert.equal(whole.records.length, 60);
  assert.deepEqual(whole.records.map((r) => (r as RawRecord).raw), lines);
  for (const partitionBytes of [1, 7, 64, 100, 333]) {
    for (const storage of [createStorage(), smallReads(5)]) {
      const split = await readAll(jsonl, { uri: 'big.jsonl' }, dir, { partitionBytes, storage });
      assert.ok(split.partitions.length > 1);
      assertCovers(split.partitions, size);
      assert.ok(split.partitions.every((p) => p.split));
      assert.deepEqual(split.records, whole.records.map((r) => ({ ...r, index: null })), `partitionBytes ${partitionBytes}`);
    }
  }
});

test('jsonl: multibyte characters and lines across reads of any size', async () => {
  const dir = tempDir();
  const lines = sampleLines(12);
  fs.writeFileSync(path.join(dir, 'u.jsonl'), lines.join('\n') + '\n');
  for (const n of [1, 2, 3, 5, 13]) {
    const { records } = await readAll(jsonl, { uri: 'u.jsonl' }, dir, { storage: smallReads(n) });
    assert.deepEqual(records.map((r) => (r as RawRecord).raw), lines, `reads of ${n} bytes`);
    assert.deepEqual(records.map((r) => r.index), lines.map((_, i) => i));
  }
});

test('jsonl: a line longer than several partitions stays whole', async () => {
  const dir = tempDir();
  const long = JSON.stringify({ v: 'z'.repeat(500) });
  fs.writeFileSync(path.join(dir, 'l.jsonl'), `{"a":1}\n${long}\n{"a":2}\n`);
  const { partitions, records } = await readAll(jsonl, { uri: 'l.jsonl' }, dir, { partitionBytes: 64 });
  // Cuts at 64, 128, … all fall inside the long line: one boundary, just after it.
  const afterLong = 8 + long.length + 1;
  assert.deepEqual(partitions.map((p) => [p.start, p.end]), [[0, afterLong], [afterLong, afterLong + 8]]);
  assert.deepEqual(records.map((r) => (r as RawRecord).raw), ['{"a":1}', long, '{"a":2}']);
});

test('jsonl: an empty file is one partition with no records', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'e.jsonl'), '');
  const { partitions, records } = await readAll(jsonl, { uri: 'e.jsonl' }, dir, { partitionBytes: 1 });
  assert.deepEqual(partitions.map((p) => [p.start, p.end, p.split]), [[0, 0, false]]);
  assert.deepEqual(records, []);
});

test('jsonl: a directory lists its files, skipping _ and . names; a glob matches across folders', async () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'data', 'sub'), { recursive: true });
  for (const name of ['b.jsonl', 'a.jsonl', '_SUCCESS', '.hidden', 'sub/c.jsonl']) fs.writeFileSync(path.join(dir, 'data', name), '{"x":1}\n');
  const listed = await readAll(jsonl, { uri: 'data' }, dir);
  assert.deepEqual(listed.partitions.map((p) => p.source), ['data/a.jsonl', 'data/b.jsonl']);
  const globbed = await readAll(jsonl, { uri: 'data/**/*.jsonl' }, dir);
  assert.deepEqual(globbed.partitions.map((p) => p.source), ['data/a.jsonl', 'data/b.jsonl', 'data/sub/c.jsonl']);
  assert.deepEqual(globbed.records.map((r) => r.source), ['data/a.jsonl', 'data/b.jsonl', 'data/sub/c.jsonl']);
});

test('jsonl: a URI that matches nothing is INPUT_MISSING in plan and a line in check', async () => {
  const dir = tempDir();
  const ctx = testContext({ baseDir: dir, path: '/source' });
  const line = `/source/uri: no file matches "in/*.jsonl" (resolved to ${path.join(dir, 'in/*.jsonl')})`;
  assert.deepEqual(await jsonl.check!({ uri: 'in/*.jsonl' }, ctx), [line]);
  await assert.rejects(jsonl.plan({ uri: 'in/*.jsonl' }, ctx), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'INPUT_MISSING');
    assert.deepEqual(err.lines, [line]);
    return true;
  });
  fs.writeFileSync(path.join(dir, 'x.jsonl'), '{}\n');
  assert.deepEqual(await jsonl.check!({ uri: 'x.jsonl' }, ctx), []);
});

test('jsonl: a file that vanished after planning is a stream error, not a Failure', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'gone.jsonl');
  fs.writeFileSync(file, '{"a":1}\n');
  const ctx = testContext({ baseDir: dir });
  const [p] = await jsonl.plan({ uri: 'gone.jsonl' }, ctx);
  fs.rmSync(file);
  const instance = await jsonl.create({ uri: 'gone.jsonl' }, ctx);
  await assert.rejects(instance.read(testPartition({ ...p!, id: 0, of: 1 })).collect().toPromise(Promise), /ENOENT/);
});

test('jsonl: the default partition size is input / (workers x 4), between 1 MiB and 64 MiB', () => {
  const MiB = 1024 * 1024;
  assert.equal(defaultPartitionBytes(100_000, 8), MiB);
  assert.equal(defaultPartitionBytes(256 * MiB, 8), 8 * MiB);
  assert.equal(defaultPartitionBytes(100 * 1024 * MiB, 8), 64 * MiB);
});

test('jsonl: options are strict', () => {
  assert.throws(() => withDefaults(jsonl, { uri: 'a', delimiter: ',' }), /\/delimiter: unknown key \(allowed: uri, compression, maxRecordBytes\)/);
  assert.throws(() => withDefaults(jsonl, {}), /\/uri: required, missing/);
});
