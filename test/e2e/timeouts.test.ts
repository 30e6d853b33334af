/**
 * Timeouts (issue 8, item 3) on real runs of the CLI: a model whose custom layer never returns
 * for one input value (test/helpers/hang-layer.cts, registered in every worker thread with
 * `NODE_OPTIONS=--require`, as users register their own layers), and a model file that never
 * finishes reading (a FIFO with no writer as model.json or as the weights).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HANG_LAYER_ENV, HANG_VALUE, saveHangModel } from '../helpers/hang-model.js';
import tfjsStage from '../../stages/model/tfjs/index.js';
import { testContext } from '../helpers/run-stage.js';
import { runNode, runSluice } from '../helpers/faults.js';

const POISON = HANG_VALUE;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-timeouts-'));
const withLayer = HANG_LAYER_ENV;

/** 200 records per file; `b.jsonl` record 37 holds the value the layer hangs on. */
function writeProject(name: string, extra: Record<string, unknown> = {}, execution: Record<string, unknown> = {}): string {
  const root = path.join(dir, name);
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  fs.cpSync(path.join(dir, 'hang-model'), path.join(root, 'model'), { recursive: true });
  for (const file of ['a', 'b']) {
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: `${file}${i}`, x: [i, file === 'b' && i === 37 ? POISON : 1, 2, 3] }));
    fs.writeFileSync(path.join(root, `data/${file}.jsonl`), lines.join('\n') + '\n');
  }
  const config = {
    source: { type: 'jsonl', uri: 'data/' },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 16, ...extra },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2, ...execution },
  };
  fs.writeFileSync(path.join(root, 'pipeline.json'), JSON.stringify(config));
  return root;
}

const rowsOf = (d: string) =>
  fs
    .readdirSync(d)
    .filter((n) => n.startsWith('part-'))
    .flatMap((n) => fs.readFileSync(path.join(d, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));

before(() => saveHangModel(path.join(dir, 'hang-model')));

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a batch that never returns (a synchronous loop on one record): narrowed attempt by attempt to that record, which alone fails (code timeout)', async () => {
  const root = writeProject('batch', { batchTimeoutMs: 2500 }, { maxAttempts: 2 });
  const started = Date.now();
  const r = await runSluice(['run', path.join(root, 'pipeline.json'), '--json'], withLayer);
  assert.equal(r.status, 0, r.stderr);
  // Record 37 sits in the third batch of 16 (b32..b47). Each attempt hangs on a call half the
  // size of the one before (16, 8, 4, 2, then record 37 alone), its worker thread terminated by
  // the watchdog; the next attempt splits that call. After 5 timeouts (>= maxAttempts) the
  // record fails without running and everything else is predicted.
  const retries = r.stderr.split('\n').filter((l) => /partition 1 \(data\/b\.jsonl\) attempt \d: a call in \/model \(records? [\d–]+ of the partition\) ran longer than 2500 ms \(\/model\/batchTimeoutMs\); retrying on a fresh worker thread/.test(l));
  assert.deepEqual(
    retries.map((l) => /\((records? [\d–]+) of the partition\)/.exec(l)![1]),
    ['records 32–47', 'records 32–39', 'records 36–39', 'records 36–37', 'record 37'],
    r.stderr,
  );
  assert.match(retries[4]!, /without that record \(it fails with code timeout\)$/);
  const errors = rowsOf(path.join(root, 'out/errors'));
  assert.deepEqual(errors.map((e) => [e.key, e.code, e.stage]), [['b37', 'timeout', 'model']]);
  assert.match(errors[0].error, /^timed out: this record alone ran longer than 2500 ms in \/model \(\/model\/batchTimeoutMs\); calls holding it timed out 5 times, its worker thread terminated each time$/);
  const predictions = rowsOf(path.join(root, 'out/predictions'));
  assert.equal(predictions.length, 399);
  assert.equal(new Set(predictions.map((p) => p.key)).size, 399, 'every other record exactly once');
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.counts.failedByCode, { timeout: 1 });
  // Bounded: 5 timeouts of 2.5 s, each followed by a fresh thread that loads the model again.
  assert.ok(Date.now() - started < 120_000, `${Date.now() - started} ms`);
});

