/**
 * `sluice worker` times model calls as a local run does (runtime/attempts.ts): a record whose
 * call never returns (a synchronous loop in a custom layer, test/helpers/hang-layer.cts) is
 * narrowed to that record, which alone fails with code `timeout`; every other record is
 * predicted once, and the job does not hang its worker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HANG_LAYER_ENV, HANG_VALUE, saveHangModel } from '../helpers/hang-model.js';
import { background, type Background } from '../helpers/processes.js';
import { needsRedis, startRedis } from '../helpers/redis.js';
import { killAll, worker } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dist-timeouts-'));
before(() => saveHangModel(path.join(dir, 'model')));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const rowsOf = (d: string) =>
  fs
    .readdirSync(d)
    .filter((n) => n.startsWith('part-'))
    .flatMap((n) => fs.readFileSync(path.join(d, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));

test('a call that never returns on a distributed worker is narrowed to its record (code timeout); the rest is predicted once', { skip: needsRedis, timeout: 240_000 }, async () => {
  fs.mkdirSync(path.join(dir, 'data'));
  for (const file of ['a', 'b']) {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `${file}${i}`, x: [i, file === 'b' && i === 21 ? HANG_VALUE : 1, 2, 3] }));
    fs.writeFileSync(path.join(dir, `data/${file}.jsonl`), lines.join('\n') + '\n');
  }
  const config = {
    source: { type: 'jsonl', uri: 'data/' },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 8, batchTimeoutMs: 2500 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  const redis = await startRedis();
  const procs: Background[] = [];
  try {
    const w = worker(redis.url, [], HANG_LAYER_ENV);
    procs.push(w);
    const run = background(['run', path.join(dir, 'pipeline.json'), '--coordinator', redis.url, '--json'], HANG_LAYER_ENV);
    procs.push(run);
    assert.equal(await run.exited, 0, `${run.stderr()}\n--- worker:\n${w.stderr()}`);
    // Record 21 sits in the batch of records 16–23: calls of 8, 4, 2, then 21 alone.
    assert.match(w.stderr(), /a call in \/model \(records 16–23 of the partition\) ran longer than 2500 ms \(\/model\/batchTimeoutMs\); retrying on a fresh worker thread, with that call split in halves/);
    const errors = rowsOf(path.join(dir, 'out/errors'));
    assert.deepEqual(errors.map((e) => [e.key, e.code]), [['b21', 'timeout']]);
    const keys = rowsOf(path.join(dir, 'out/predictions')).map((r) => r.key);
    assert.equal(keys.length, 199);
    assert.equal(new Set(keys).size, 199, 'every other record exactly once');
  } finally {
    await killAll(procs);
    await redis.stop();
  }
});
