/**
 * Issue 8's real out-of-memory case: a model whose activations at the configured batch size do
 * not fit in the wasm heap (4 GB at most). `wide` is a dense layer of 131,072 units and `act` a
 * separate ReLU: at batch size 4096 each of their outputs is 2 GiB, and both must be alive at
 * once, so the allocation of the second fails. Sluice halves the worker's batch size to 2048
 * (1 + 1 GiB fits) and goes on; the run summary reports the batch size finally used. The same
 * rows run at batch size 1024 (never out of memory) must give the same predictions.
 *
 * Usage: node dist/bench/oom.js (run by `npm run bench` after the main table). Needs ~3 GB of
 * free RAM (the 2 GiB activation is really written) and a minute or two of CPU.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createStorage } from '../src/storage/index.js';
import { storageSaveHandler } from '../src/model/io-handler.js';
import { measure } from './measure.js';
import { outRoot, projectRoot } from './workloads.js';
import { mulberry32 } from './random.js';

const CLI = path.join(projectRoot, 'dist/src/cli/main.js');
const DIR = path.join(outRoot, 'oom-wide-131072');
const WIDTH = 131_072;
const ROWS = 8192;
const BIG_BATCH = 4096;
const SAFE_BATCH = 1024;

async function prepare(): Promise<void> {
  const modelJson = path.join(DIR, 'model/model.json');
  if (!fs.existsSync(modelJson)) {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const x = tfl.input({ shape: [8], name: 'x' });
    const wide = tfl.layers.dense({ units: WIDTH, name: 'wide', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(x);
    const act = tfl.layers.activation({ activation: 'relu', name: 'act' }).apply(wide);
    const y = tfl.layers.dense({ units: 1, name: 'y', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(act) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: y, name: 'oom-wide' });
    await model.save(storageSaveHandler(createStorage(), path.join(DIR, 'model')));
    model.dispose();
  }
  const data = path.join(DIR, 'data.jsonl');
  if (!fs.existsSync(data)) {
    const rand = mulberry32(8);
    const lines = Array.from({ length: ROWS }, (_, id) => JSON.stringify({ id, x: Array.from({ length: 8 }, () => Math.round((rand() * 2 - 1) * 1e4) / 1e4) }));
    await fsp.writeFile(data, lines.join('\n') + '\n');
  }
  for (const batch of [BIG_BATCH, SAFE_BATCH]) {
    const config = {
      name: `oom-${batch}`,
      source: { type: 'jsonl', uri: 'data.jsonl' },
      decode: { type: 'json', features: { x: { dtype: 'float32', shape: [8] } } },
      key: { type: 'field', field: 'id' },
      model: { type: 'tfjs', uri: 'model/model.json', batchSize: batch, backend: 'wasm' },
      sink: { type: 'jsonl', uri: `out-${batch}/predictions` },
      errors: { type: 'jsonl', uri: `out-${batch}/errors` },
      execution: { workers: 1 },
    };
    await fsp.writeFile(path.join(DIR, `pipeline-${batch}.json`), JSON.stringify(config, null, 2));
  }
}

function predictions(batch: number): Map<number, number> {
  const dir = path.join(DIR, `out-${batch}/predictions`);
  const out = new Map<number, number>();
  for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('part-'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as { key: number; prediction: number[] };
      out.set(row.key, row.prediction[0]!);
    }
  }
  return out;
}

async function main(): Promise<void> {
  await fsp.mkdir(DIR, { recursive: true });
  await prepare();
  console.log(`\nout of memory, for real (wasm heap ≤ 4 GB): ${ROWS} rows through 8 → dense ${WIDTH} → relu → 1, 1 worker:`);
  const runs: Record<number, { seconds: number; rss: number; summary: any }> = {};
  for (const batch of [BIG_BATCH, SAFE_BATCH]) {
    const m = await measure([CLI, 'run', path.join(DIR, `pipeline-${batch}.json`), '--json', '--overwrite'], os.tmpdir());
    const summary = JSON.parse(m.stdout);
    runs[batch] = { seconds: m.seconds, rss: m.rssBytes, summary };
    const facts = summary.stageFacts?.['/model'] ?? {};
    console.log(
      `  batchSize ${String(batch).padEnd(5)} → ${summary.counts.written}/${ROWS} written, ${summary.counts.failed} failed, ` +
        `batch size finally used ${facts.batchSize} (out-of-memory halvings: ${facts.outOfMemory}), ${m.seconds.toFixed(1)} s, peak RSS ${(m.rssBytes / 2 ** 30).toFixed(2)} GiB`,
    );
  }
  const a = predictions(BIG_BATCH);
  const b = predictions(SAFE_BATCH);
  let worst = 0;
  for (const [key, v] of b) worst = Math.max(worst, Math.abs((a.get(key) ?? NaN) - v));
  const same = a.size === b.size && Number.isFinite(worst) && worst <= 1e-4;
  const recovered = runs[BIG_BATCH]!.summary.stageFacts?.['/model']?.batchSize < BIG_BATCH && runs[BIG_BATCH]!.summary.counts.written === ROWS;
  console.log(`  recovered: ${recovered ? 'yes' : 'NO'}; predictions equal to the batch-${SAFE_BATCH} run: ${same ? 'yes' : 'NO'} (largest difference ${worst.toExponential(1)})`);
  if (!recovered || !same) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
