// The native backend's choices: `auto`, the thread model's layout, TensorFlow's log lines kept out
// of the user's terminal. The run test needs `npm run native` (skips with a reason otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, sluice } from '../helpers/cli.js';
import { needsNative } from '../helpers/native.js';
import { modelBackend, ONE_WORKER_HOST_NOTE, threadLayout } from '../../src/model/threads.js';
import { backendReason, resolveBackend } from '../../src/model/backend.js';
import { nativeProblem } from '../../src/model/native.js';
import { buildGraph } from '../../src/graph/build.js';
import { createRegistry } from '../../src/graph/registry.js';
import { createStorage } from '../../src/storage/index.js';
import { serveSettings } from '../../src/serve/settings.js';
import { builtinStages } from '../../stages/index.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';

test('threadLayout: one worker thread per core on wasm and cpu (one worker: the model in a host thread beside it); on tensorflow one fewer (at least 1) around one host thread sized to the cores', () => {
  const note = (cores: number) => `the model runs in one host thread: the process's one TensorFlow runtime, ${cores} intra-op thread${cores === 1 ? '' : 's'} (docs/native.md)`;
  assert.deepEqual(threadLayout('tensorflow', 2), { workers: 1, host: true, intraOpThreads: 2, interOpThreads: 1, note: note(2) });
  assert.deepEqual(threadLayout('tensorflow', 8), { workers: 7, host: true, intraOpThreads: 8, interOpThreads: 1, note: note(8) });
  assert.deepEqual(threadLayout('tensorflow', 2, 2), { workers: 2, host: true, intraOpThreads: 2, interOpThreads: 1, note: note(2) });
  assert.deepEqual(threadLayout('tensorflow', 8, 1), { workers: 1, host: true, intraOpThreads: 8, interOpThreads: 1, note: note(8) });
  assert.deepEqual(threadLayout('tensorflow', 1), { workers: 1, host: true, intraOpThreads: 1, interOpThreads: 1, note: note(1) });
  // No worker thread (serve.workers 0): the model runs in the main thread, no host.
  assert.deepEqual(threadLayout('tensorflow', 2, 0), { workers: 0, host: false, intraOpThreads: 2, interOpThreads: 1, note: null });
  assert.deepEqual(threadLayout('wasm', 2), { workers: 2, host: false, intraOpThreads: null, interOpThreads: null, note: null });
  assert.deepEqual(threadLayout('cpu', 4, 3), { workers: 3, host: false, intraOpThreads: null, interOpThreads: null, note: null });
  // One worker on more cores than one: the model runs on another core while the worker decodes.
  assert.deepEqual(threadLayout('wasm', 2, 1), { workers: 1, host: true, intraOpThreads: null, interOpThreads: null, note: ONE_WORKER_HOST_NOTE });
  assert.deepEqual(threadLayout('cpu', 8, 1), { workers: 1, host: true, intraOpThreads: null, interOpThreads: null, note: ONE_WORKER_HOST_NOTE });
  // One core: nothing to overlap with.
  assert.deepEqual(threadLayout('wasm', 1), { workers: 1, host: false, intraOpThreads: null, interOpThreads: null, note: null });
  assert.deepEqual(threadLayout('wasm', 1, 1), { workers: 1, host: false, intraOpThreads: null, interOpThreads: null, note: null });
});

test('modelBackend: auto resolved for tfjs; a user-module model stage counts as wasm', () => {
  assert.equal(modelBackend({ model: { type: 'tfjs', backend: 'cpu' } }), 'cpu');
  assert.equal(modelBackend({ model: { type: 'tfjs' } }), resolveBackend('auto'));
  assert.equal(modelBackend({ model: { type: './my-model.js', backend: 'tensorflow' } }), 'wasm');
});

test('auto is tensorflow exactly where tfjs-node is built, and says why', () => {
  const problem = nativeProblem();
  assert.equal(resolveBackend('auto'), problem ? 'wasm' : 'tensorflow');
  assert.equal(backendReason('auto'), problem ? `auto: ${problem}` : 'auto: @tensorflow/tfjs-node is installed with its addon');
  assert.equal(resolveBackend('wasm'), 'wasm');
  assert.equal(backendReason('cpu'), 'configured');
});

