import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import filesSource from '../../stages/source/files/index.js';
import { groupBySize } from '../../src/core/partitioning.js';
import type { Failure, RawRecord } from '../../src/core/types.js';
import { createStorage } from '../../src/storage/index.js';
import { readAll, testContext, testPartition, withDefaults } from '../helpers/run-stage.js';
import { faceApiDemo } from '../helpers/images.js';

const isFailure = (r: RawRecord | Failure): r is Failure => (r as Failure).failed === true;

test('groupBySize: balanced by bytes, listing order kept, big files alone, deterministic', () => {
  const cases: [number[], number, [number, number][]][] = [
    [[100, 100, 100, 100], 200, [[0, 2], [2, 4]]],
    [[100, 100, 100, 100], 1000, [[0, 4]]],
    // Greedy filling would give [0,3],[3,4]; balanced cuts near 1/2 of the bytes.
    [[60, 60, 60, 60], 180, [[0, 2], [2, 4]]],
    [[500, 10, 10], 100, [[0, 1], [1, 3]]],
    [[10, 500, 10, 10], 100, [[0, 1], [1, 2], [2, 4]]],
    [[0, 0, 0, 0], 2, [[0, 2], [2, 4]]],
    [[5], 1, [[0, 1]]],
    [[], 100, []],
  ];
  for (const [sizes, bytes, want] of cases) assert.deepEqual(groupBySize(sizes, bytes), want, `${sizes} by ${bytes}`);
  // Every file exactly once, in order, whatever the sizes.
  const sizes = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 1000) + 1);
  for (const bytes of [1, 500, 3000, 10_000, 1e9]) {
    const groups = groupBySize(sizes, bytes);
    assert.deepEqual(groups.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i)), [...sizes.keys()]);
    assert.deepEqual(groupBySize(sizes, bytes), groups);
    if (bytes < 1000) continue;
    // No file is over the partition size: ceil(total / bytes) groups, each within one file's size of an even share.
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.equal(groups.length, Math.min(sizes.length, Math.ceil(total / bytes)), `${bytes}`);
    const share = total / groups.length;
    for (const [a, b] of groups) {
      const bytesIn = sizes.slice(a, b).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(bytesIn - share) <= 1000, `${bytes}: a group of ${bytesIn} bytes, share ${share}`);
    }
  }
});

test('the demo photos: one record per file with its exact bytes and fields, several files per partition', async () => {
  const dir = faceApiDemo();
  const { partitions, records } = await readAll(filesSource, { uri: 'sample*.jpg' }, dir, { partitionBytes: 400_000 });
  const names = fs.readdirSync(dir).filter((f) => /^sample.*\.jpg$/.test(f)).sort();
  assert.equal(names.length, 6);
  // 1,227,0xx bytes in all → ceil(1.23 MB / 400 kB) = 4 partitions of whole files.
  assert.equal(partitions.length, 4);
  assert.deepEqual(partitions.flatMap((p) => p.files!.map((f) => f.source)), names);
  for (const p of partitions) {
    assert.equal(p.source, p.files![0]!.source);
    assert.equal(p.size, p.files!.reduce((n, f) => n + f.size, 0));
    assert.deepEqual([p.start, p.end, p.split], [0, p.size, false]);
  }
  assert.ok(partitions.some((p) => p.files!.length > 1));
  assert.deepEqual(records.map((r) => r.source), names);
  for (const r of records as RawRecord[]) {
    const bytes = fs.readFileSync(path.join(dir, r.source));
    assert.deepEqual([r.index, r.offset], [0, 0]);
    assert.ok(Buffer.from(r.raw as Uint8Array).equals(bytes), r.source);
    assert.deepEqual(r.fields, { path: r.source, name: r.source, size: bytes.length });
  }
  // The default size (1 MiB at least) keeps these 1.2 MB in two partitions.
  assert.equal((await readAll(filesSource, { uri: 'sample*.jpg' }, dir)).partitions.length, 2);
});

test('a file that vanished or became a directory after planning is a Failure naming it; the others are read', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-files-'));
  fs.mkdirSync(path.join(dir, 'photos'));
  for (const n of ['a', 'b', 'c', 'd']) fs.writeFileSync(path.join(dir, 'photos', `${n}.bin`), `bytes of ${n}`);
  const ctx = testContext({ baseDir: dir, execution: { workers: 1 } });
  const options = withDefaults<any>(filesSource, { uri: 'photos/' });
  const [partition] = (await filesSource.plan(options, ctx)).map((p, id) => ({ ...p, id, of: 1 }));
  assert.equal(partition!.files!.length, 4);
  fs.rmSync(path.join(dir, 'photos', 'b.bin'));
  fs.rmSync(path.join(dir, 'photos', 'c.bin'));
  fs.mkdirSync(path.join(dir, 'photos', 'c.bin'));
  const instance = await filesSource.create(options, ctx);
  const out = ((await instance.read(testPartition(partition!)).collect().toPromise(Promise)) as (RawRecord | Failure)[][]).flat();
  assert.deepEqual(out.map((r) => r.source), ['photos/a.bin', 'photos/b.bin', 'photos/c.bin', 'photos/d.bin']);
  assert.equal(Buffer.from((out[0] as RawRecord).raw as Uint8Array).toString(), 'bytes of a');
  const [b, c] = [out[1] as Failure, out[2] as Failure];
  assert.ok(isFailure(b) && isFailure(c));
  assert.deepEqual([b.stage, b.code, b.index, b.key], ['source', 'unreadable', 0, null]);
  assert.match(b.error, /^photos\/b\.bin: cannot read the file: ENOENT: no such file or directory/);
  assert.match(c.error, /^photos\/c\.bin: cannot read the file: EISDIR/);
  assert.deepEqual(b.fields, { path: 'photos/b.bin', name: 'b.bin', size: 10 }, 'a key stage can still key it by name');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a storage failure (not the file\'s) fails the partition, so the engine retries it', async () => {
  const dir = faceApiDemo();
  const storage = createStorage();
  const failing = {
    ...storage,
    read: () => {
      const r = new Readable({ read() {} });
      process.nextTick(() => r.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })));
      return r;
    },
  };
  const ctx = testContext({ baseDir: dir, storage: failing });
  const options = withDefaults<any>(filesSource, { uri: 'sample1.jpg' });
  const [p] = await filesSource.plan(options, ctx);
  const instance = await filesSource.create(options, ctx);
  await assert.rejects(instance.read(testPartition({ ...p!, id: 0, of: 1 })).collect().toPromise(Promise), /connection reset/);
});
