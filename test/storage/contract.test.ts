/**
 * One contract, three backends: the same tests run against local files, S3 (s3rver) and GCS
 * (the firebase-tools Cloud Storage emulator), each server real and started on 127.0.0.1 by the
 * test. Listing pages are made small (3 keys) so that every listing crosses pages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { StorageBackend } from '../../src/storage/types.js';
import { localStorage } from '../../src/storage/local.js';
import { createS3Backend } from '../../src/storage/s3.js';
import { createGcsBackend } from '../../src/storage/gcs.js';
import { joinUri } from '../../src/storage/index.js';
import { S3RVER_ENV, createS3Bucket, gcsSettings, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';

Object.assign(process.env, S3RVER_ENV);
const MiB = 1024 * 1024;

async function text(backend: StorageBackend, uri: string, range?: { start: number; end: number }): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of backend.read(uri, range)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function writeStaged(backend: StorageBackend, staging: string, final: string, data: Buffer | string): Promise<void> {
  const w = backend.stage(staging, final);
  w.end(data);
  await finished(w);
}

const names = (files: { uri: string }[], root: string) => files.map((f) => f.uri.slice(root.length + 1));

interface Target {
  name: string;
  setup(): Promise<{ backend: StorageBackend; root: string; stop(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'local',
    async setup() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-contract-'));
      return { backend: localStorage, root: dir, stop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3',
    async setup() {
      const server = await startObjectServer('s3');
      await createS3Bucket(server.endpoint, 'contract');
      // partSize at S3's minimum, so a 12 MiB output is a 3-part upload.
      return { backend: createS3Backend(s3Settings(server.endpoint, { partSize: 5 * MiB }), { pageSize: 3 }), root: 's3://contract/t', stop: server.stop };
    },
  },
  {
    name: 'gcs',
    async setup() {
      const server: ObjectServer = await startObjectServer('gcs');
      return { backend: createGcsBackend(gcsSettings(server.endpoint), { pageSize: 3 }), root: 'gs://contract/t', stop: server.stop };
    },
  },
];

for (const target of targets) {
  describe(`storage contract: ${target.name}`, () => {
    let backend: StorageBackend;
    let root: string;
    let stop: () => Promise<void>;
    before(async () => ({ backend, root, stop } = await target.setup()));
    after(async () => stop());

    test('writes whole objects atomically; stat, exists and readAll see them; a missing one is ENOENT', async () => {
      const uri = joinUri(root, 'a/one.txt');
      await backend.writeAtomic(uri, 'hello object');
      assert.equal(Buffer.from(await backend.readAll(uri)).toString(), 'hello object');
      assert.equal((await backend.stat(uri)).size, 12);
      assert.equal(await backend.exists(uri), true);
      assert.equal(await backend.exists(joinUri(root, 'a/none.txt')), false);
      await assert.rejects(backend.stat(joinUri(root, 'a/none.txt')), (err: any) => err.code === 'ENOENT');
      await assert.rejects(backend.readAll(joinUri(root, 'a/none.txt')), (err: any) => err.code === 'ENOENT');
    });

    test('readAll returns a large object whole, byte for byte (more than one read of any size)', async () => {
      const uri = joinUri(root, 'a/large.bin');
      const data = Buffer.alloc(3 * (1 << 20) + 12_345);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
      await backend.writeAtomic(uri, data);
      const back = await backend.readAll(uri);
      assert.equal(back.byteLength, data.length);
      assert.ok(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(data));
    });

    test('createExclusive: of racing creators exactly one wins; an existing object is left as it is', async () => {
      const uri = joinUri(root, 'lease/_lease.json');
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => backend.createExclusive(uri, `owner ${i}`)));
      assert.equal(results.filter(Boolean).length, 1, `one winner: ${results}`);
      const winner = results.indexOf(true);
      assert.equal(Buffer.from(await backend.readAll(uri)).toString(), `owner ${winner}`);
      assert.equal(await backend.createExclusive(uri, 'late'), false);
      assert.equal(Buffer.from(await backend.readAll(uri)).toString(), `owner ${winner}`);
      await backend.remove(uri);
      assert.equal(await backend.createExclusive(uri, 'after removal'), true);
      assert.equal(Buffer.from(await backend.readAll(uri)).toString(), 'after removal');
    });

    test('a plain write stream makes an object when it finishes (small, and large enough for several parts)', async () => {
      for (const [name, data] of [['small.bin', randomBytes(100)], ['large.bin', randomBytes(11 * MiB)]] as const) {
        const uri = joinUri(root, 'streams', name);
        const w = backend.createWriteStream(uri);
        for (let i = 0; i < data.length; i += MiB) w.write(data.subarray(i, i + MiB));
        w.end();
        await finished(w);
        assert.ok(Buffer.from(await backend.readAll(uri)).equals(data), name);
      }
    });

    test('lists a file, a directory (one level, hidden names skipped) and globs, sorted, across pages', async () => {
      const dir = joinUri(root, 'list');
      const files = ['d-1.jsonl', 'b.jsonl', 'a.jsonl', 'c.csv', 'e.jsonl', '_hidden.jsonl', '.dot.jsonl', 'sub/x.jsonl', 'sub/deeper/y.jsonl', 'sub/z.csv'];
      for (const f of files) await backend.writeAtomic(joinUri(dir, f), f);
      assert.deepEqual(names(await backend.list(dir), dir), ['a.jsonl', 'b.jsonl', 'c.csv', 'd-1.jsonl', 'e.jsonl']);
      assert.deepEqual(names(await backend.list(`${dir}/`), dir), ['a.jsonl', 'b.jsonl', 'c.csv', 'd-1.jsonl', 'e.jsonl']);
      assert.deepEqual(names(await backend.list(joinUri(dir, '*.jsonl')), dir), ['a.jsonl', 'b.jsonl', 'd-1.jsonl', 'e.jsonl']);
      assert.deepEqual(names(await backend.list(joinUri(dir, '**/*.jsonl')), dir), ['a.jsonl', 'b.jsonl', 'd-1.jsonl', 'e.jsonl', 'sub/deeper/y.jsonl', 'sub/x.jsonl']);
      assert.deepEqual(names(await backend.list(joinUri(dir, 'sub/*')), dir), ['sub/x.jsonl', 'sub/z.csv']);
      assert.deepEqual(names(await backend.list(joinUri(dir, '[ab].jsonl')), dir), ['a.jsonl', 'b.jsonl']);
      const one = await backend.list(joinUri(dir, 'c.csv'));
      assert.deepEqual(names(one, dir), ['c.csv']);
      assert.equal(one[0]!.size, 5);
      assert.ok(one[0]!.mtimeMs > 0);
      assert.deepEqual(await backend.list(joinUri(dir, 'nothing-*.jsonl')), []);
      assert.deepEqual(await backend.list(joinUri(root, 'no-such-dir')), []);
    });

    test('reads byte ranges [start, end), empty ranges and whole objects', async () => {
      const uri = joinUri(root, 'range.txt');
      await backend.writeAtomic(uri, '0123456789abcdef');
      assert.equal(await text(backend, uri, { start: 3, end: 10 }), '3456789');
      assert.equal(await text(backend, uri, { start: 10, end: 16 }), 'abcdef');
      // Not [0, 1): s3rver answers `bytes=0-0` with the whole object (it reads end 0 as "no end").
      assert.equal(await text(backend, uri, { start: 0, end: 2 }), '01');
      assert.equal(await text(backend, uri, { start: 5, end: 5 }), '');
      assert.equal(await text(backend, uri), '0123456789abcdef');
    });

    test('a staged output is invisible until committed, then appears whole under its final name', async () => {
      const dir = joinUri(root, 'out');
      const staging = joinUri(dir, '_temporary', 'run-00000-attempt1.jsonl');
      const final = joinUri(dir, 'part-00000-of-00001.jsonl');
      const big = randomBytes(12 * MiB);
      await writeStaged(backend, staging, final, big);
      assert.equal(await backend.exists(final), false);
      assert.deepEqual(await backend.list(dir), []);
      assert.ok(!(await backend.children(dir)).some((n) => n.startsWith('part-')));
      await backend.commitStaged(staging, final);
      assert.ok(Buffer.from(await backend.readAll(final)).equals(big));
      assert.deepEqual(names(await backend.list(dir), dir), ['part-00000-of-00001.jsonl']);
      assert.deepEqual(await backend.children(joinUri(dir, '_temporary')), []);
    });

    test('an empty staged output commits as an empty object', async () => {
      const dir = joinUri(root, 'empty');
      const final = joinUri(dir, 'part-00000-of-00001.jsonl');
      await writeStaged(backend, joinUri(dir, '_temporary', 'x.jsonl'), final, '');
      await backend.commitStaged(joinUri(dir, '_temporary', 'x.jsonl'), final);
      assert.equal((await backend.stat(final)).size, 0);
    });

    test('an aborted or abandoned staged output leaves nothing visible, and removing _temporary leaves nothing', async () => {
      const dir = joinUri(root, 'abort');
      const final = joinUri(dir, 'part-00000-of-00002.jsonl');
      await writeStaged(backend, joinUri(dir, '_temporary', 'a1.jsonl'), final, 'done but discarded\n');
      await backend.abortStaged(joinUri(dir, '_temporary', 'a1.jsonl'), final);
      assert.equal(await backend.exists(final), false);
      await backend.abortStaged(joinUri(dir, '_temporary', 'never.jsonl'), final); // missing is not an error

      // An attempt that dies mid-write (after a first part went out).
      const dying = backend.stage(joinUri(dir, '_temporary', 'a2.jsonl'), final);
      dying.on('error', () => undefined);
      dying.write(randomBytes(6 * MiB));
      await new Promise((r) => setTimeout(r, 300));
      dying.destroy(new Error('worker died'));
      // An attempt that finished, then its run stopped before the commit.
      await writeStaged(backend, joinUri(dir, '_temporary', 'a3.jsonl'), joinUri(dir, 'part-00001-of-00002.jsonl'), 'never committed\n');
      await backend.remove(joinUri(dir, '_temporary'), { recursive: true });
      assert.deepEqual(await backend.children(dir), []);
      assert.deepEqual(await backend.list(dir), []);
    });

    test('children lists one level (objects and folders); a recursive remove takes everything under a prefix', async () => {
      const dir = joinUri(root, 'tree');
      // Folders one level deep only: s3rver drops the common prefix of keys two levels under a
      // delimited listing's prefix (its directory walk prunes them); S3 and GCS do not.
      for (const f of ['_SUCCESS', 'part-1', '_manifest/run.json', '_manifest/p00000.json', '_temporary/x']) await backend.writeAtomic(joinUri(dir, f), f);
      assert.deepEqual(await backend.children(dir), ['_SUCCESS', '_manifest', '_temporary', 'part-1']);
      assert.deepEqual(await backend.children(joinUri(dir, '_manifest')), ['p00000.json', 'run.json']);
      assert.deepEqual(await backend.children(joinUri(root, 'absent')), []);
      await backend.remove(joinUri(dir, '_manifest'), { recursive: true });
      await backend.remove(joinUri(dir, 'part-1'));
      await backend.remove(joinUri(dir, 'part-1')); // missing is not an error
      assert.deepEqual(await backend.children(dir), ['_SUCCESS', '_temporary']);
      await backend.remove(dir, { recursive: true });
      assert.deepEqual(await backend.children(dir), []);
    });
  });
}
