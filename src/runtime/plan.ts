import { createHash } from 'node:crypto';
import type { Partition } from '../core/types.js';
import type { Graph } from '../graph/build.js';

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
  const planned = await graph.source.def.plan(graph.source.options, graph.source.ctx);
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
 * sha256 of what decides the output rows: every stage's config except where outputs go and
 * how the run is executed (`execution`, `name`, sink URIs, the model's `runtimeOptions`), plus facts stages add (a model's
 * file hashes), so a changed model or config is refused on resume.
 */
export function configFingerprint(graph: Graph, facts: unknown): string {
  const strip = (s: { type: string; uri?: unknown }) => {
    const { uri: _uri, ...rest } = s as Record<string, unknown>;
    return rest;
  };
  // A stage's runtime options (batch size, time limits) change how it runs, not its rows: a run
  // that failed on a timeout must resume with a larger one.
  const stages = [graph.source, ...graph.transforms, ...graph.sinks, graph.errors];
  const outputOnly = (s: Record<string, unknown>, path: string) => {
    const skip = stages.find((g) => g.path === path)?.def.runtimeOptions ?? [];
    return Object.fromEntries(Object.entries(s).filter(([k]) => !skip.includes(k)));
  };
  const c = graph.config;
  const relevant = {
    source: outputOnly(c.source, '/source'),
    decode: outputOnly(c.decode, '/decode'),
    key: outputOnly(c.key, '/key'),
    model: outputOnly(c.model, '/model'),
    post: c.post.map((p, i) => outputOnly(p, `/post/${i}`)),
    sink: c.sink.map(strip),
    errors: strip(c.errors),
    facts,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}