test('a run on auto uses tensorflow, one worker fewer than the cores (at least 1), and keeps TensorFlow\'s C++ log lines (CPU feature banner) off stderr', { skip: needsNative() }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-native-'));
  try {
    // The quickstart without its `execution.workers`: the worker count comes from the thread model.
    fs.cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}out`) });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
    delete config.$schema;
    delete config.execution;
    config.model.backend = 'auto';
    fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
    const env = { ...process.env };
    delete env.TF_CPP_MIN_LOG_LEVEL;
    const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json'], { env });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.workers, Math.max(1, os.availableParallelism() - 1));
    assert.equal(summary.stageFacts['/model'].backend, 'tensorflow');
    assert.equal(summary.model.backendReason, 'auto: @tensorflow/tfjs-node is installed with its addon');
    assert.doesNotMatch(r.stderr, /cpu_feature_guard|This TensorFlow binary is optimized/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('execution.workers 2 on tensorflow runs 2 workers around one model host: the same rows as wasm, and the summary says where the model ran', { skip: needsNative() }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-native-'));
  try {
    fs.cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}out`) });
    const rows = (backend: string) => {
      const sets = ['--set', `model.backend=${backend}`, '--set', 'execution.workers=2', '--set', 'execution.partitionBytes=2000'];
      const r = sluice(['run', path.join(dir, 'pipeline.json'), ...sets, '--overwrite']);
      assert.equal(r.status, 0, r.stderr);
      const out = path.join(dir, 'out/predictions');
      const lines = fs.readdirSync(out).filter((f) => f.endsWith('.jsonl')).flatMap((f) => fs.readFileSync(path.join(out, f), 'utf8').trim().split('\n'));
      return { r, success: JSON.parse(fs.readFileSync(path.join(out, '_SUCCESS'), 'utf8')), rows: new Map(lines.map((l) => [JSON.parse(l).key, JSON.parse(l)])) };
    };
    const tf = rows('tensorflow');
    const cores = os.availableParallelism();
    const note = `the model runs in one host thread: the process's one TensorFlow runtime, ${cores} intra-op thread${cores === 1 ? '' : 's'} (docs/native.md)`;
    assert.ok(tf.r.stderr.includes(`, 2 workers (${note})\n`), tf.r.stderr);
    assert.equal(tf.success.workers, 2);
    assert.equal(tf.success.workersNote, note);
    assert.ok(tf.success.partitions.total > 2, 'several partitions, so both workers send batches to the host');
    const wasm = rows('wasm');
    assert.equal(tf.rows.size, wasm.rows.size);
    for (const [key, row] of wasm.rows) {
      const other = tf.rows.get(key);
      assert.equal(other?.prediction.class, row.prediction.class, key);
      assert.ok(Math.abs(other.prediction.score - row.prediction.score) <= 1.5e-4, key);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model with more than 1 MiB of weights reaches the host whole (its files cross in shared memory): 2 workers on tensorflow predict what tfjs computes here', { skip: needsNative() }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-native-big-'));
  try {
    await initBackend('cpu');
    // 64×4096 + 4096 + 4096×3 + 3 floats: 1.06 MiB of weights, in one weights file.
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [64], units: 4096, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: tfl.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 2 }) }),
        tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    await model.save(storageSaveHandler(createStorage(), path.join(dir, 'model')));
    const weightBytes = fs.readdirSync(path.join(dir, 'model')).filter((f) => f.endsWith('.bin')).map((f) => fs.statSync(path.join(dir, 'model', f)).size);
    assert.ok(Math.max(...weightBytes) >= 1 << 20, `one weights file of 1 MiB or more: ${weightBytes}`);
    const xs = Array.from({ length: 300 }, (_, i) => Array.from({ length: 64 }, (_, k) => Math.fround(Math.sin(i * 64 + k))));
    fs.writeFileSync(path.join(dir, 'data.jsonl'), xs.map((x, i) => JSON.stringify({ id: i, x })).join('\n') + '\n');
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync() as number[][]);
    model.dispose();
    fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify({
      name: 'big-weights',
      source: { type: 'jsonl', uri: 'data.jsonl' },
      decode: { type: 'json', features: { x: { dtype: 'float32', shape: [64] } } },
      key: { type: 'field', field: 'id' },
      model: { type: 'tfjs', uri: 'model/model.json', batchSize: 32, backend: 'tensorflow' },
      sink: { type: 'jsonl', uri: 'out/predictions' },
      errors: { type: 'jsonl', uri: 'out/errors' },
      execution: { workers: 2, partitionBytes: 60_000 },
    }));
    const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = path.join(dir, 'out/predictions');
    const rows = fs.readdirSync(out).filter((f) => f.endsWith('.jsonl')).flatMap((f) => fs.readFileSync(path.join(out, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l));
    assert.equal(rows.length, 300);
    for (const row of rows) {
      const want = expected[row.key]!;
      row.prediction.forEach((v: number, k: number) => assert.ok(Math.abs(v - want[k]!) <= 1e-4 * Math.max(1, Math.abs(want[k]!)), `key ${row.key} output ${k}: ${v} vs ${want[k]}`));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('serve.workers on tensorflow is kept (0 stays the server\'s own thread, no host), with where the model runs; wasm keeps the setting', () => {
  const settings = (backend: string, workers?: number) => {
    const config = {
      source: { type: 'jsonl', uri: 'data/flowers.jsonl' },
      decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
      model: { type: 'tfjs', uri: 'model/model.json', backend },
      sink: { type: 'jsonl', uri: 'out/predictions' },
      ...(workers === undefined ? {} : { serve: { workers } }),
    };
    const baseDir = path.join(ROOT, 'examples/quickstart');
    const graph = buildGraph({ file: path.join(baseDir, 'pipeline.json'), baseDir, config: config as any }, createRegistry(builtinStages), createStorage());
    const s = serveSettings(graph, 32);
    return [s.workers, s.workersNote];
  };
  const cores = os.availableParallelism();
  const note = `the model runs in one host thread: the process's one TensorFlow runtime, ${cores} intra-op thread${cores === 1 ? '' : 's'} (docs/native.md)`;
  assert.deepEqual(settings('tensorflow'), [0, undefined]);
  assert.deepEqual(settings('tensorflow', 1), [1, note]);
  assert.deepEqual(settings('tensorflow', 3), [3, note]);
  assert.deepEqual(settings('wasm', 3), [3, undefined]);
  // One worker on wasm: its model runs in the host thread beside it (threads.ts), where there is a core to spare.
  assert.deepEqual(settings('wasm', 1), [1, cores > 1 ? ONE_WORKER_HOST_NOTE : undefined]);
});
