// The native backend's choices: `auto`, the thread model's layout, TensorFlow's log lines kept out
// of the user's terminal. The run test needs `npm run native` (skips with a reason otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, sluice } from '../helpers/cli.js';
import { needsNative } from '../helpers/native.js';
import { threadLayout } from '../../src/model/threads.js';
import { backendReason, resolveBackend } from '../../src/model/backend.js';
import { nativeProblem } from '../../src/model/native.js';

test('threadLayout: one TensorFlow runtime per process with the cores; wasm one thread per core; set workers share the cores', () => {
  assert.deepEqual(threadLayout('tensorflow', 2), { workers: 1, intraOpThreads: 2, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 8), { workers: 1, intraOpThreads: 8, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 8, 2), { workers: 2, intraOpThreads: 4, interOpThreads: 1 });
  assert.deepEqual(threadLayout('tensorflow', 2, 4), { workers: 4, intraOpThreads: 1, interOpThreads: 1 });
  assert.deepEqual(threadLayout('wasm', 2), { workers: 2, intraOpThreads: null, interOpThreads: null });
  assert.deepEqual(threadLayout('cpu', 4, 3), { workers: 3, intraOpThreads: null, interOpThreads: null });
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
