/**
 * Vertex-style output and Parquet output on S3 (s3rver on 127.0.0.1): the Vertex-named files and
 * the Parquet parts are committed through S3's own atomic step (multipart completion) like any
 * part- file, and nothing else is left visible.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { ROOT, sluice } from '../helpers/cli.js';
import { S3RVER_ENV, createS3Bucket, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';
import { createStorage, defaultBackends, type Storage } from '../../src/storage/index.js';

const example = path.join(ROOT, 'examples/vertex-batch');
let s3: ObjectServer;
let storage: Storage;

before(async () => {
  Object.assign(process.env, S3RVER_ENV); // the test's own Storage reads the same credentials as the CLI
  s3 = await startObjectServer('s3');
  await createS3Bucket(s3.endpoint, 'vertex');
  storage = createStorage(defaultBackends({ s3: s3Settings(s3.endpoint) }));
});
after(async () => s3?.stop());

test('S3: Vertex files and Parquet parts are committed atomically under their names', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-vertex-s3-'));
  const config = {
    ...JSON.parse(fs.readFileSync(path.join(example, 'pipeline.json'), 'utf8')),
    source: { type: 'jsonl', uri: path.join(example, 'data/instances.jsonl') },
    model: { type: 'tfjs', uri: path.join(example, 'model/model.json') },
    sink: [
      { type: 'jsonl', uri: 's3://vertex/job-1', format: 'vertex' },
      { type: 'parquet', uri: 's3://vertex/parquet' },
    ],
    errors: { type: 'jsonl', uri: 's3://vertex/job-1', format: 'vertex' },
    storage: { s3: s3Settings(s3.endpoint) },
  };
  delete config.$schema;
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  const r = sluice(['run', path.join(dir, 'pipeline.json')], { env: S3RVER_ENV });
  assert.equal(r.status, 0, r.stderr);

  const names = (await storage.children('s3://vertex/job-1')).filter((n) => !n.startsWith('_')).sort();
  assert.deepEqual(names, ['prediction.errors_stats-00000-of-00001', 'prediction.results-00000-of-00001']);
  const text = Buffer.from(await storage.readAll('s3://vertex/job-1/prediction.results-00000-of-00001')).toString('utf8');
  assert.equal(text, fs.readFileSync(path.join(example, 'expected/prediction.results-00000-of-00001'), 'utf8'));
  assert.deepEqual(await storage.children('s3://vertex/job-1/_temporary').catch(() => []), []);

  const parquet = (await storage.children('s3://vertex/parquet')).filter((n) => !n.startsWith('_'));
  assert.deepEqual(parquet, ['part-00000-of-00001.parquet']);
  const bytes = await storage.readAll('s3://vertex/parquet/part-00000-of-00001.parquet');
  const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
  assert.equal(rows.length, 15);
  assert.deepEqual(rows[0]!.instance, [5.1, 3.5, 1.4, 0.2]);
});
