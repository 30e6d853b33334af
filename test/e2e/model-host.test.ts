/**
 * The model host (docs/native.md, "Thread model") when it dies: a custom layer ends the host
 * thread on one input value (test/helpers/exit-layer.cts). The run fails its partitions, not
 * their records (exit 1, saying why), keeps what was committed, and a rerun (the layer disarmed)
 * resumes and completes with every key once. Needs `npm run native`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfl from '@tensorflow/tfjs-layers';
import ExitOn from '../helpers/exit-layer.cjs';
import { needsNative } from '../helpers/native.js';
import { runSluice } from '../helpers/faults.js';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';

const POISON = 777;
const EXIT_LAYER = fileURLToPath(new URL('../helpers/exit-layer.cjs', import.meta.url));
const withLayer = { NODE_OPTIONS: `--require ${EXIT_LAYER}`, EXIT_LAYER_ARMED: '0' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-model-host-'));

before(async () => {
  await initBackend('cpu');
  const model = tfl.sequential({
    layers: [new ExitOn({ value: POISON, inputShape: [4], name: 'exit' }), tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.ones(), name: 'out' })],
  });
  await model.save(storageSaveHandler(createStorage(), path.join(dir, 'model')));
  model.dispose();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const rowsOf = (d: string) =>
  fs.existsSync(d)
    ? fs.readdirSync(d).filter((n) => n.startsWith('part-')).flatMap((n) => fs.readFileSync(path.join(d, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)))
    : [];

test('the model host thread dying fails partitions, not records (exit 1, says why); the rerun resumes and every key appears once', { skip: needsNative(), timeout: 180_000 }, async () => {
  fs.mkdirSync(path.join(dir, 'data'));
  // 6 files of 100 records; only the last file holds the poison value (record 50).
  for (let f = 0; f < 6; f++) {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `f${f}-${i}`, x: [i, f === 5 && i === 50 ? POISON : 1, 2, 3] }));
    fs.writeFileSync(path.join(dir, `data/f${f}.jsonl`), lines.join('\n') + '\n');
  }
  const config = {
    source: { type: 'jsonl', uri: 'data/' },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 16, backend: 'tensorflow' },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2, maxAttempts: 2 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));

  const first = await runSluice(['run', path.join(dir, 'pipeline.json')], { ...withLayer, EXIT_LAYER_ARMED: '1' });
  assert.equal(first.status, 1, first.stderr);
  assert.match(first.stderr, /the model host thread stopped \(exit code 7\); no model call can run in this process/);
  assert.doesNotMatch(first.stderr, /\n\s+at /, 'no stack trace without --verbose');
  // No record was failed for the host's death: no error row names one.
  assert.deepEqual(rowsOf(path.join(dir, 'out/errors')), []);
  assert.ok(!fs.existsSync(path.join(dir, 'out/predictions/_SUCCESS')));
  const committed = rowsOf(path.join(dir, 'out/predictions')).length;
  assert.ok(committed < 600, `${committed} rows committed before the host died`);

  const second = await runSluice(['run', path.join(dir, 'pipeline.json'), '--json'], withLayer);
  assert.equal(second.status, 0, second.stderr);
  const rows = rowsOf(path.join(dir, 'out/predictions'));
  assert.equal(rows.length, 600);
  assert.equal(new Set(rows.map((r) => r.key)).size, 600);
  assert.deepEqual(rowsOf(path.join(dir, 'out/errors')), []);
  assert.equal(JSON.parse(second.stdout).partitions.resumed, Math.round(committed / 100), 'the partitions committed before the host died are resumed');
});
