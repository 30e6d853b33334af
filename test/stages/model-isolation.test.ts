/**
 * `model/tfjs` when the model misbehaves on some records: poison-row isolation (a batch that
 * throws is bisected down to the records that fail alone) and `onNonFinite` (NaN/±Infinity in
 * outputs). Both use real LayersModels built and saved here: an embedding that tfjs refuses an
 * out-of-range id for, and dense layers whose weights overflow float32 inside the model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import h from 'highland';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import tfjsStage, { bisectionRetries } from '../../stages/model/tfjs/index.js';
import jsonlSink from '../../stages/sink/jsonl/index.js';
import type { Chunk, FeatureSpecMap } from '../../src/core/stage.js';
import type { Json, KeyedInstance } from '../../src/core/types.js';
import { initBackend } from '../../src/model/backend.js';
import { needsNative } from '../helpers/native.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { runSink, runStage, testContext, testPartition, wholeFile, withDefaults } from '../helpers/run-stage.js';
import { assertClose, keyed, predictionsOf } from '../model/helpers.js';

/** The tensorflow backend too where `npm run native` ran. */
const NATIVE = needsNative() ? [] : ['tensorflow'];

const storage = createStorage();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-model-isolation-'));
const idFeatures: FeatureSpecMap = { id: { dtype: 'int32', shape: [1] } };
const xFeatures: FeatureSpecMap = { x: { dtype: 'float32', shape: [2] } };
const outOfRange = (v: number) => `GatherV2: the index value ${v} is not in [0, 9]`;

/** 256 records with ids 0..9 in turn, except `poison` (position → id). */
const idRecords = (poison: Record<number, number> = {}): KeyedInstance[] =>
  Array.from({ length: 256 }, (_, i) => keyed(i, { id: Int32Array.of(poison[i] ?? i % 10) }));

/** The embedding rows tfjs' own predict gives for ids 0..9 (a record's prediction is its id's row). */
let embeddingRows: Json[];
const expectedFor = (records: KeyedInstance[]): Json[] => records.map((r) => embeddingRows[(r.features.id as Int32Array)[0]!]!);

before(async () => {
  await initBackend('cpu');
  // Embedding lookups throw on an id out of [0, 9]: the whole batch's predict() fails.
  const emb = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: 10, outputDim: 3, inputShape: [1], embeddingsInitializer: tfl.initializers.randomUniform({ seed: 11 }), name: 'emb' }),
      tfl.layers.flatten({ name: 'flat' }),
    ],
  });
  await emb.save(storageSaveHandler(storage, path.join(dir, 'emb')));
  const y = emb.predict(tf.tensor2d(Int32Array.from({ length: 10 }, (_, i) => i), [10, 1], 'int32')) as tf.Tensor;
  embeddingRows = y.arraySync() as Json[];
  y.dispose();
  emb.dispose();

  // scores = [x0, 1e38·x1, x1, 1e38·x0 − 1e38·x0]: finite inputs, float32 overflow inside the
  // model. x1 = ±10 gives ±Infinity at element 1; x0 = 10 gives Infinity − Infinity = NaN at element 3.
  const x = tfl.input({ shape: [2], name: 'x' });
  const aLayer = tfl.layers.dense({ units: 3, useBias: false, name: 'a' });
  const bLayer = tfl.layers.dense({ units: 2, useBias: false, name: 'b' });
  const cLayer = tfl.layers.dense({ units: 1, useBias: false, name: 'c' });
  const a = aLayer.apply(x) as tfl.SymbolicTensor;
  const c = cLayer.apply(bLayer.apply(x)) as tfl.SymbolicTensor;
  const scores = tfl.layers.concatenate({ name: 'scores' }).apply([a, c]) as tfl.SymbolicTensor;
  const overflow = tfl.model({ inputs: x, outputs: scores, name: 'overflow' });
  aLayer.setWeights([tf.tensor2d([[1, 0, 0], [0, 1e38, 1]])]);
  bLayer.setWeights([tf.tensor2d([[1e38, -1e38], [0, 0]])]);
  cLayer.setWeights([tf.tensor2d([[1], [1]])]);
  await overflow.save(storageSaveHandler(storage, path.join(dir, 'overflow')));
  overflow.dispose();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the embedding model over `records` in one batch of 256; returns the output and the retries spent. */
async function runEmbedding(records: KeyedInstance[], backend = 'cpu'): Promise<{ out: any[]; retries: number }> {
  const before = bisectionRetries();
  const out = await runStage<any>(tfjsStage, { uri: 'emb/model.json', batchSize: 256, backend }, records, { features: idFeatures, baseDir: dir, chunkSize: 100 });
  return { out, retries: bisectionRetries() - before };
}

test('one poison record in a batch of 256: it alone fails, with the model message; the other 255 are predicted in order', async () => {
  for (const backend of ['cpu', 'wasm', ...NATIVE]) {
    const records = idRecords({ 137: 50 });
    const { out, retries } = await runEmbedding(records, backend);
    assert.deepEqual(out.map((r) => r.key), records.map((r) => r.key), 'every record once, in input order');
    const failures = out.filter((r) => r.failed);
    assert.deepEqual(failures, [
      { failed: true, key: 'k137', source: 'data/in.jsonl', index: 137, offset: 13700, stage: 'model', code: 'model-error', error: outOfRange(50), raw: '{"id":137}', fields: { id: 137 } },
    ]);
    const clean = records.filter((_, i) => i !== 137);
    assertClose(predictionsOf(out), expectedFor(clean), 1e-6);
    assert.equal(retries, 16, `${backend}: two halves at each of 8 levels from 256 down to 1`);
  }
});

