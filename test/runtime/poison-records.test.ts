/**
 * Poison records anywhere in the chain fail alone: in the model (bisection in `model/tfjs`) and
 * in a post stage — including custom post stages that map whole chunks or reject asynchronously,
 * which the engine isolates by itself (src/core/isolate.ts). A real pipeline runs in process:
 * jsonl source → json decode → field key → a real embedding model → custom post steps → jsonl.
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
import { mapAsync } from '../../src/core/stream.js';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { runInProcess } from '../helpers/pipeline.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-poison-'));
const outOfRange = (v: number) => `GatherV2: the index value ${v} is not in [0, 9]`;

/** A custom post step that maps whole chunks (not per record): it throws for a prediction of a `tag: "post-poison"` record. */
const fragile = defineStage<{}>()({
  kind: 'post',
  type: 'fragile',
  summary: 'test: doubles the prediction, throws on a poisoned record',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  accepts: 'Prediction',
  emits: 'Prediction',
  create: () => ({
    transform: (input) =>
      input.map((chunk: Chunk<Prediction>) =>
        chunk.map((p) => {
          if (isFailure(p)) return p;
          if (p.forward.tag === 'post-poison') throw new TypeError(`cannot double a poisoned prediction for ${p.key}`);
          return { ...p, prediction: (p.prediction as number[]).map((x) => x * 2) };
        }),
      ),
  }),
});

/** A custom post step doing async work per chunk; its promise rejects when the chunk holds a `tag: "async-poison"` record. */
const asyncFragile = defineStage<{}>()({
  kind: 'post',
  type: 'async-fragile',
  summary: 'test: passes predictions through after an await, rejects on a poisoned record',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  accepts: 'Prediction',
  emits: 'Prediction',
  create: () => ({
    transform: (input) =>
      input.through(
        mapAsync(async (chunk: Chunk<Prediction>) => {
          await new Promise((r) => setImmediate(r));
          const bad = chunk.find((p) => !isFailure(p) && p.forward.tag === 'async-poison');
          if (bad) throw new Error(`lookup service refused ${bad.key}`);
          return chunk;
        }),
      ),
  }),
});

let embeddingRows: number[][];

before(async () => {
  await initBackend('cpu');
  const emb = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: 10, outputDim: 3, inputShape: [1], embeddingsInitializer: tfl.initializers.randomUniform({ seed: 11 }), name: 'emb' }),
      tfl.layers.flatten({ name: 'flat' }),
    ],
  });
  await emb.save(storageSaveHandler(createStorage(), path.join(dir, 'emb')));
  const y = emb.predict(tf.tensor2d(Int32Array.from({ length: 10 }, (_, i) => i), [10, 1], 'int32')) as tf.Tensor;
  embeddingRows = y.arraySync() as number[][];
  y.dispose();
  emb.dispose();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** 256 records, one batch: ids 0..9 in turn; `special` maps a position to its id and tag. */
function writeInput(special: Record<number, { id?: number; tag?: string }>): void {
  const lines = Array.from({ length: 256 }, (_, i) => JSON.stringify({ key: `r${i}`, id: special[i]?.id ?? i % 10, tag: special[i]?.tag ?? 'ok' }));
  fs.writeFileSync(path.join(dir, 'in.jsonl'), lines.join('\n') + '\n');
}

const config = (post: object[]) => ({
  name: 'poison',
  source: { type: 'jsonl', uri: 'in.jsonl' },
  decode: { type: 'json', features: { id: { dtype: 'int32', shape: [1] } } },
  key: { type: 'field', field: 'key', forward: ['tag'] },
  model: { type: 'tfjs', uri: 'emb/model.json', batchSize: 256, backend: 'cpu' },
  post,
  sink: { type: 'jsonl', uri: 'out/predictions' },
  errors: { type: 'jsonl', uri: 'out/errors' },
  execution: { workers: 1 },
});

test('poison records in the model and in post steps (sync and async) each fail alone; the other 252 of the batch of 256 are predicted', async () => {
  writeInput({ 3: { id: 50 }, 137: { id: -1 }, 200: { tag: 'post-poison' }, 250: { tag: 'async-poison' } });
  const { results, rows } = await runInProcess(config([{ type: 'fragile' }, { type: 'async-fragile' }, { type: 'round', digits: 6 }]), dir, [fragile, asyncFragile]);
  assert.equal(results.length, 1);
  assert.deepEqual(results[0]!.counts, { read: 256, written: 252, failed: 4, failedByStage: { model: 2, post: 2 }, failedByCode: { 'model-error': 2, error: 2 } });
  assert.deepEqual(
    rows.errors!.map((e) => [e.key, e.index, e.stage, e.error]),
    [
      ['r3', 3, 'model', outOfRange(50)],
      ['r137', 137, 'model', outOfRange(-1)],
      ['r200', 200, 'post', '/post/0 (post/fragile): cannot double a poisoned prediction for r200'],
      ['r250', 250, 'post', '/post/1 (post/async-fragile): lookup service refused r250'],
    ],
  );
  const poisoned = new Set([3, 137, 200, 250]);
  const expected = Array.from({ length: 256 }, (_, i) => i).filter((i) => !poisoned.has(i));
  assert.deepEqual(rows.predictions!.map((r) => r.key), expected.map((i) => `r${i}`), 'every other record once, in order');
  rows.predictions!.forEach((r, j) => {
    const want = embeddingRows[expected[j]! % 10]!.map((x) => Math.round(x * 2 * 1e6) / 1e6);
    assert.deepEqual(r.prediction, want, r.key);
  });
});

test('a clean batch through the same custom post steps: nothing fails', async () => {
  writeInput({});
  const { results } = await runInProcess(config([{ type: 'fragile' }, { type: 'async-fragile' }]), dir, [fragile, asyncFragile]);
  assert.deepEqual(results[0]!.counts, { read: 256, written: 256, failed: 0, failedByStage: {}, failedByCode: {} });
});
