/**
 * One worker on wasm or cpu, on a machine of more than one core: the model runs in the model
 * host thread beside the worker (model/threads.ts), so the worker decodes and writes while the
 * model runs on another core. The rows are the rows of a run whose workers each run the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { modelHostFor } from '../../src/model/host.js';
import { layoutFor, ONE_WORKER_HOST_NOTE } from '../../src/model/threads.js';
import { ROOT, readParts, sluice, byKey } from '../helpers/cli.js';

const oneCore = os.availableParallelism() < 2 ? 'one core: nothing to overlap the model with, so no host thread' : false;
const quickstart = path.join(ROOT, 'examples/quickstart/pipeline.json');

test('the model host is started for one worker on wasm and cpu, not for two, nor for a model stage of a user module', { skip: oneCore }, async () => {
  for (const backend of ['wasm', 'cpu']) {
    const loaded = loadConfig(quickstart, [`model.backend=${backend}`]);
    const host = modelHostFor(loaded, 1);
    assert.ok(host, `${backend}, 1 worker: a host`);
    await host.close();
    assert.equal(modelHostFor(loaded, 2), null, `${backend}, 2 workers: each runs its model`);
  }
  const userModel = loadConfig(quickstart, ['model.type=./my-model.js']);
  assert.equal(modelHostFor(userModel, 1), null);
  // Nor does the summary say the model runs in its own thread.
  assert.deepEqual(layoutFor(userModel.config as any, 1), { workers: 1, host: false, intraOpThreads: null, interOpThreads: null, note: null });
});

test('one worker on wasm: the model runs in its own thread, the summary says so, and every row equals a 2-worker run\'s', { skip: oneCore }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-one-worker-'));
  try {
    fs.cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}out`) });
    const run = (workers: number) => {
      const sets = ['--set', 'model.backend=wasm', '--set', `execution.workers=${workers}`, '--set', 'execution.partitionBytes=2000'];
      const r = sluice(['run', path.join(dir, 'pipeline.json'), ...sets, '--overwrite']);
      assert.equal(r.status, 0, r.stderr);
      const out = path.join(dir, 'out');
      return { r, success: JSON.parse(fs.readFileSync(path.join(out, 'predictions/_SUCCESS'), 'utf8')), rows: byKey(readParts(path.join(out, 'predictions'))), errors: byKey(readParts(path.join(out, 'errors'))) };
    };
    const one = run(1);
    assert.ok(one.r.stderr.includes(`, 1 worker (${ONE_WORKER_HOST_NOTE})\n`), one.r.stderr);
    assert.equal(one.success.workersNote, ONE_WORKER_HOST_NOTE);
    assert.ok(one.success.partitions.total > 2, 'several partitions, each sending its batches to the host');
    const two = run(2);
    assert.equal(two.success.workersNote, undefined);
    assert.equal(one.rows.length, 150);
    assert.deepEqual(one.rows, two.rows);
    assert.deepEqual(one.errors, two.errors);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
