/**
 * Baseline: the bare model loop, the most a thread can get out of tfjs' wasm backend.
 * Loads the model once, prebuilds every input batch (256 rows of seeded random floats), then
 * times only the model call + `dataSync` + `dispose` over as many rows as the workload. With
 * `threads` > 1 it runs the same loop in that many worker_threads at once, each over its
 * share of the rows: the machine's ceiling for that many threads.
 *
 * With backend `tensorflow` the loop runs on tfjs-node (`npm run native`): the bare native loop.
 *
 * Usage: node dist/bench/baselines/bare-loop.js <model.json> <rows> [threads=1] [backend=wasm]
 * Prints: {"rows": <n>, "loopSeconds": <s>}
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { report, runMain } from './io.js';
import { loadModel, useBackend } from './wasm.js';
import { mulberry32 } from '../random.js';

const BATCH = 256;

interface Job {
  backend: string;
  modelJson: string;
  rows: number;
  seed: number;
}

/** One thread's loop; returns the seconds it took, model load and batch building excluded. */
async function loop(job: Job): Promise<number> {
  await useBackend(job.backend);
  const model = await loadModel(job.modelJson);
  const dim = model.inputs[0]!.shape[1] as number;
  const rand = mulberry32(job.seed);
  const batches: tf.Tensor[] = [];
  for (let done = 0; done < job.rows; done += BATCH) {
    const n = Math.min(BATCH, job.rows - done);
    const values = new Float32Array(n * dim);
    for (let i = 0; i < values.length; i++) values[i] = rand() * 2 - 1;
    batches.push(tf.tensor2d(values, [n, dim]));
  }
  const start = performance.now();
  for (const batch of batches) {
    // The model called on the whole batch, as Sluice calls it (src/model/load.ts): predict()
    // without a batchSize would re-slice each batch into calls of 32 rows.
    const y = model.apply(batch, { training: false }) as tf.Tensor;
    y.dataSync();
    y.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  tf.dispose(batches);
  model.dispose();
  return seconds;
}

async function main(): Promise<void> {
  const [modelJson, rowsArg, threadsArg = '1', backend = 'wasm'] = process.argv.slice(2);
  const rows = Number(rowsArg);
  const threads = Number(threadsArg);
  if (!modelJson || !(rows > 0) || !(threads >= 1)) throw new Error('usage: bare-loop <model.json> <rows> [threads]');
  if (threads === 1) {
    report({ rows, loopSeconds: await loop({ backend, modelJson, rows, seed: 1 }) });
    return;
  }
  // Every worker loads its own model and wasm instance, as Sluice's workers do; the loops
  // overlap, so the wall time of the slowest worker is the loop time.
  const share = Math.ceil(rows / threads);
  const jobs: Job[] = Array.from({ length: threads }, (_, i) => ({
    backend,
    modelJson,
    rows: Math.min(share, rows - i * share),
    seed: i + 1,
  }));
  const seconds = await Promise.all(jobs.map((job) => new Promise<number>((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); });
  })));
  report({ rows, loopSeconds: Math.max(...seconds) });
}

if (isMainThread) runMain(main);
else loop(workerData as Job).then((s) => parentPort!.postMessage(s));