test('the live record count takes back what a terminated attempt had read: progress never counts a record twice', async () => {
  // A terminated thread cannot take back its own counts; the coordinator does (attempts.ts).
  const root = writeProject('progress', { batchTimeoutMs: 2500 }, { maxAttempts: 2 });
  const index = new URL('../../src/index.js', import.meta.url).href;
  const script = `import { run } from ${JSON.stringify(index)};
let max = 0;
const progress = { start() {}, update(s) { max = Math.max(max, s.read); }, stop() {} };
const summary = await run(${JSON.stringify(path.join(root, 'pipeline.json'))}, { progress });
console.log(JSON.stringify({ max, read: summary.counts.read }));`;
  const r = await runNode(['--input-type=module', '-e', script], withLayer);
  assert.equal(r.status, 0, r.stderr);
  const { max, read } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(read, 400);
  assert.ok(max <= 400, `progress counted ${max} records read of 400`);
});

test('a partition past execution.partitionTimeoutMs is terminated and retried; after maxAttempts the run fails with one line', async () => {
  // wasm: each worker runs its own model, so only the hung partition's thread is stuck. On
  // tensorflow the hung call holds the model host, and the other partition, waiting behind it,
  // times out with it (docs/native.md, "Thread model": model.batchTimeoutMs finds the record).
  const root = writeProject('partition', { backend: 'wasm' }, { maxAttempts: 2, partitionTimeoutMs: 2500 });
  const r = await runSluice(['run', path.join(root, 'pipeline.json')], withLayer);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^sluice: partition 1 \(data\/b\.jsonl\) failed after 2 attempts: it ran longer than 2500 ms \(\/execution\/partitionTimeoutMs\); its worker thread was terminated \(1 of 2 partitions are committed; run the same command again to resume\)$/m,
  );
  assert.deepEqual(rowsOf(path.join(root, 'out/predictions')).length, 200, 'the healthy partition is committed');
});

test('a model.json that never finishes reading (a FIFO): validate and run stop after model.loadTimeoutMs naming /model/uri', { skip: process.platform === 'win32' && 'no mkfifo' }, async () => {
  const root = writeProject('fifo', { loadTimeoutMs: 1000 });
  const modelJson = path.join(root, 'model/model.json');
  fs.rmSync(modelJson);
  execFileSync('mkfifo', [modelJson]);
  const expected = new RegExp(`^sluice: /model/uri: model ${modelJson.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} did not load within 1000 ms \\(/model/loadTimeoutMs\\)$`, 'm');
  for (const cmd of ['validate', 'run']) {
    const started = Date.now();
    const r = await runSluice([cmd, path.join(root, 'pipeline.json')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, expected);
    assert.ok(Date.now() - started < 30_000, `${cmd} took ${Date.now() - started} ms`);
  }
});

test('weights that are a FIFO (never finish reading): refused before reading, since they do not hold the bytes the manifest declares', async () => {
  const root = writeProject('fifo-weights', { loadTimeoutMs: 1000 });
  const weights = path.join(root, 'model/weights.bin');
  fs.rmSync(weights);
  execFileSync('mkfifo', [weights]);
  const r = await runSluice(['run', path.join(root, 'pipeline.json')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^sluice: \/model\/uri: model file .*model\.json: weightsManifest group 0 declares \d+ bytes of weights but its files hold 0 \(weights\.bin\)$/m);
});

test('in a worker thread, a model load that hangs is cut at loadTimeoutMs too', async () => {
  const root = writeProject('create', { loadTimeoutMs: 500 });
  const modelJson = path.join(root, 'model/model.json');
  fs.rmSync(modelJson);
  execFileSync('mkfifo', [modelJson]);
  const ctx = testContext({ path: '/model', baseDir: root, features: { x: { dtype: 'float32', shape: [4] } } });
  const started = Date.now();
  await assert.rejects(
    async () => tfjsStage.create({ uri: 'model/model.json', batchSize: 16, backend: 'cpu', onNonFinite: 'fail', loadTimeoutMs: 500 }, ctx),
    /^SluiceError: \/model\/uri: model .*model\.json did not load within 500 ms \(\/model\/loadTimeoutMs\)$/,
  );
  assert.ok(Date.now() - started < 10_000);
  // Let the abandoned read finish (a writer opens the FIFO), so this process can exit.
  fs.closeSync(fs.openSync(modelJson, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
});
