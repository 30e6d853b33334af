/**
 * Child of bench/record-path.ts (not a user figure): Sluice's record path alone, in this one
 * thread. Prepares the pipeline as `sluice run` does and creates its stages as a worker thread does (`createInstances`: decode, key,
 * the model loaded here, sinks), then runs every planned partition through `runPartition`
 * one after another and times that loop only: read, split, parse, features, key, batch,
 * predict, rows, write, every per-record object and Failure check included; start-up, model
 * load and planning excluded, like the plain script's `loopSeconds`.
 *
 * Usage: node --max-semi-space-size=4 dist/bench/record-path-loop.js <pipeline.json>
 * (4 MB semi-spaces: the 12 MB young generation of Sluice's worker threads, src/runtime/pool.ts)
 * Prints: {"rows": <n>, "loopSeconds": <s>}
 */
import { loadConfig } from '../src/config/load.js';
import { preparePipeline } from '../src/runtime/pipeline.js';
import { createInstances, closeInstances } from '../src/runtime/instances.js';
import { runPartition } from '../src/runtime/partition.js';
import { planPartitions } from '../src/runtime/plan.js';
import { keepRecordsYoung } from '../src/runtime/pool.js';
import { report, runMain } from './baselines/io.js';

async function main(): Promise<void> {
  const [pipeline] = process.argv.slice(2);
  if (!pipeline) throw new Error('usage: record-path-loop <pipeline.json>');
  // The V8 setting of Sluice's worker threads (the young generation is the command line's).
  keepRecordsYoung();
  const loaded = loadConfig(pipeline, ['model.backend=wasm', 'execution.workers=1']);
  // The graph as `sluice run` prepares it (registry, graph, checks), then the stages as a worker creates them.
  const { graph, storage } = await preparePipeline(loaded);
  const instances = await createInstances(graph);
  const { partitions } = await planPartitions(graph);
  const start = performance.now();
  let rows = 0;
  for (const partition of partitions) {
    const result = await runPartition(instances, partition, { storage, runId: 'record-path', attempt: 0, signal: new AbortController().signal });
    if (result.counts.failed) throw new Error(`partition ${partition.id}: ${result.counts.failed} records failed`);
    rows += result.counts.written;
  }
  const loopSeconds = (performance.now() - start) / 1000;
  await closeInstances(instances);
  report({ rows, loopSeconds });
}

runMain(main);
