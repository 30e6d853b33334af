/**
 * What one model call costs beyond its kernels: a LayersModel run on a batch of 256 by
 * `predict(x, { batchSize })` (what Sluice did), `execute(x, output)`, and `apply(x)` (the
 * model called as a function, what Sluice does now: src/model/load.ts), each followed by
 * reading the output and disposing both tensors, as a batch in Sluice is. Calls are
 * interleaved by round so a noisy moment hits every way alike; the best round is printed.
 *
 * Usage: node dist/bench/model-call.js <model.json> [backend=wasm|tensorflow] [calls=1000] [rounds=3]
 * Prints one line per way: `<backend> <way> <ms per call>`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, useBackend } from './baselines/wasm.js';

const BATCH = 256;

async function main(): Promise<void> {
  const [modelJson, backend = 'wasm', callsArg = '1000', roundsArg = '3'] = process.argv.slice(2);
  if (!modelJson) throw new Error('usage: model-call <model.json> [backend] [calls] [rounds]');
  await useBackend(backend);
  const model = await loadModel(modelJson);
  const dim = model.inputs[0]!.shape[1] as number;
  const values = Float32Array.from({ length: BATCH * dim }, (_, i) => Math.sin(i));
  const output = model.outputs[0]!.name;
  const call = async (run: (x: tf.Tensor) => tf.Tensor): Promise<void> => {
    const x = tf.tensor2d(values, [BATCH, dim]);
    const y = run(x);
    await y.data();
    x.dispose();
    y.dispose();
  };
  const ways: Record<string, (x: tf.Tensor) => tf.Tensor> = {
    predict: (x) => model.predict(x, { batchSize: BATCH }) as tf.Tensor,
    execute: (x) => model.execute(x, output) as tf.Tensor,
    apply: (x) => model.apply(x, { training: false }) as tf.Tensor,
  };
  const calls = Number(callsArg);
  const best: Record<string, number> = {};
  for (const run of Object.values(ways)) for (let i = 0; i < 50; i++) await call(run); // warm-up
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const [name, run] of Object.entries(ways)) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) await call(run);
      const ms = (performance.now() - start) / calls;
      best[name] = Math.min(best[name] ?? Infinity, ms);
    }
  }
  for (const [name, ms] of Object.entries(best)) console.log(`${backend} ${name} ${ms.toFixed(3)} ms per call`);
  model.dispose();
}

main().catch((err) => {
  console.error(`model-call: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
