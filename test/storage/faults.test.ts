/**
 * Retries and aborts against real servers behind a fault-injecting proxy (every n-th request is
 * answered 503: `SlowDown` for S3, a JSON 503 for GCS). Every operation must still give exactly
 * the right result, having retried. S3's AbortMultipartUpload, which s3rver lacks, is answered
 * by the proxy, which records it: that is how these tests see that an abandoned upload is aborted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { finished } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { StorageBackend } from '../../src/storage/types.js';
import { createS3Backend } from '../../src/storage/s3.js';
import { createGcsBackend } from '../../src/storage/gcs.js';
import { joinUri } from '../../src/storage/index.js';
import { S3RVER_ENV, createS3Bucket, gcsSettings, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';

Object.assign(process.env, S3RVER_ENV);
const MiB = 1024 * 1024;

async function bytes(backend: StorageBackend, uri: string, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of backend.read(uri, range)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// GCS's client waits 1-2 s before each retry, so its server fails less often to keep the test short.
for (const [kind, every] of [['s3', 4], ['gcs', 6]] as const) {
  describe(`${kind}: every ${every}th request fails with 503`, () => {
    let server: ObjectServer;
    let backend: StorageBackend;
    const root = kind === 's3' ? 's3://faults/t' : 'gs://faults/t';
    before(async () => {
      server = await startObjectServer(kind, every);
      backend =
        kind === 's3'
          ? createS3Backend(s3Settings(server.endpoint, { partSize: 5 * MiB, maxAttempts: 6 }), { pageSize: 2 })
          : createGcsBackend(gcsSettings(server.endpoint, { maxAttempts: 6 }), { pageSize: 2 });
      if (kind === 's3') {
        // Bucket creation goes through the faulting proxy too: retry it by hand until it lands.
        for (let i = 0; ; i++) {
          try {
            await createS3Bucket(server.endpoint, 'faults');
            break;
          } catch (err) {
            if (i >= 3) throw err;
          }
        }
      }
    });
    after(async () => server.stop());

    test('writes, lists across pages, reads ranges, stages and commits: all correct, after retries', async () => {
      const payloads = new Map<string, Buffer>();
      for (let i = 0; i < 5; i++) {
        const data = randomBytes(1000 + i);
        payloads.set(joinUri(root, `in/f${i}.bin`), data);
        await backend.writeAtomic(joinUri(root, `in/f${i}.bin`), data);
      }
      const listed = await backend.list(joinUri(root, 'in/*.bin'));
      assert.deepEqual(listed.map((f) => f.uri), [...payloads.keys()].sort());
      for (const [uri, data] of payloads) {
        assert.ok((await bytes(backend, uri, { start: 10, end: 500 })).equals(data.subarray(10, 500)));
        assert.ok(Buffer.from(await backend.readAll(uri)).equals(data));
      }
      const big = randomBytes(6 * MiB); // two parts on S3
      const staging = joinUri(root, 'out/_temporary/a.bin');
      const final = joinUri(root, 'out/part-00000-of-00001.bin');
      const w = backend.stage(staging, final);
      w.end(big);
      await finished(w);
      assert.equal(await backend.exists(final), false);
      await backend.commitStaged(staging, final);
      assert.ok(Buffer.from(await backend.readAll(final)).equals(big));
      await backend.remove(joinUri(root, 'in'), { recursive: true });
      assert.deepEqual(await backend.children(root), ['out']);
      const stats = await server.stats();
      assert.ok(stats.faults >= 5, `faults injected: ${stats.faults} of ${stats.requests} requests`);
    });

    if (kind === 's3') {
      test('an abandoned multipart upload is aborted: by the writer that fails, by abortStaged, by removing _temporary', async () => {
        const before = (await server.stats()).aborts.length;
        const final = joinUri(root, 'ab/part-00000-of-00001.bin');
        const dying = backend.stage(joinUri(root, 'ab/_temporary/a1.bin'), final);
        dying.on('error', () => undefined);
        dying.write(randomBytes(6 * MiB)); // more than a part: the upload begins at once
        dying.destroy(new Error('attempt failed')); // while its first part may still be in flight
        for (const name of ['a2.bin', 'a3.bin']) {
          const w = backend.stage(joinUri(root, `ab/_temporary/${name}`), final);
          w.end('finished, never committed');
          await finished(w);
        }
        await backend.abortStaged(joinUri(root, 'ab/_temporary/a2.bin'), final);
        await backend.remove(joinUri(root, 'ab/_temporary'), { recursive: true });
        // The failed writer aborts in the background, once its part upload has settled.
        let aborts: string[] = [];
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
          aborts = (await server.stats()).aborts.slice(before);
          if (aborts.length >= 3) break;
        }
        assert.equal(aborts.length, 3, aborts.join('\n'));
        assert.ok(aborts.every((a) => a.startsWith('/faults/t/ab/part-00000-of-00001.bin?uploadId=')));
        assert.equal(new Set(aborts).size, 3, 'three different uploads');
        assert.equal(await backend.exists(final), false);
        assert.deepEqual(await backend.children(joinUri(root, 'ab')), []);
      });
    }
  });
}
