import { createHash } from 'node:crypto';
import type { Partition } from '../core/types.js';
import type { Graph } from '../graph/build.js';
import { SLOTS } from '../core/slots.js';

/** The partitions of a run and the fingerprint of the input they were planned from. */
export interface Plan {
  partitions: Partition[];
  /**
   * sha256 of the input listing (paths, sizes, mtimes): changes when any input file changes.
   * The cut points are not in it: a resumed run reuses the partitions stored with the output,
   * so changing `workers` (and with it the default partition size) does not block a resume.
   */
  fingerprint: string;
  /** The input listing (paths, sizes, mtimes), kept in `_SUCCESS`. */
  listing: { source: string; size: number; mtimeMs: number }[];
  bytes: number;
}

/**
 * Plans partitions with the source stage (deterministic: sorted listing, fixed split size),
 * numbers them, and fingerprints the plan.
 */
export async function planPartitions(graph: Graph): Promise<Plan> {
  const planned = await graph.source.call.plan();
  const partitions: Partition[] = planned.map((p, id) => ({ ...p, id, of: planned.length }));
  const listing = new Map<string, { source: string; size: number; mtimeMs: number }>();
  // A partition of several files lists each of them: a change to any one changes the fingerprint.
  for (const p of partitions) for (const f of p.files ?? [p]) listing.set(f.source, { source: f.source, size: f.size, mtimeMs: f.mtimeMs });
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([...listing.values()].map((f) => [f.source, f.size, f.mtimeMs])))
    .digest('hex');
  return { partitions, fingerprint, listing: [...listing.values()], bytes: [...listing.values()].reduce((n, f) => n + f.size, 0) };
}

/**
 * sha256 of what decides the output rows: every stage's config, slot by slot (core/slots.ts),
 * except where outputs go and how the run is executed (`execution`, `name`, sink URIs, stages'
 * `runtimeOptions`), plus facts stages add (a model's file hashes), so a changed model or config
 * is refused on resume.
 */
export function configFingerprint(graph: Graph, facts: unknown): string {
  // A stage's runtime options (batch size, time limits) change how it runs, not its rows: a run
  // that failed on a timeout must resume with a larger one. A sink's `uri` is where rows go.
  const stages = [graph.source, ...graph.transforms, ...graph.sinks, graph.errors];
  const relevant: Record<string, unknown> = {};
  for (const slot of SLOTS) {
    const one = (s: Record<string, unknown>, path: string) => {
      const skip = slot.kind === 'sink' ? ['uri'] : stages.find((g) => g.path === path)?.def.runtimeOptions ?? [];
      return Object.fromEntries(Object.entries(s).filter(([k]) => !skip.includes(k)));
    };
    const value = (graph.config as unknown as Record<string, Record<string, unknown> | Record<string, unknown>[]>)[slot.key]!;
    relevant[slot.key] = Array.isArray(value) ? value.map((v, i) => one(v, `/${slot.key}/${i}`)) : one(value, `/${slot.key}`);
  }
  relevant.facts = facts;
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}
