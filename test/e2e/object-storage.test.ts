/**
 * `sluice run` end to end over object stores, as users run it (the compiled CLI in a child
 * process), against real local servers started by the test: s3rver for S3 and the firebase-tools
 * Cloud Storage emulator for GCS, each behind a counting (and, where asked, fault-injecting)
 * proxy on 127.0.0.1. The quickstart's data and model are uploaded; every run's rows are compared
 * with the same pipeline run over local files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';
import { S3RVER_ENV, createS3Bucket, gcsSettings, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';
import { createStorage, defaultBackends, joinUri, type Storage, type StorageSettings } from '../../src/storage/index.js';

const QUICKSTART = path.join(ROOT, 'examples/quickstart');
const FLOWERS = fs.readFileSync(path.join(QUICKSTART, 'data/flowers.jsonl'), 'utf8');
const LINES = FLOWERS.split('\n').filter((l) => l.trim()).length;
/** The input keys: the `id` of every line that parses (one line is not JSON: its error row has key null). */
const INPUT_KEYS = FLOWERS.split('\n').flatMap((l) => {
  try {
    return [JSON.parse(l).id as string];
  } catch {
    return [];
  }
});
/** The flowers as CSV (measurements as a JSON array cell), for the CSV source. */
const FLOWERS_CSV = ['id,measurements,species']
  .concat(
    FLOWERS.split('\n').flatMap((l) => {
      try {
        const r = JSON.parse(l);
        return [`${r.id},"${JSON.stringify(r.measurements ?? null)}",${r.species}`];
      } catch {
        return [];
      }
    }),
  )
  .join('\n');

const env = { ...S3RVER_ENV };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-objects-'));