test('two poison records in one batch each fail with their own message; the rest are predicted', async () => {
  const records = idRecords({ 3: 50, 200: -1 });
  const { out } = await runEmbedding(records);
  assert.deepEqual(out.map((r) => r.key), records.map((r) => r.key));
  assert.deepEqual(
    out.filter((r) => r.failed).map((r) => [r.key, r.stage, r.code, r.error]),
    [
      ['k3', 'model', 'model-error', outOfRange(50)],
      ['k200', 'model', 'model-error', outOfRange(-1)],
    ],
  );
  assertClose(predictionsOf(out), expectedFor(records.filter((_, i) => i !== 3 && i !== 200)), 1e-6);
});

test('a batch where every record is poison ends: each record fails alone, after 2n-2 retries', async () => {
  const records = Array.from({ length: 256 }, (_, i) => keyed(i, { id: Int32Array.of(10 + (i % 5)) }));
  const { out, retries } = await runEmbedding(records);
  assert.equal(out.length, 256);
  assert.ok(out.every((r) => r.failed && r.code === 'model-error'));
  assert.deepEqual(out.map((r) => r.error), records.map((_, i) => outOfRange(10 + (i % 5))));
  assert.equal(retries, 510, 'every node of the bisection tree below the root, once');
});

test('clean batches take no retries', async () => {
  const records = idRecords();
  const { out, retries } = await runEmbedding([...records, ...records.slice(0, 44).map((r, i) => ({ ...r, key: `extra${i}` }))]);
  assert.equal(retries, 0);
  assert.equal(out.length, 300);
  assert.ok(out.every((r) => !r.failed));
});

test('bisection leaves no tensor behind', async () => {
  const instance = await tfjsStage.create(withDefaults(tfjsStage, { uri: 'emb/model.json', batchSize: 256, backend: 'cpu' }), testContext({ features: idFeatures, baseDir: dir }));
  const loaded = tf.memory().numTensors;
  const records = idRecords({ 5: 50, 77: 11, 250: -3 });
  const chunks = [records.slice(0, 100), records.slice(100)] as Chunk<KeyedInstance>[];
  const before = bisectionRetries();
  const out = (await instance.transform(h(chunks), testPartition(wholeFile('in.jsonl'))).collect().toPromise(Promise)).flat() as any[];
  assert.ok(bisectionRetries() > before, 'the batch was bisected');
  assert.equal(out.filter((r) => r.failed).length, 3);
  assert.equal(tf.memory().numTensors, loaded, 'no input, output or intermediate tensor of a failed call outlives it');
  await instance.close?.();
});

// Records for the overflow model: clean, NaN at element 3, +Infinity and -Infinity at element 1.
const xRecords = [
  [0.5, 0.25],
  [10, 0.25],
  [0.5, 10],
  [0.5, -10],
  [0.25, 0.5],
].map((v, i) => keyed(i, { x: Float32Array.from(v) }));
const runOverflow = (options: object, backend = 'cpu') => runStage<any>(tfjsStage, { uri: 'overflow/model.json', backend, ...options }, xRecords, { features: xFeatures, baseDir: dir });

test('onNonFinite "fail" (the default): a record with NaN or ±Infinity in its outputs is a Failure naming the output and element', async () => {
  for (const [options, backend] of [[{}, 'cpu'], [{ onNonFinite: 'fail' }, 'cpu'], [{}, 'wasm'], ...NATIVE.map((b) => [{}, b] as const)] as const) {
    const out = await runOverflow(options, backend);
    assert.deepEqual(
      out.map((r) => (r.failed ? [r.key, r.stage, r.code, r.error] : [r.key])),
      [
        ['k0'],
        ['k1', 'model', 'not-finite', 'output "scores" has a non-finite value (NaN) at element 3'],
        ['k2', 'model', 'not-finite', 'output "scores" has a non-finite value (Infinity) at element 1'],
        ['k3', 'model', 'not-finite', 'output "scores" has a non-finite value (-Infinity) at element 1'],
        ['k4'],
      ],
      backend,
    );
    assertClose(out[0].prediction, [0.5, 2.5e37, 0.25, 0], 1e31);
    assert.deepEqual(out[1], { ...out[1], source: 'data/in.jsonl', index: 1, offset: 100, raw: '{"id":1}' }, 'the Failure carries the origin');
  }
});

test('onNonFinite "keep" leaves the values (the jsonl sink writes them as null); "null" replaces each one with null', async () => {
  const kept = await runOverflow({ onNonFinite: 'keep' });
  assert.ok(kept.every((r) => !r.failed));
  assert.ok(Number.isNaN(kept[1].prediction[3]));
  assert.deepEqual([kept[2].prediction[1], kept[3].prediction[1]], [Infinity, -Infinity]);
  const { files } = await runSink(jsonlSink, {}, kept.slice(1, 2));
  const written = JSON.parse(fs.readFileSync(files[0]!, 'utf8')).prediction;
  assert.deepEqual([written[0], written[3]], [10, null]);

  const nulled = await runOverflow({ onNonFinite: 'null' });
  assert.ok(nulled.every((r) => !r.failed));
  assert.deepEqual(nulled.map((r) => r.prediction.map((v: number | null) => (v === null ? null : 'n'))), [
    ['n', 'n', 'n', 'n'],
    ['n', 'n', 'n', null],
    ['n', null, 'n', 'n'],
    ['n', null, 'n', 'n'],
    ['n', 'n', 'n', 'n'],
  ]);
  assert.deepEqual(nulled[1].prediction.slice(0, 1), [10]);
});

test('onNonFinite accepts only fail, keep and null', () => {
  assert.throws(() => withDefaults(tfjsStage, { uri: 'm.json', onNonFinite: 'drop' }), /onNonFinite/);
  assert.equal(withDefaults<any>(tfjsStage, { uri: 'm.json' }).onNonFinite, 'fail');
});
