// The native backend's choices: `auto`, the thread model's layout, TensorFlow's log lines kept out
// of the user's terminal. The run test needs `npm run native` (skips with a reason otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, sluice } from '../helpers/cli.js';
import { needsNative } from '../helpers/native.js';
import { modelBackend, threadLayout } from '../../src/model/threads.js';
import { backendReason, resolveBackend } from '../../src/model/backend.js';
import { nativeProblem } from '../../src/model/native.js';
import { buildGraph } from '../../src/graph/build.js';
import { createRegistry } from '../../src/graph/registry.js';
import { createStorage } from '../../src/storage/index.js';
import { serveSettings } from '../../src/serve/settings.js';
import { builtinStages } from '../../stages/index.js';

test('threadLayout: one worker thread per core by default on every backend; on tensorflow each runtime gets its share of the cores', () => {
  assert.deepEqual(threadLayout('tensorflow', 2), { workers: 2, intraOpThreads: 1, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 8), { workers: 8, intraOpThreads: 1, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 8, 1), { workers: 1, intraOpThreads: 8, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 8, 3), { workers: 3, intraOpThreads: 2, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 2, 4), { workers: 4, intraOpThreads: 1, interOpThreads: 1 });
  // serve.workers 0 / threads 0: one runtime, in the calling thread, on every core.
  assert.deepEqual(threadLayout('tensorflow', 4, 0), { workers: 0, intraOpThreads: 4, interOpThreads: 1 });
  assert.deepEqual(threadLayout('wasm', 2), { workers: 2, intraOpThreads: null, interOpThreads: null });
  assert.deepEqual(threadLayout('cpu', 4, 3), { workers: 3, intraOpThreads: null, interOpThreads: null });
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

test('a run on auto uses tensorflow with a worker per core and keeps TensorFlow\'s C++ log lines (CPU feature banner) off stderr', { skip: needsNative() }, () => {
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
    assert.equal(summary.workers, os.availableParallelism());
    assert.equal(summary.stageFacts['/model'].backend, 'tensorflow');
    assert.equal(summary.model.backendReason, 'auto: @tensorflow/tfjs-node is installed with its addon');
    assert.doesNotMatch(r.stderr, /cpu_feature_guard|This TensorFlow binary is optimized/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('execution.workers 2 on tensorflow: two worker threads, each TensorFlow runtime sized to its share of the cores, every record once', { skip: needsNative() }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-native-'));
  try {
    fs.cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}out`) });
    // A preload runs in every thread of the run: each records the pool size TensorFlow will read.
    const seen = path.join(dir, 'seen');
    fs.writeFileSync(path.join(dir, 'record-env.mjs'), `import fs from 'node:fs'; import { threadId } from 'node:worker_threads';
fs.appendFileSync(${JSON.stringify(seen)}, threadId + ' ' + process.env.TF_NUM_INTRAOP_THREADS + ' ' + process.env.TF_NUM_INTEROP_THREADS + '\\n');`);
    const env = { ...process.env };
    delete env.TF_NUM_INTRAOP_THREADS;
    delete env.TF_NUM_INTEROP_THREADS;
    const sets = ['--set', 'model.backend=tensorflow', '--set', 'execution.workers=2', '--set', 'execution.partitionBytes=2000', '--set', 'execution.preload=["./record-env.mjs"]'];
    const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json', ...sets], { env });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.workers, 2);
    assert.ok(summary.partitions.total >= 4, `${summary.partitions.total} partitions`);
    assert.deepEqual([summary.counts.read, summary.counts.written, summary.counts.failed], [154, 150, 4]);
    assert.equal(summary.workersNote, undefined);
    const share = String(Math.max(1, Math.floor(os.availableParallelism() / 2)));
    const lines = fs.readFileSync(seen, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.equal(new Set(lines.map((l) => l[0])).size, 3, 'the coordinator and two worker threads');
    for (const [, intra, inter] of lines) assert.deepEqual([intra, inter], [share, '1']);
    // Every record once, and the same predictions as one wasm worker (scores rounded to 4 places: within 1e-4).
    const rows = (sub: string) => fs.readdirSync(path.join(dir, sub)).filter((f) => f.startsWith('part-')).flatMap((f) => fs.readFileSync(path.join(dir, sub, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    const tfRows = rows('out/predictions');
    const w = sluice(['run', path.join(dir, 'pipeline.json'), '--overwrite', '--set', 'model.backend=wasm', '--set', 'execution.workers=1', '--set', 'sink.uri=out2/predictions', '--set', 'errors.uri=out2/errors']);
    assert.equal(w.status, 0, w.stderr);
    const byKey = new Map(rows('out2/predictions').map((x) => [x.key, x]));
    assert.equal(tfRows.length, 150);
    assert.equal(new Set(tfRows.map((x) => x.key)).size, 150);
    for (const row of tfRows) {
      const ref = byKey.get(row.key);
      assert.ok(ref, row.key);
      assert.equal(row.prediction.class, ref.prediction.class, row.key);
      assert.ok(Math.abs(row.prediction.score - ref.prediction.score) <= 1e-4, `${row.key}: ${row.prediction.score} vs ${ref.prediction.score}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('serve.workers is taken as set on every backend (0 stays the server\'s own thread)', () => {
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
    return s.workers;
  };
  assert.equal(settings('tensorflow'), 0);
  assert.equal(settings('tensorflow', 1), 1);
  assert.equal(settings('tensorflow', 3), 3);
  assert.equal(settings('wasm', 3), 3);
});
