/**
 * `source/file-list` over object stores: a list on S3 (s3rver) naming a relative S3 entry, a GCS
 * entry (the GCS emulator) and a local file; every entry is read by the source of its type.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fileList from '../../stages/source/file-list/index.js';
import type { RawRecord } from '../../src/core/types.js';
import { createStorage, defaultBackends, type Storage } from '../../src/storage/index.js';
import { S3RVER_ENV, createS3Bucket, gcsSettings, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';
import { readAll } from '../helpers/run-stage.js';

let s3: ObjectServer;
let gcs: ObjectServer;
let storage: Storage;

before(async () => {
  [s3, gcs] = await Promise.all([startObjectServer('s3'), startObjectServer('gcs')]);
  await createS3Bucket(s3.endpoint, 'lists');
  Object.assign(process.env, S3RVER_ENV);
  storage = createStorage(defaultBackends({ s3: s3Settings(s3.endpoint), gcs: gcsSettings(gcs.endpoint) }));
});

after(async () => {
  await Promise.all([s3?.stop(), gcs?.stop()]);
});

test('a list on S3: a relative entry resolves under the list\'s prefix; gs:// and local entries are read as they are', async () => {
  const local = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-list-objects-'));
  fs.writeFileSync(path.join(local, 'c.jsonl'), '{"x":3}\n');
  await storage.writeAtomic('s3://lists/batch/data/a.jsonl', Buffer.from('{"x":1}\n{"x":2}\n'));
  await storage.writeAtomic('gs://lists/b.csv.gz', gzipSync('x,y\n5,6\n'));
  await storage.writeAtomic('s3://lists/batch/inputs.txt', Buffer.from(`data/a.jsonl\ngs://lists/b.csv.gz\n${path.join(local, 'c.jsonl')}\n`));
  const { partitions, records } = await readAll(fileList, { uri: 's3://lists/batch/inputs.txt' }, local, { storage });
  assert.deepEqual(partitions.map((p) => p.uri), ['s3://lists/batch/data/a.jsonl', 'gs://lists/b.csv.gz', path.join(local, 'c.jsonl')]);
  assert.deepEqual(
    records.map((r) => [r.source, r.index, (r as RawRecord).fields ?? r.raw]),
    [
      ['s3://lists/batch/data/a.jsonl', 0, '{"x":1}'],
      ['s3://lists/batch/data/a.jsonl', 1, '{"x":2}'],
      ['gs://lists/b.csv.gz', 0, { x: '5', y: '6' }],
      ['c.jsonl', 0, '{"x":3}'],
    ],
  );
});
