/**
 * The tensor-leak guard: a stage that leaves TensorFlow.js tensors behind chunk after chunk is
 * named in one warning (per thread; the coordinator prints each once per run). A stage that keeps
 * one tensor for good (a lookup table) is not a leak. Custom post stages defined here use real
 * tfjs tensors, in a real pipeline run in process (4 input files = 4 partitions).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { defineStage, type Chunk } from '../../src/core/stage.js';
import type { Prediction } from '../../src/core/types.js';
import { isFailure } from '../../src/core/failure.js';
import { LeakGuard } from '../../src/core/tensors.js';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { runInProcess } from '../helpers/pipeline.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-leak-'));

/** Sums each prediction with tfjs and keeps the tensor it made: one leaked tensor per chunk. */
const leaky = defineStage<{}>()({
  kind: 'post',
  type: 'leaky',
  summary: 'test: sums the prediction with tfjs, keeping a tensor per chunk',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  accepts: 'Prediction',
  emits: 'Prediction',
  create() {
    const kept: tf.Tensor[] = [];
    return {
      transform: (input) =>
        input.map((chunk: Chunk<Prediction>) => {
          const rows = chunk.filter((p): p is Prediction => !isFailure(p)).map((p) => p.prediction as number[]);
          const sums = tf.tidy(() => tf.sum(tf.tensor2d(rows), 1));
          kept.push(sums); // the bug: never disposed
          const values = sums.dataSync();
          let j = 0;
          return chunk.map((p) => (isFailure(p) ? p : { ...p, prediction: values[j++]! }));
        }),
      close: () => kept.forEach((t) => t.dispose()),
    };
  },
});

/** Keeps one tensor (a weight vector made on first use) for good, and disposes everything else. */
const cached = defineStage<{}>()({
  kind: 'post',
  type: 'cached',
  summary: 'test: a weighted sum with a weight tensor made once',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  accepts: 'Prediction',
  emits: 'Prediction',
  create() {
    let weights: tf.Tensor | undefined;
    return {
      transform: (input) =>
        input.map((chunk: Chunk<Prediction>) => {
          weights ??= tf.tensor1d([1, 1]);
          const rows = chunk.filter((p): p is Prediction => !isFailure(p)).map((p) => p.prediction as number[]);
          const values = tf.tidy(() => tf.sum(tf.mul(tf.tensor2d(rows), weights!), 1).dataSync());
          let j = 0;
          return chunk.map((p) => (isFailure(p) ? p : { ...p, prediction: values[j++]! }));
        }),
      close: () => weights?.dispose(),
    };
  },
});

before(async () => {
  await initBackend('cpu');
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [2], kernelInitializer: 'ones', name: 'd' })] });
  await model.save(storageSaveHandler(createStorage(), path.join(dir, 'model')));
  model.dispose();
  for (let f = 0; f < 4; f++) {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ key: `f${f}-${i}`, x: [i, f] }));
    fs.writeFileSync(path.join(dir, `in-${f}.jsonl`), lines.join('\n') + '\n');
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = (post: object[]) => ({
  name: 'leak',
  source: { type: 'jsonl', uri: 'in-*.jsonl' },
  decode: { type: 'json', features: { x: { dtype: 'float32', shape: [2] } } },
  key: { type: 'field', field: 'key' },
  model: { type: 'tfjs', uri: 'model/model.json', batchSize: 64, backend: 'cpu' },
  post,
  sink: { type: 'jsonl', uri: 'out/predictions' },
  errors: { type: 'jsonl', uri: 'out/errors' },
  execution: { workers: 1 },
});

test('a post stage that keeps a tensor per chunk is named in one warning, after its third leaky chunk', async () => {
  const { results, rows } = await runInProcess(config([{ type: 'round', digits: 3 }, { type: 'leaky' }]), dir, [leaky]);
  assert.equal(results.length, 4);
  assert.equal(rows.predictions!.length, 200, 'the leak does not change the predictions');
  assert.deepEqual(rows.predictions![1].prediction, 2, 'x = [1, 0] through a dense layer of ones: [1, 1], summed');
  assert.deepEqual(results.map((r) => Object.keys(r.warnings ?? {})), [[], [], ['/post/1 tensor-leak'], []], 'once, when the third chunk leaked');
  const warning = results[2]!.warnings!['/post/1 tensor-leak']!;
  assert.match(
    warning,
    /^the stage \/post\/1 \(post\/leaky\) leaves TensorFlow\.js tensors behind: 3 in 3 of 3 chunks so far \(live tensors (\d+) → (\d+)\); it must dispose every tensor it makes \(tf\.tidy, tensor\.dispose\(\)\), or this worker's memory grows until it fails$/,
  );
  const [, from, to] = /live tensors (\d+) → (\d+)/.exec(warning)!;
  assert.equal(Number(to) - Number(from), 3);
  // The model's own count between partitions shows the growth too.
  const live = results.map((r) => r.facts!['/model']!.liveTensors as number);
  assert.deepEqual(live.map((n) => n - live[0]!), [0, 1, 2, 3]);
});

test('a post stage that keeps one tensor for good, and the built-in stages, leak nothing', async () => {
  const { results } = await runInProcess(config([{ type: 'cached' }, { type: 'round', digits: 3 }]), dir, [cached]);
  assert.deepEqual(results.map((r) => r.warnings), [{}, {}, {}, {}]);
  const live = results.map((r) => r.facts!['/model']!.liveTensors as number);
  assert.deepEqual(live.map((n) => n - live[0]!), [0, 0, 0, 0], 'constant between partitions');
});

test('LeakGuard: growth in fewer than three units, or none, gives no warning; the warning comes once', () => {
  const guard = new LeakGuard('/post/0 (post/x)');
  guard.observe(10, 11); // a one-off cache
  guard.observe(11, 11);
  guard.observe(11, 11);
  assert.equal(guard.warning(), undefined);
  guard.observe(11, 13);
  guard.observe(13, 14);
  assert.match(guard.warning() ?? '', /^the stage \/post\/0 \(post\/x\) leaves TensorFlow\.js tensors behind: 4 in 3 of 5 chunks so far \(live tensors 10 → 14\)/);
  guard.observe(14, 20);
  assert.equal(guard.warning(), undefined, 'once');
  assert.equal(guard.leakedTensors, 10);
  const unmetered = new LeakGuard('/post/0 (post/x)');
  for (let i = 0; i < 5; i++) unmetered.observe(undefined, undefined);
  assert.equal(unmetered.warning(), undefined);
});
