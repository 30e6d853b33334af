/**
 * `model/tfjs` when a batch does not fit in memory: the batch size of the worker is halved and the
 * batch tried again (adaptive batch size), and a record too big on its own becomes a Failure.
 * The allocation failures are real: a custom layer asks the wasm backend for scratch tensors of
 * 10 MB per record (allocated, never written, so the test stays light on RAM), and the wasm heap
 * cannot grow past 4 GB. A batch of 256 needs 2 × 2.56 GB; 128 needs 2 × 1.28 GB.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import h from 'highland';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import tfjsStage from '../../stages/model/tfjs/index.js';
import type { Chunk, FeatureSpecMap } from '../../src/core/stage.js';
import type { KeyedInstance } from '../../src/core/types.js';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { outOfMemory, WasmOutOfMemoryError } from '../../src/model/memory.js';
import { createStorage } from '../../src/storage/index.js';
import { testContext, testPartition, wholeFile, withDefaults } from '../helpers/run-stage.js';
import { keyed } from '../model/helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-model-oom-'));
const features: FeatureSpecMap = { x: { dtype: 'float32', shape: [1] } };
/** float32 elements of scratch per record and per scratch tensor: 10 MB. */
const PER_RECORD = 2_500_000;
/** A record with this value asks for 4.8 GB on its own: more than a wasm heap can ever hold. */
const TOO_BIG = 99;

/** A layer that needs two scratch tensors of 10 MB per record (the working memory of a big model), then doubles x. */
class ScratchLayer extends tfl.layers.Layer {
  static readonly className = 'SluiceTestScratch';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const elements = (x.dataSync() as Float32Array).includes(TOO_BIG) ? 1.2e9 : x.shape[0]! * PER_RECORD;
      // Both stay alive until the end of the tidy, as a layer's intermediate activations do.
      tf.engine().runKernel('SluiceTestScratch', {}, { elements });
      tf.engine().runKernel('SluiceTestScratch', {}, { elements });
      return tf.mul(x, 2);
    });
  }
  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]) {
    return shape;
  }
}

before(async () => {
  await initBackend('wasm');
  // A real allocation in the wasm heap (malloc, as for any kernel's output), left unwritten.
  tf.registerKernel({ kernelName: 'SluiceTestScratch', backendName: 'wasm', kernelFunc: ({ backend, attrs }) => (backend as any).makeOutput([(attrs as any).elements], 'float32') });
  tf.serialization.registerClass(ScratchLayer);
  const model = tfl.sequential({ layers: [new ScratchLayer({ inputShape: [1], name: 'scratch' })] });
  await model.save(storageSaveHandler(createStorage(), path.join(dir, 'scratch')));
  model.dispose();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the scratch model on `records` (batch size 256) and returns the output and what the stage reports. */
async function runScratch(records: KeyedInstance[]) {
  const instance = await tfjsStage.create(withDefaults(tfjsStage, { uri: 'scratch/model.json', batchSize: 256, backend: 'wasm' }), testContext({ features, baseDir: dir, path: '/model' }));
  const loaded = tf.memory().numTensors;
  const chunks = [records.slice(0, 100), records.slice(100)] as Chunk<KeyedInstance>[];
  const out = (await instance.transform(h(chunks), testPartition(wholeFile('in.jsonl'))).collect().toPromise(Promise)).flat() as any[];
  const report = instance.report!();
  const tensorsAfter = tf.memory().numTensors;
  await instance.close?.();
  return { out, report, leaked: tensorsAfter - loaded };
}

const records = (poison: number[] = []) => Array.from({ length: 256 }, (_, i) => keyed(i, { x: Float32Array.of(poison.includes(i) ? TOO_BIG : i % 10) }));

test('a batch of 256 that does not fit halves the batch size to 128, and every record is predicted', async () => {
  const { out, report, leaked } = await runScratch(records());
  assert.equal(out.length, 256);
  assert.deepEqual(out.filter((r) => r.failed), []);
  assert.deepEqual(out.map((r) => r.prediction), records().map((r) => [(r.features.x as Float32Array)[0]! * 2]));
  assert.deepEqual(out.map((r) => r.key), records().map((r) => r.key), 'in input order');
  assert.equal(report.facts!.batchSize, 128, 'the worker keeps the smaller batch size');
  assert.equal(report.facts!.outOfMemory, 1);
  assert.equal(leaked, 0, 'the failed allocation left no tensor behind');
  assert.equal(report.warnings, undefined, 'no tensor-leak warning');
});

test('a record too big on its own fails alone (code out-of-memory); the others are predicted', async () => {
  const { out, report, leaked } = await runScratch(records([100]));
  assert.equal(out.length, 256);
  const failures = out.filter((r) => r.failed);
  assert.deepEqual(failures.map((f) => [f.key, f.stage, f.code]), [['k100', 'model', 'out-of-memory']]);
  assert.match(failures[0].error, /^out of memory on this record alone: wasm out of memory: cannot allocate 4\.80 GB \(heap [\d.]+ [GM]B of at most 4\.29 GB\)$/);
  assert.equal(out.filter((r) => !r.failed).length, 255);
  assert.ok(report.facts!.batchSize as number > 1, `the batch size went back up after the lone record (${report.facts!.batchSize})`);
  assert.equal(leaked, 0);
});

test('out-of-memory errors are told apart from other model errors, and from a dead wasm module', () => {
  assert.deepEqual(outOfMemory(new WasmOutOfMemoryError(5e9, 4e9)), { fatal: false });
  assert.deepEqual(outOfMemory(new RangeError('Array buffer allocation failed')), { fatal: false });
  assert.deepEqual(outOfMemory(new RangeError('Invalid typed array length: 5033164800')), { fatal: false });
  assert.deepEqual(outOfMemory(new RangeError('WebAssembly.Memory(): could not allocate memory')), { fatal: false });
  assert.deepEqual(outOfMemory(new Error('OOM when allocating tensor with shape[4096,262144]')), { fatal: false });
  assert.deepEqual(outOfMemory(new Error('Aborted(). Build with -sASSERTIONS for more info.')), { fatal: true });
  assert.deepEqual(outOfMemory(new Error('Aborted(OOM)')), { fatal: true });
  assert.equal(outOfMemory(new Error('GatherV2: the index value 50 is not in [0, 9]')), null);
  assert.equal(outOfMemory(new RangeError('memory access out of bounds')), null);
});
