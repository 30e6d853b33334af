// TensorFlow SavedModels on the tensorflow backend, against Python TensorFlow's own predictions
// (test/fixtures/saved-models/: the models and predictions.json, made by make_saved_models.py).
// Floats within 1e-6 (the same C library computes them: in practice equal); ints, int64 and
// strings exactly. Skips with a reason where `npm run native` has not run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertClose, byKey, readParts, sluice } from '../helpers/cli.js';
import { needsNative } from '../helpers/native.js';
import { S3RVER_ENV, createS3Bucket, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';
import { createStorage, defaultBackends, joinUri } from '../../src/storage/index.js';
import { loadSavedModel } from '../../src/model/saved-model.js';
import type { KeyedInstance } from '../../src/core/types.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/saved-models');
const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'predictions.json'), 'utf8'));
const skip = needsNative();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-saved-model-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pipeline over the dense model's inputs (x float32 [4]) with model options `model`. */
function densePipeline(model: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const input = path.join(tmp, 'dense.jsonl');
  fs.writeFileSync(input, golden.dense.inputs.map((r: any, i: number) => JSON.stringify({ id: `r${i}`, ...r })).join('\n') + '\n');
  const file = path.join(tmp, `dense-${Math.random().toString(36).slice(2)}.json`);
  const config = {
    name: 'dense',
    source: { type: 'jsonl', uri: input },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: path.join(FIXTURES, 'dense'), ...model },
    sink: { type: 'jsonl', uri: path.join(tmp, `out-${path.basename(file, '.json')}`) },
    execution: { workers: 1 },
    ...extra,
  };
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

const outOf = (config: string) => JSON.parse(fs.readFileSync(config, 'utf8')).sink.uri as string;

describe('SavedModels on the tensorflow backend', { skip }, () => {
  test('signature serving_default (the default) and doubled: the predictions of Python TensorFlow', () => {
    for (const [signature, options] of [['serving_default', {}], ['doubled', { signature: 'doubled', tags: ['serve'] }]] as const) {
      const config = densePipeline(options);
      const r = sluice(['run', config]);
      assert.equal(r.status, 0, r.stderr);
      const rows = byKey(readParts(outOf(config)));
      assert.deepEqual(rows.map((x) => x.key), ['r0', 'r1', 'r2']);
      assertClose(rows.map((x) => x.prediction), golden.dense[signature], 1e-6, signature);
    }
  });

  test('int32, int64 (exact beyond 2^53), string and uint8 inputs; several outputs give an object by name', async () => {
    const storage = createStorage(defaultBackends());
    const model = await loadSavedModel(storage, path.join(FIXTURES, 'mixed'), {
      features: {
        ids: { dtype: 'int32', shape: [3] },
        big: { dtype: 'int64', shape: [2] },
        name: { dtype: 'string', shape: [] },
        scale: { dtype: 'float32', shape: [2] },
        pix: { dtype: 'int32', shape: [4] },
      },
      batchSize: 8,
      tags: ['serve'],
      signature: 'serving_default',
    });
    try {
      assert.equal(model.backend, 'tensorflow');
      assert.deepEqual(model.outputNames, ['big_next', 'greeting', 'ids_sum', 'name_len', 'pix_sum', 'scaled']);
      const records = golden.mixed.inputs.map((r: any, i: number) => ({
        key: `r${i}`,
        features: {
          ids: Int32Array.from(r.ids),
          big: BigInt64Array.from(r.big.map((v: string) => BigInt(v))),
          name: [r.name],
          scale: Float32Array.from(r.scale),
          pix: Int32Array.from(r.pix),
        },
      })) as unknown as KeyedInstance[];
      for (const r of records) assert.equal(model.recordProblem(r), null);
      const predictions = (await model.predict(records)) as any[];
      // int64 beyond 2^53 comes back as decimal text, exact; within it as numbers.
      const expected = golden.mixed.serving_default.map((p: any) => ({ ...p, big_next: p.big_next.map((v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v)) }));
      assert.deepEqual(predictions.map((p) => p.big_next), expected.map((p: any) => p.big_next));
      assertClose(predictions, expected, 1e-6);
      // A uint8 value outside 0-255 fails its record alone.
      const bad = { ...records[0]!, features: { ...records[0]!.features, pix: Int32Array.from([0, 1, 256, 3]) } } as KeyedInstance;
      assert.match(model.recordProblem(bad)!, /feature "pix": value 256 at element 2 does not fit model input "pix" of dtype uint8/);
    } finally {
      model.dispose();
    }
  });

  test('validate: a missing signature, a missing tag set, a feature of the wrong dtype or shape: exit 2 naming it', () => {
    const sig = sluice(['validate', densePipeline({ signature: 'nope' })]);
    assert.equal(sig.status, 2, sig.stderr);
    assert.match(sig.stderr, /\/model\/signature: no signature "nope" in the MetaGraph tagged \["serve"\] of .*saved_model\.pb; its signatures: doubled, serving_default/);
    const tags = sluice(['validate', densePipeline({ tags: ['serve', 'gpu'] })]);
    assert.equal(tags.status, 2, tags.stderr);
    assert.match(tags.stderr, /\/model\/tags: no MetaGraph tagged \["serve", "gpu"\] .*its tag sets: \["serve"\]/);
    const dtype = sluice(['validate', densePipeline({}, { decode: { type: 'json', features: { x: { dtype: 'string', shape: [4] } } } })]);
    assert.equal(dtype.status, 2, dtype.stderr);
    assert.match(dtype.stderr, /\/decode\/features\/x: dtype string does not fit model input "x" of dtype float32/);
    const shape = sluice(['validate', densePipeline({}, { decode: { type: 'json', features: { x: { dtype: 'float32', shape: [3] } } } })]);
    assert.equal(shape.status, 2, shape.stderr);
    assert.match(shape.stderr, /\/decode\/features\/x: shape \[3\] does not fit model input "x" of shape \[-1,4\]/);
    const run = sluice(['run', densePipeline({ signature: 'nope' })]);
    assert.equal(run.status, 2, run.stderr);
  });

  test('a SavedModel on the wasm backend is a config error (exit 2)', () => {
    const r = sluice(['validate', densePipeline({ backend: 'wasm' })]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /\/model\/backend: a SavedModel runs on the tensorflow backend only, not "wasm"/);
  });

  describe('from s3://', () => {
    let s3: ObjectServer;
    before(async () => {
      s3 = await startObjectServer('s3');
      await createS3Bucket(s3.endpoint, 'models');
      Object.assign(process.env, S3RVER_ENV);
      const storage = createStorage(defaultBackends({ s3: s3Settings(s3.endpoint) }));
      const dir = path.join(FIXTURES, 'dense');
      for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
        const file = path.join(dir, rel);
        if (fs.statSync(file).isFile()) await storage.writeAtomic(joinUri('s3://models/dense', ...rel.split(path.sep)), fs.readFileSync(file));
      }
    });
    after(() => s3?.stop());

    test('copied to a local cache and run: the same predictions', () => {
      const config = densePipeline({ uri: 's3://models/dense/' }, { storage: { s3: s3Settings(s3.endpoint) } });
      const r = sluice(['run', config, '--json'], { env: S3RVER_ENV });
      assert.equal(r.status, 0, r.stderr);
      assertClose(byKey(readParts(outOf(config))).map((x) => x.prediction), golden.dense.serving_default, 1e-6);
      const summary = JSON.parse(r.stdout);
      assert.match(JSON.stringify(summary), /"format":"saved-model"/);
    });
  });
});
