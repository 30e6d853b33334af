/**
 * The worker-thread entry of online prediction (run by piscina): builds the chain of the one
 * pipeline its pool serves (from `workerData`) once per thread, then predicts batches.
 */
import { workerData } from 'piscina';
import type { LoadedConfig } from '../config/load.js';
import { buildGraph } from '../graph/build.js';
import { loadRegistry } from '../graph/plugins.js';
import { storageFor } from '../storage/index.js';
import { builtinCatalog } from '../../stages/catalog.js';
import { createChain, runChain, type Chain } from './chain.js';
import type { BatchResult } from './rows.js';

/** One task: records (as given in memory) with their indexes in their requests. An empty task only waits for the model. */
export interface BatchTask {
  values: unknown[];
  indexes: number[];
}

let chain: Promise<Chain> | undefined;

function chainFor(): Promise<Chain> {
  if (!chain) {
    const loaded = (workerData as { loaded: LoadedConfig }).loaded;
    // User stages are named by module path: this thread imports them itself.
    const made = (chain = loadRegistry(loaded, builtinCatalog).then((registry) => createChain(buildGraph(loaded, registry, storageFor(loaded.config)))));
    // A failed start is not kept: the next task tries again.
    made.catch(() => {
      if (chain === made) chain = undefined;
    });
  }
  return chain;
}

// Load the model as soon as the thread starts (a turn later: see runtime/worker.ts on Node 20).
setImmediate(() => void chainFor().catch(() => undefined));

export default async function predictBatch(task: BatchTask): Promise<BatchResult> {
  const c = await chainFor();
  return runChain(c, task.values, task.indexes);
}
