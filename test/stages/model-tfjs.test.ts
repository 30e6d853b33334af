/**
 * `model/tfjs` on real models: LayersModels built and saved here (seeded, so deterministic) and
 * the `emotion` GraphModel shipped in @vladmandic/human. Predictions are compared with tfjs'
 * own `predict`/`execute` on the same inputs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import h from 'highland';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import tfjsStage from '../../stages/model/tfjs/index.js';
import type { Chunk, FeatureSpecMap } from '../../src/core/stage.js';
import type { Failure, Json, KeyedInstance } from '../../src/core/types.js';
import { initBackend, resolveBackend, TFJS_NODE_MISSING } from '../../src/model/backend.js';
import { BACKENDS, needsNative } from '../helpers/native.js';
import { storageLoadHandler, storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { runStage, testContext, testPartition, wholeFile, withDefaults } from '../helpers/run-stage.js';
import { assertClose, humanModel, keyed, predictionsOf, randomFloats } from '../model/helpers.js';

const storage = createStorage();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-model-tfjs-'));
const N = 7;
const glorot = (seed: number) => tfl.initializers.glorotUniform({ seed });
const rows = <T>(t: tf.Tensor): T[] => t.arraySync() as T[];
/** Runs `fn` and disposes every tensor it made (tf.tidy cannot return plain JSON under its types). */
function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

// Two inputs (`a` float32 [3], `b` [2,2] fed from an int32 feature) and two outputs (`score` [B,1], `grid` [B,2,3]).
const A = randomFloats(N * 3, 1);
const B = Int32Array.from(randomFloats(N * 4, 2), (v) => Math.floor(v * 10) - 5);
const twoFeatures: FeatureSpecMap = { b: { dtype: 'int32', shape: [2, 2] }, note: { dtype: 'string', shape: [1] }, a: { dtype: 'float32', shape: [3] } };
const twoRecords = Array.from({ length: N }, (_, i) => keyed(i, { b: B.slice(i * 4, i * 4 + 4), note: ['extra'], a: A.slice(i * 3, i * 3 + 3) }));
let expectedTwo: Json[];

// A Sequential model: one input (named `probs_input` by tfjs), one output.
const M = randomFloats(N * 4, 3);
const seqRecords = Array.from({ length: N }, (_, i) => keyed(i, { measurements: M.slice(i * 4, i * 4 + 4) }));
let expectedSeq: Json[];

// The emotion GraphModel: input `input_1:0` float32 [-1,64,64,1], output `Identity:0` [-1,7].
const E = 5;
const pixels = randomFloats(E * 64 * 64, 4);
const emotionRecords = (name: string): KeyedInstance[] =>
  Array.from({ length: E }, (_, i) => keyed(i, { [name]: pixels.slice(i * 4096, (i + 1) * 4096), other: Float32Array.of(1) }));
let expectedEmotion: Json[];

// The scalar-input model's embedding matrix: record i's prediction is row ids[i].
let embeddingRows: number[][];

