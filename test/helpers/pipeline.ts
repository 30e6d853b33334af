/**
 * Runs a pipeline config in this process, partition by partition, through the real engine
 * (buildGraph → createInstances → runPartition) with a registry of the built-ins plus custom
 * stages defined by a test — what the CLI's worker threads do, minus the threads and the commit.
 */
import fs from 'node:fs';
import type { StageDefinition } from '../../src/core/stage.js';
import { buildGraph } from '../../src/graph/build.js';
import { createRegistry } from '../../src/graph/registry.js';
import { createStorage } from '../../src/storage/index.js';
import { closeInstances, createInstances } from '../../src/runtime/instances.js';
import { runPartition, type PartitionResult } from '../../src/runtime/partition.js';
import { builtinStages } from '../../stages/index.js';

export interface InProcessRun {
  results: PartitionResult[];
  /** Rows of every jsonl output, by output file's directory name (e.g. `predictions`, `errors`). */
  rows: Record<string, any[]>;
}

/** Runs every partition of `config` (relative URIs against `baseDir`) with `extra` stages registered. */
export async function runInProcess(config: object, baseDir: string, extra: StageDefinition[] = []): Promise<InProcessRun> {
  const storage = createStorage();
  const graph = buildGraph({ file: `${baseDir}/pipeline.json`, baseDir, config: config as any }, createRegistry([...builtinStages, ...extra]), storage);
  const planned = await graph.source.call.plan();
  const partitions = planned.map((p, id) => ({ ...p, id, of: planned.length }));
  const instances = await createInstances(graph);
  const results: PartitionResult[] = [];
  const rows: Record<string, any[]> = {};
  try {
    for (const p of partitions) {
      const result = await runPartition(instances, p, { storage, runId: 'test', attempt: 1, signal: new AbortController().signal });
      results.push(result);
      for (const f of result.outputs.filter((o) => o.temp.endsWith('.jsonl'))) {
        const name = f.final.split('/').slice(-2, -1)[0]!;
        const lines = fs.readFileSync(f.temp, 'utf8').split('\n').filter(Boolean);
        (rows[name] ??= []).push(...lines.map((l) => JSON.parse(l)));
      }
    }
  } finally {
    await closeInstances(instances);
  }
  return { results, rows };
}
