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

test('threadLayout: ONE TensorFlow runtime per process, on every core, whatever the setting (and says why); wasm one thread per core', () => {
  const note = (setting: string, n: number) => `${setting} ${n} runs as 1: the tensorflow backend runs one TensorFlow runtime per process, on every core (docs/native.md)`;
  assert.deepEqual(threadLayout('tensorflow', 2), { workers: 1, intraOpThreads: 2, interOpThreads: 1, note: null });
  assert.deepEqual(threadLayout('tensorflow', 8), { workers: 1, intraOpThreads: 8, interOpThreads: 1, note: null });
  assert.deepEqual(threadLayout('tensorflow', 8, 1), { workers: 1, intraOpThreads: 8, interOpThreads: 1, note: null });
  assert.deepEqual(threadLayout('tensorflow', 8, 2), { workers: 1, intraOpThreads: 8, interOpThreads: 1, note: note('execution.workers', 2) });
  assert.deepEqual(threadLayout('tensorflow', 2, 4, 'serve.workers'), { workers: 1, intraOpThreads: 2, interOpThreads: 1, note: note('serve.workers', 4) });
  assert.deepEqual(threadLayout('wasm', 2), { workers: 2, intraOpThreads: null, interOpThreads: null, note: null });
  assert.deepEqual(threadLayout('cpu', 4, 3), { workers: 3, intraOpThreads: null, interOpThreads: null, note: null });
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

test('a run on auto uses tensorflow with one worker and keeps TensorFlow\'s C++ log lines (CPU feature banner) off stderr', { skip: needsNative() }, () => {
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
    assert.equal(summary.workers, 1);
    assert.equal(summary.stageFacts['/model'].backend, 'tensorflow');
    assert.equal(summary.model.backendReason, 'auto: @tensorflow/tfjs-node is installed with its addon');
    assert.doesNotMatch(r.stderr, /cpu_feature_guard|This TensorFlow binary is optimized/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('execution.workers 2 on tensorflow runs one worker, and the summary says why in one line', { skip: needsNative() }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-native-'));
  try {
    fs.cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}out`) });
    const sets = ['--set', 'model.backend=tensorflow', '--set', 'execution.workers=2', '--set', 'execution.partitionBytes=2000'];
    const r = sluice(['run', path.join(dir, 'pipeline.json'), ...sets]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /\n {2}partitions (\d+) of \1, 1 worker \(execution\.workers 2 runs as 1: the tensorflow backend runs one TensorFlow runtime per process, on every core \(docs\/native\.md\)\)\n/);
    const success = JSON.parse(fs.readFileSync(path.join(dir, 'out/predictions/_SUCCESS'), 'utf8'));
    assert.equal(success.workers, 1);
    assert.match(success.workersNote, /^execution\.workers 2 runs as 1: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('serve.workers on tensorflow is at most 1 (0 stays the server\'s own thread), with the reason; wasm keeps the setting', () => {
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
  assert.deepEqual(settings('tensorflow'), [0, undefined]);
  assert.deepEqual(settings('tensorflow', 1), [1, undefined]);
  assert.deepEqual(settings('tensorflow', 3), [1, 'serve.workers 3 runs as 1: the tensorflow backend runs one TensorFlow runtime per process, on every core (docs/native.md)']);
  assert.deepEqual(settings('wasm', 3), [3, undefined]);
});
