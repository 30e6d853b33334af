/**
 * Baseline: the single-threaded script a user would write instead of Sluice. Reads the JSONL,
 * parses each line, gathers 256 rows into one input tensor, predicts, and writes one
 * `{"id", "prediction"}` line per row. No keys checked, no failures caught, no partitions or
 * commit: just the work, so Sluice's overhead and its parallelism both show against it.
 *
 * Usage: node dist/bench/baselines/plain-script.js <model.json> <data.jsonl> <out.jsonl>
 * Prints: {"rows": <n>, "loopSeconds": <s>}
 */
import * as tf from '@tensorflow/tfjs-core';
import { BufferedWriter, forEachLine, report, runMain } from './io.js';
import { loadModel, useWasm } from './wasm.js';

const BATCH = 256;

async function main(): Promise<void> {
  const [modelJson, dataFile, outFile] = process.argv.slice(2);
  if (!modelJson || !dataFile || !outFile) throw new Error('usage: plain-script <model.json> <data.jsonl> <out.jsonl>');
  await useWasm();
  const model = await loadModel(modelJson);
  const dim = model.inputs[0]!.shape[1] as number;
  const out = new BufferedWriter(outFile);
  const start = performance.now();

  const ids: unknown[] = [];
  const values = new Float32Array(BATCH * dim);
  let rows = 0;
  const flush = async (): Promise<void> => {
    const n = ids.length;
    // batchSize: n, or tfjs re-slices the batch into predict()'s default of 32 rows per call.
    const y = tf.tidy(() => model.predict(tf.tensor2d(values.subarray(0, n * dim), [n, dim]), { batchSize: n }) as tf.Tensor);
    const k = y.shape[1] as number;
    const data = y.dataSync();
    y.dispose();
    for (let i = 0; i < n; i++) {
      const pending = out.write(JSON.stringify({ id: ids[i], prediction: Array.from(data.subarray(i * k, (i + 1) * k)) }) + '\n');
      if (pending) await pending;
    }
    ids.length = 0;
  };

  await forEachLine(dataFile, (line) => {
    const row = JSON.parse(line) as { id: unknown; x: number[] };
    values.set(row.x, ids.length * dim);
    ids.push(row.id);
    rows++;
    if (ids.length === BATCH) return flush();
  });
  if (ids.length > 0) await flush();
  await out.end();
  report({ rows, loopSeconds: (performance.now() - start) / 1000 });
  model.dispose();
}

runMain(main);
