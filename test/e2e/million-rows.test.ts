/**
 * 1,000,000 rows through every built-in stage kind — jsonl source → json decode → field key →
 * a tiny two-output tfjs model → every post stage (select, softmax, round, topk, argmax,
 * threshold) → a jsonl and a csv sink — on 2 worker threads, with no tensor growth: the tensors
 * alive in each worker between partitions (reported per partition in the manifest) never change,
 * and the leak guard warns of nothing. Kept fast with big batches and a tiny model, it still
 * takes ~30 s of CPU (20 s alone on 2 cores, 60-100 s on a loaded machine), so it runs when
 * SLUICE_LONG_TESTS=1, which .ci/run sets.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { sluice } from '../helpers/cli.js';

const ROWS = 1_000_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-million-'));
after(() => (process.env.KEEP ? undefined : fs.rmSync(dir, { recursive: true, force: true })));

/** Lines of a file, counted without holding it as one string. */
function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (let read; (read = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
    for (let i = 0; i < read; i++) if (buf[i] === 10) n++;
  }
  fs.closeSync(fd);
  return n;
}

const skip = process.env.SLUICE_LONG_TESTS === '1' ? false : 'takes ~30 s of CPU: set SLUICE_LONG_TESTS=1 to run it (.ci/run does)';

test('1,000,000 rows through every built-in stage kind: every row once in both sinks, no tensor growth', { timeout: 600_000, skip }, async () => {
  await initBackend('cpu');
  const x = tfl.input({ shape: [2], name: 'x' });
  const probs = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: tfl.initializers.randomUniform({ seed: 3 }) }).apply(x) as tfl.SymbolicTensor;
  const aux = tfl.layers.dense({ units: 2, name: 'aux', kernelInitializer: tfl.initializers.randomUniform({ seed: 4 }) }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: [probs, aux] });
  await model.save(storageSaveHandler(createStorage(), path.join(dir, 'model')));
  model.dispose();

  const out = fs.createWriteStream(path.join(dir, 'in.jsonl'));
  for (let i = 0; i < ROWS; i += 10_000) {
    let block = '';
    for (let j = i; j < i + 10_000; j++) block += `{"id":"r${j}","x":[${(j % 97) / 97},${(j % 13) / 13}]}\n`;
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));

  const config = {
    name: 'million',
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [2] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 8192 },
    post: [
      { type: 'select', outputs: ['probs', 'aux'] },
      { type: 'softmax' },
      { type: 'round', digits: 4 },
      { type: 'topk', k: 2 },
      { type: 'argmax' },
      { type: 'threshold', value: 0.5 },
    ],
    sink: [
      { type: 'jsonl', uri: 'out/jsonl' },
      { type: 'csv', uri: 'out/csv' },
    ],
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));

  const started = Date.now();
  const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json'], { timeout: 600_000 });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.status, 0, r.stderr);
  process.stderr.write(`# 1,000,000 rows through every stage kind: ${seconds.toFixed(1)} s\n`);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual([summary.counts.read, summary.counts.written, summary.counts.failed], [ROWS, ROWS, 0]);
  assert.deepEqual(summary.warnings, []);
  assert.doesNotMatch(r.stderr, /warning/);

  // The tensors alive in a worker after each partition: the model's weights, never more.
  const manifest = path.join(dir, 'out/jsonl/_manifest');
  const entries = fs.readdirSync(manifest).filter((f) => /^p\d+\.json$/.test(f)).map((f) => JSON.parse(fs.readFileSync(path.join(manifest, f), 'utf8')));
  // Two workers on every backend; on tensorflow the count is the model host's, as of its last answer (docs/native.md).
  assert.ok(entries.length >= 4 * summary.workers, `several partitions per worker (${entries.length} for ${summary.workers})`);
  const live = new Set(entries.map((e) => e.facts['/model'].liveTensors));
  assert.deepEqual([...live], [4], 'two dense layers: two kernels and two biases, in every partition of both workers');

  const parts = (sub: string) => fs.readdirSync(path.join(dir, 'out', sub)).filter((f) => f.startsWith('part-')).map((f) => path.join(dir, 'out', sub, f));
  assert.equal(parts('jsonl').reduce((n, f) => n + countLines(f), 0), ROWS);
  assert.equal(parts('csv').reduce((n, f) => n + countLines(f) - 1, 0), ROWS, 'csv: one header line per part');
  const first = JSON.parse(fs.readFileSync(parts('jsonl')[0]!, 'utf8').split('\n')[0]!);
  assert.deepEqual(Object.keys(first.prediction), ['probs', 'aux']);
  assert.deepEqual(Object.keys(first.prediction.probs), ['classes', 'scores']);
});