/** A pipeline over `input`, `model` and outputs under `out` (any schemes), written to a temp file. */
function pipeline(p: { input: string; model: string; out: string; storage: StorageSettings; csv?: boolean; execution?: object }): string {
  const config = {
    name: 'flowers',
    source: { type: p.csv ? 'csv' : 'jsonl', uri: p.input },
    decode: { type: p.csv ? 'csv' : 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id', forward: ['species'] },
    model: { type: 'tfjs', uri: p.model, batchSize: 32 },
    post: [{ type: 'argmax', labels: ['setosa', 'versicolor', 'virginica'] }, { type: 'round', digits: 4 }],
    sink: { type: 'jsonl', uri: joinUri(p.out, 'predictions') },
    errors: { type: 'jsonl', uri: joinUri(p.out, 'errors') },
    execution: p.execution ?? { workers: 2, partitionBytes: 2000 },
    storage: p.storage,
  };
  const file = path.join(fs.mkdtempSync(path.join(tmp, 'p-')), 'pipeline.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Every row of every `part-*` object under `dir` in a store. */
async function storeParts(storage: Storage, dir: string): Promise<any[]> {
  const rows: any[] = [];
  for (const name of (await storage.children(dir)).filter((n) => n.startsWith('part-'))) {
    const text = Buffer.from(await storage.readAll(joinUri(dir, name))).toString('utf8');
    rows.push(...text.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  return rows;
}

/** Uploads the inputs (jsonl, csv) and the model under `root`. */
async function upload(storage: Storage, root: string): Promise<void> {
  await storage.writeAtomic(joinUri(root, 'in/flowers.jsonl'), FLOWERS);
  await storage.writeAtomic(joinUri(root, 'csv/flowers.csv'), FLOWERS_CSV);
  for (const f of ['model.json', 'weights.bin']) await storage.writeAtomic(joinUri(root, 'model', f), fs.readFileSync(path.join(QUICKSTART, 'model', f)));
}

let s3: ObjectServer;
let gcs: ObjectServer;
let settings: StorageSettings;
let storage: Storage;
/** The rows of the same pipelines over local files: what every store must give. */
let localJsonl: { predictions: any[]; errors: any[] };
let localCsv: any[];

before(async () => {
  [s3, gcs] = await Promise.all([startObjectServer('s3'), startObjectServer('gcs')]);
  await createS3Bucket(s3.endpoint, 'sluice-e2e');
  settings = { s3: s3Settings(s3.endpoint), gcs: gcsSettings(gcs.endpoint) };
  Object.assign(process.env, S3RVER_ENV);
  storage = createStorage(defaultBackends(settings));
  await upload(storage, 's3://sluice-e2e/q');
  await upload(storage, 'gs://sluice-e2e/q');
  const local = path.join(tmp, 'local');
  await upload(storage, local);
  const r = sluice(['run', pipeline({ input: `${local}/in/flowers.jsonl`, model: `${local}/model/model.json`, out: `${local}/out`, storage: {} })]);
  assert.equal(r.status, 0, r.stderr);
  localJsonl = { predictions: byKey(readParts(`${local}/out/predictions`)), errors: byKey(readParts(`${local}/out/errors`)) };
  const c = sluice(['run', pipeline({ input: `${local}/csv/flowers.csv`, model: `${local}/model/model.json`, out: `${local}/csv-out`, storage: {}, csv: true })]);
  assert.equal(c.status, 0, c.stderr);
  localCsv = byKey(readParts(`${local}/csv-out/predictions`));
});

after(async () => {
  await Promise.all([s3?.stop(), gcs?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const [scheme, root] of [
  ['s3', 's3://sluice-e2e/q'],
  ['gs', 'gs://sluice-e2e/q'],
] as const) {
  describe(`${scheme}:// end to end`, () => {
    test(`jsonl from ${scheme}:// in byte ranges, model from ${scheme}://, predictions and errors to ${scheme}://: the local rows, exactly once; a rerun resumes`, async () => {
      const out = joinUri(root, 'out');
      const config = pipeline({ input: joinUri(root, 'in/*.jsonl'), model: joinUri(root, 'model/model.json'), out, storage: settings });
      const r = sluice(['run', config, '--json'], { env });
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.ok(summary.partitions.total >= 5, `byte-range partitions expected, got ${summary.partitions.total}`);
      const predictions = byKey(await storeParts(storage, joinUri(out, 'predictions')));
      const errors = byKey(await storeParts(storage, joinUri(out, 'errors')));
      assert.deepEqual(predictions, localJsonl.predictions);
      assert.deepEqual(errors.map((e) => ({ ...e, source: null })), localJsonl.errors.map((e) => ({ ...e, source: null })));
      assert.equal(errors[0].source, joinUri(root, 'in/flowers.jsonl'));
      assert.equal(predictions.length + errors.length, LINES);
      const keys = [...predictions, ...errors].map((row) => row.key).filter((k) => k !== null);
      assert.deepEqual([...keys].sort(), [...INPUT_KEYS].sort(), 'output keys are exactly the input keys');

      // The output holds exactly the committed parts, the manifest and _SUCCESS: no attempt's leftovers.
      const names = await storage.children(joinUri(out, 'predictions'));
      const parts = names.filter((n) => n.startsWith('part-'));
      assert.equal(parts.length, summary.partitions.total);
      assert.deepEqual(names.filter((n) => !n.startsWith('part-')), ['_SUCCESS', '_manifest']);
      assert.match(parts[0]!, /^part-00000-of-000\d\d\.jsonl$/);

      // Lose two parts, their manifest entries and _SUCCESS, as a crash would: the rerun redoes only those.
      for (const id of ['00001', '00003']) {
        await storage.remove(joinUri(out, 'predictions', parts[Number(id)]!));
        await storage.remove(joinUri(out, 'predictions/_manifest', `p${id}.json`));
      }
      await storage.remove(joinUri(out, 'predictions/_SUCCESS'));
      const again = sluice(['run', config, '--json'], { env });
      assert.equal(again.status, 0, again.stderr);
      const resumed = JSON.parse(again.stdout).partitions;
      assert.equal(resumed.resumed, resumed.total - 2);
      assert.deepEqual(byKey(await storeParts(storage, joinUri(out, 'predictions'))), localJsonl.predictions);
      assert.equal(await storage.exists(joinUri(out, 'predictions/_SUCCESS')), true);
    });
  });
}

test('mixed schemes: CSV from gs://, model from s3://, output to gs:// validate, and give the local CSV rows', async () => {
  const out = 'gs://sluice-e2e/mixed';
  const config = pipeline({ input: 'gs://sluice-e2e/q/csv/', model: 's3://sluice-e2e/q/model/model.json', out, storage: settings, csv: true });
  const v = sluice(['validate', config], { env });
  assert.equal(v.status, 0, v.stderr);
  const r = sluice(['run', config], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(byKey(await storeParts(storage, joinUri(out, 'predictions'))), localCsv);
});

test('a model on S3 is downloaded once per process, not once per worker thread or partition', async () => {
  const before = (await s3.stats()).gets['/sluice-e2e/q/model/weights.bin'] ?? 0;
  const r = sluice(['run', pipeline({ input: 's3://sluice-e2e/q/in/', model: 's3://sluice-e2e/q/model/model.json', out: 's3://sluice-e2e/once', storage: settings, execution: { workers: 2, partitionBytes: 1000 } }), '--json'], { env });
  assert.equal(r.status, 0, r.stderr);
  const partitions = JSON.parse(r.stdout).partitions.total;
  const gets = ((await s3.stats()).gets['/sluice-e2e/q/model/weights.bin'] ?? 0) - before;
  // Two worker threads load it and the coordinator hashes it: one download, shared (src/model/cache.ts).
  assert.ok(partitions >= 8, `partitions: ${partitions}`);
  assert.equal(gets, 1, `weights.bin was fetched ${gets} times for ${partitions} partitions on 2 workers`);
});

test('storage errors: one line naming the URI; a missing bucket exits 2, a server that is down exits 1', () => {
  const local = path.join(tmp, 'local');
  const missing = sluice(['run', pipeline({ input: 's3://no-such-bucket/in/*.jsonl', model: `${local}/model/model.json`, out: path.join(tmp, 'o1'), storage: settings })], { env });
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /^sluice: \/source: s3:\/\/no-such-bucket\/in\/\*\.jsonl: bucket "no-such-bucket" does not exist$/m);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');

  // A port nothing listens on (the servers' own ports are taken, so take one and free it).
  const down = { s3: s3Settings('http://127.0.0.1:9', { maxAttempts: 2 }), gcs: gcsSettings('http://127.0.0.1:9', { maxAttempts: 2 }) };
  for (const uri of ['s3://sluice-e2e/q/in/', 'gs://sluice-e2e/q/in/']) {
    const r = sluice(['run', pipeline({ input: uri, model: `${local}/model/model.json`, out: path.join(tmp, 'o2'), storage: down })], { env });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^sluice: ${uri.replace(/[/.]/g, '\\$&')}: .*ECONNREFUSED`));
    assert.doesNotMatch(r.stderr, /S3RVER/, 'no credentials in messages');
  }

  const sinkDown = sluice(['run', pipeline({ input: `${local}/in/flowers.jsonl`, model: `${local}/model/model.json`, out: 's3://sluice-e2e/x', storage: down })], { env });
  assert.equal(sinkDown.status, 1, sinkDown.stderr);
  assert.match(sinkDown.stderr, /s3:\/\/sluice-e2e\/x\/predictions.*ECONNREFUSED/);
});

test('a run against an S3 server that answers every 5th request 503 SlowDown recovers by retries: no lost or duplicated rows', async () => {
  // GCS retries through the same kind of proxy are covered request by request in test/storage/faults.test.ts
  // (its client waits 1-2 s per retry, too slow for a whole run here).
  const flaky = await startObjectServer('s3', 5);
  try {
    for (let i = 0; ; i++) {
      try {
        await createS3Bucket(flaky.endpoint, 'flaky');
        break;
      } catch (err) {
        if (i >= 3) throw err; // CreateBucket of the test's own setup, through the faulting proxy
      }
    }
    const flakySettings = { s3: s3Settings(flaky.endpoint, { maxAttempts: 6 }) };
    await upload(createStorage(defaultBackends(flakySettings)), 's3://flaky/q');
    const out = 's3://flaky/out';
    const r = sluice(['run', pipeline({ input: 's3://flaky/q/in/', model: 's3://flaky/q/model/model.json', out, storage: flakySettings }), '--json'], { env });
    assert.equal(r.status, 0, r.stderr);
    const stats = await flaky.stats();
    assert.ok(stats.faults >= 10, `faults injected: ${stats.faults} of ${stats.requests} requests`);
    const check = createStorage(defaultBackends({ s3: s3Settings(flaky.endpoint, { maxAttempts: 6 }) }));
    assert.deepEqual(byKey(await storeParts(check, joinUri(out, 'predictions'))), localJsonl.predictions);
    assert.equal(JSON.parse(r.stdout).counts.read, LINES);
  } finally {
    await flaky.stop();
  }
});