before(async () => {
  await initBackend('cpu');
  const a = tfl.input({ shape: [3], name: 'a' });
  const b = tfl.input({ shape: [2, 2], name: 'b' });
  const joined = tfl.layers.concatenate({ name: 'joined' }).apply([a, tfl.layers.flatten({ name: 'flat_b' }).apply(b) as tfl.SymbolicTensor]);
  const hidden = tfl.layers.dense({ units: 5, activation: 'tanh', kernelInitializer: glorot(1), biasInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 2 }), name: 'hidden' }).apply(joined);
  const score = tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: glorot(3), name: 'score' }).apply(hidden);
  const grid = tfl.layers.reshape({ targetShape: [2, 3], name: 'grid' }).apply(tfl.layers.dense({ units: 6, kernelInitializer: glorot(4), name: 'grid_dense' }).apply(hidden));
  const two = tfl.model({ inputs: [a, b], outputs: [score, grid] as tfl.SymbolicTensor[], name: 'two_in_two_out' });
  await two.save(storageSaveHandler(storage, path.join(dir, 'two')));
  expectedTwo = scoped(() => {
    const [s, g] = two.predict([tf.tensor(A, [N, 3]), tf.tensor(Float32Array.from(B), [N, 2, 2])]) as tf.Tensor[];
    return rows<Json>(s!).map((sc, i) => ({ score: sc, grid: rows<Json>(g!)[i]! }));
  });

  const seq = tfl.sequential({ name: 'seq', layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax', kernelInitializer: glorot(5), name: 'probs' })] });
  await seq.save(storageSaveHandler(storage, path.join(dir, 'seq')));
  expectedSeq = scoped(() => rows<Json>(seq.predict(tf.tensor(M, [N, 4])) as tf.Tensor));

  // Embedding lookups fail on an id out of range: a batch that throws inside the model.
  const emb = tfl.sequential({ layers: [tfl.layers.embedding({ inputDim: 10, outputDim: 2, inputShape: [1], embeddingsInitializer: tfl.initializers.randomUniform({ seed: 6 }), name: 'emb' }), tfl.layers.flatten({ name: 'flat' })] });
  await emb.save(storageSaveHandler(storage, path.join(dir, 'emb'), 'embedding.json'));
  // A scalar input (shape [], a batch is rank 1): an embedding looked up by one id per record.
  // predict() made every batch rank 2 and then refused it ("expected item to have 1
  // dimension(s)"); the model called as a function takes it as it is.
  const item = tfl.input({ shape: [], dtype: 'int32', name: 'item' });
  const lookup = tfl.model({ inputs: item, outputs: tfl.layers.embedding({ inputDim: 10, outputDim: 3, embeddingsInitializer: tfl.initializers.randomUniform({ seed: 8 }), name: 'lookup' }).apply(item) as tfl.SymbolicTensor });
  await lookup.save(storageSaveHandler(storage, path.join(dir, 'scalar')));
  embeddingRows = scoped(() => rows<number[]>(lookup.getWeights()[0]!));
  for (const m of [two, seq, emb, lookup]) m.dispose();

  await initBackend('wasm');
  const emotion = await loadGraphModel(storageLoadHandler(storage, humanModel('emotion')));
  expectedEmotion = scoped(() => rows<Json>(emotion.execute(tf.tensor(pixels, [E, 64, 64, 1])) as tf.Tensor));
  emotion.dispose();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Every backend gives the reference (computed on cpu) within 1e-5; tensorflow where `npm run native` ran.
test('a LayersModel with two inputs and two outputs gives model.predict results on wasm, cpu and tensorflow, at batch sizes 1, 3 and 256', async () => {
  for (const backend of BACKENDS.filter((b) => b !== 'tensorflow' || !needsNative())) {
    for (const batchSize of [1, 3, 256]) {
      const out = await runStage<any>(tfjsStage, { uri: 'two/model.json', batchSize, backend }, twoRecords, { features: twoFeatures, baseDir: dir });
      assert.equal(out.length, N);
      assertClose(predictionsOf(out), expectedTwo, 1e-5);
      assert.deepEqual(Object.keys(out[0].prediction), ['score', 'grid']);
      assert.equal(out[0].prediction.score.length, 1, 'an output of shape [B,1] gives [x]');
      const { prediction: _, ...rest } = out[3];
      assert.deepEqual(rest, { key: 'k3', forward: { id: 3 }, source: 'data/in.jsonl', index: 3, offset: 300, raw: '{"id":3}' });
    }
  }
});

/** The backends these tests run on: tensorflow where `npm run native` ran (else skipped with the reason). */
const onEvery = (title: string, fn: (backend: (typeof BACKENDS)[number]) => Promise<void>) => {
  for (const backend of BACKENDS) test(`${title} (${backend})`, { skip: backend === 'tensorflow' && needsNative() }, () => fn(backend));
};

onEvery('a model with a scalar input (a rank-1 batch) predicts each record: the embedding row of its id', async (backend) => {
  const ids = [3, 0, 9, 3, 7];
  const records = ids.map((id, i) => keyed(i, { item: Int32Array.of(id) }));
  const out = await runStage<any>(tfjsStage, { uri: 'scalar/model.json', batchSize: 2, backend }, records, {
    features: { item: { dtype: 'int32', shape: [] } },
    baseDir: dir,
  });
  assert.deepEqual(out.map((r) => r.code ?? 'ok'), ids.map(() => 'ok'));
  assertClose(predictionsOf(out), ids.map((id) => embeddingRows[id]!), 1e-6);
});

onEvery('a single-input Sequential model takes the single feature whatever its name; one output gives plain arrays', async (backend) => {
  const out = await runStage<any>(tfjsStage, { uri: 'seq/model.json', batchSize: 4, backend }, seqRecords, {
    features: { measurements: { dtype: 'float32', shape: [4] } },
    baseDir: dir,
  });
  assertClose(predictionsOf(out), expectedSeq, 1e-5);
  assert.equal(out[0].prediction.length, 3);
});

onEvery('the emotion GraphModel matches a direct execute, fed by a feature named input_1 or input_1:0', async (backend) => {
  for (const name of ['input_1', 'input_1:0']) {
    const features: FeatureSpecMap = { [name]: { dtype: 'float32', shape: [64, 64, 1] }, other: { dtype: 'float32', shape: [1] } };
    const out = await runStage<any>(tfjsStage, { uri: humanModel('emotion'), batchSize: 2, backend }, emotionRecords(name), { features });
    assert.equal(out.length, E);
    assertClose(predictionsOf(out), expectedEmotion, 1e-5);
    assert.equal(out[0].prediction.length, 7);
  }
});

onEvery('a GraphModel with a fixed batch dimension and four outputs: batches clamp to 1, outputs by signature key', async (backend) => {
  const uri = humanModel('blazeface'); // input "input:0" float32 [1,256,256,3]; outputs Identity…:0
  const images = randomFloats(2 * 256 * 256 * 3, 7);
  const records = [0, 1].map((i) => keyed(i, { image: images.slice(i * 196608, (i + 1) * 196608) }));
  await initBackend(backend); // the reference: a direct execute on the same backend
  const model = await loadGraphModel(storageLoadHandler(storage, uri));
  const names = ['Identity_3:0', 'Identity:0', 'Identity_1:0', 'Identity_2:0'];
  const expected = [0, 1].map((i) =>
    scoped(() => {
      const outs = model.execute(tf.tensor(records[i]!.features.image as Float32Array, [1, 256, 256, 3]), names) as tf.Tensor[];
      return Object.fromEntries(outs.map((t, k) => [names[k]!.replace(':0', ''), rows<Json>(t)[0]!]));
    }),
  );
  model.dispose();
  const out = await runStage<any>(tfjsStage, { uri, batchSize: 256, backend }, records, { features: { image: { dtype: 'float32', shape: [256, 256, 3] } } });
  assert.deepEqual(Object.keys(out[0].prediction), ['Identity_3', 'Identity', 'Identity_1', 'Identity_2']);
  assertClose(predictionsOf(out), expected, 1e-4);
});

onEvery('Failures pass through in place; in a batch the model throws on only the poison record fails, and the run goes on', async (backend) => {
  const upstream: Failure = { failed: true, key: 'kx', source: 'data/in.jsonl', index: 9, offset: 900, stage: 'decode', code: 'bad-json', error: 'expected JSON', raw: '{oops' };
  const ids = [1, 50, 3, 4];
  const inputs = [keyed(0, { id: Int32Array.of(ids[0]!) }), upstream, ...ids.slice(1).map((id, i) => keyed(i + 1, { id: Int32Array.of(id) })), keyed(4, { id: Int32Array.of(1, 2) })];
  const out = await runStage<any>(tfjsStage, { uri: 'emb/embedding.json', batchSize: 2, backend }, inputs, {
    features: { id: { dtype: 'int32', shape: [1] } },
    baseDir: dir,
  });
  assert.deepEqual(out.map((r) => r.key), ['k0', 'kx', 'k1', 'k2', 'k3', 'k4']);
  assert.equal(out[1], upstream, 'an upstream Failure passes untouched');
  // Records 0 and 1 (ids 1 and 50) made the first batch: it threw, so each was tried alone.
  assert.equal(out[0].prediction.length, 2, 'record 0 shared a batch with the poison record and is still predicted');
  assert.deepEqual(out[2], {
    failed: true, key: 'k1', source: 'data/in.jsonl', index: 1, offset: 100, stage: 'model', code: 'model-error', error: 'GatherV2: the index value 50 is not in [0, 9]', raw: '{"id":1}', fields: { id: 1 },
  });
  assert.equal(out[3].prediction.length, 2);
  assert.equal(out[4].prediction.length, 2);
  assert.equal(out[5].code, 'model-input');
  assert.equal(out[5].error, 'feature "id": expected 1 int32 values for model input "emb_input", got 2');
});

/** Runs the stage by hand, counting live tensors before load, after load, after the run and after close. */
async function tensorCounts(options: object, inputs: unknown[], features: FeatureSpecMap, baseDir?: string): Promise<number[]> {
  const counts = [tf.memory().numTensors];
  const instance = await tfjsStage.create(withDefaults(tfjsStage, options), testContext({ features, baseDir }));
  counts.push(tf.memory().numTensors);
  const chunks = [inputs.slice(0, 3), inputs.slice(3)] as Chunk<KeyedInstance>[];
  const out = await instance.transform(h(chunks), testPartition(wholeFile('in.jsonl'))).collect().toPromise(Promise);
  assert.equal(out.flat().filter((r: any) => !r.failed).length, inputs.length);
  counts.push(tf.memory().numTensors);
  await instance.close?.();
  counts.push(tf.memory().numTensors);
  return counts;
}

test('no tensor outlives its batch, and closing the stage frees the model', async () => {
  const layers = await tensorCounts({ uri: 'two/model.json', batchSize: 2 }, twoRecords, twoFeatures, dir);
  assert.ok(layers[1]! > layers[0]!, 'the weights are tensors');
  assert.equal(layers[2], layers[1], 'the run left no tensor behind');
  assert.equal(layers[3], layers[0], 'close() disposed the model');
  const graph = await tensorCounts({ uri: humanModel('emotion'), batchSize: 2 }, emotionRecords('x'), { x: { dtype: 'float32', shape: [64, 64, 1] } });
  assert.deepEqual([graph[2], graph[3]], [graph[1], graph[0]]);
});

test('backend "tensorflow" without @tensorflow/tfjs-node is a clear one-line error, at check and at create', { skip: needsNative() ? false : 'tfjs-node is installed here (npm run native ran)' }, async () => {
  assert.equal(TFJS_NODE_MISSING, 'backend "tensorflow" needs @tensorflow/tfjs-node, which is not installed (run npm run native); use "wasm" or "cpu"');
  await assert.rejects(initBackend('tensorflow'), { message: TFJS_NODE_MISSING });
  const options = { uri: 'seq/model.json', backend: 'tensorflow' };
  const ctx = testContext({ path: '/model', baseDir: dir, features: { x: { dtype: 'float32', shape: [4] } } });
  assert.deepEqual(await tfjsStage.check!(withDefaults(tfjsStage, options), ctx), ['/model/backend: backend "tensorflow": @tensorflow/tfjs-node is not installed (run npm run native); use "wasm" or "cpu"']);
  await assert.rejects(async () => tfjsStage.create(withDefaults(tfjsStage, options), ctx), { message: TFJS_NODE_MISSING });
});

test('check: a missing model or weight file and features that do not fit are config errors naming their paths', async () => {
  const check = (uri: string, features: FeatureSpecMap) => tfjsStage.check!(withDefaults(tfjsStage, { uri }), testContext({ path: '/model', baseDir: dir, features }));
  assert.deepEqual(await check('missing.json', {}), [`/model/uri: model file ${path.join(dir, 'missing.json')} does not exist`]);
  fs.mkdirSync(path.join(dir, 'no-weights'));
  fs.copyFileSync(path.join(dir, 'seq/model.json'), path.join(dir, 'no-weights/model.json'));
  assert.deepEqual(await check('no-weights/model.json', { x: { dtype: 'float32', shape: [4] } }), [
    `/model/uri: weight file ${path.join(dir, 'no-weights/weights.bin')} (listed in ${path.join(dir, 'no-weights/model.json')}) does not exist`,
  ]);
  assert.deepEqual(await check(humanModel('emotion'), { pixels: { dtype: 'float32', shape: [784] } }), [
    '/decode/features/pixels: shape [784] does not fit model input "input_1:0" of shape [-1,64,64,1] (per instance [64,64,1])',
  ]);
  assert.deepEqual(await check('two/model.json', twoFeatures), []);
});

test('describe names the model by its URI, format, sha256 of its files and backend', async () => {
  const facts = (await tfjsStage.describe!(withDefaults(tfjsStage, { uri: 'two/model.json' }), testContext({ baseDir: dir }))) as any;
  // auto: tensorflow where `npm run native` ran, else wasm; the reason says which.
  const backend = resolveBackend('auto');
  assert.deepEqual({ ...facts, sha256: 'x', backendReason: 'x' }, { uri: 'two/model.json', format: 'layers-model', sha256: 'x', backend, backendReason: 'x' });
  assert.match(facts.backendReason, backend === 'tensorflow' ? /^auto: @tensorflow\/tfjs-node is installed with its addon$/ : /^auto: @tensorflow\/tfjs-node is not installed \(run npm run native\)$/);
  assert.match(facts.sha256, /^[0-9a-f]{64}$/);
});

test('validating (check) loads no tfjs module: the CLI coordinator stays light', () => {
  const stageUrl = new URL('../../stages/model/tfjs/index.js', import.meta.url).href;
  const helpers = new URL('../helpers/run-stage.js', import.meta.url).href;
  const script = `
    import stage from ${JSON.stringify(stageUrl)};
    import { testContext, withDefaults } from ${JSON.stringify(helpers)};
    import { createRequire } from 'node:module';
    const ctx = testContext({ path: '/model', features: { x: { dtype: 'float32', shape: [64, 64, 1] } } });
    const problems = await stage.check(withDefaults(stage, { uri: ${JSON.stringify(humanModel('emotion'))} }), ctx);
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('@tensorflow'));
    console.log(JSON.stringify({ problems, loaded }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: os.tmpdir(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { problems: [], loaded: [] });
});
