/**
 * Everything about an output's manifest that more than the committer needs to name: the run
 * record and manifest entry formats, the entry file names, how messages name a partition, and
 * the run key. Written here once; the committer (commit.ts) is the only writer of these files.
 */
import { createHash } from 'node:crypto';
import type { Counts, Json, Partition } from '../core/types.js';
import { joinUri } from '../storage/index.js';

/** `_manifest/run.json`: which plan and config an output belongs to, and its partitions. */
export interface RunRecord {
  planFingerprint: string;
  configFingerprint: string;
  partitions: Partition[];
  createdAt: string;
}

/** `_manifest/p00007.json`: the commit point of partition 7, written after all its files. */
export interface ManifestEntry {
  id: number;
  source: string;
  start: number;
  end: number;
  counts: Counts;
  files: string[];
  /** The sinks' partition states (see `RowWriter.end`), by sink position; absent when none has one. */
  states?: (Json | null)[];
  committedAt: string;
  /**
   * false while the sinks' `commit` hooks have not all run for this partition (a run stopped in
   * between: the next run runs them first); absent once they have, or when no sink has one.
   */
  published?: false;
  /** What the stages reported about this partition, by config path (see `StageReport`). */
  facts?: Record<string, Record<string, Json>>;
}

const pad = (n: number) => String(n).padStart(5, '0');

/** `p00007.json`: the name of partition 7's manifest entry, its commit point. */
export function manifestEntryName(partitionId: number): string {
  return `p${pad(partitionId)}.json`;
}

/** `<primary>/_manifest/p00007.json`: partition 7's manifest entry. */
export function manifestEntryUri(primaryOutput: string, partitionId: number): string {
  return joinUri(primaryOutput, '_manifest', manifestEntryName(partitionId));
}

/** How messages name what a partition reads: a file, a byte range of one, or a group of files. */
export function partitionWhere(p: Partition): string {
  if (p.files && p.files.length > 1) return `${p.source} and ${p.files.length - 1} more file${p.files.length > 2 ? 's' : ''}`;
  return p.split ? `${p.source} bytes ${p.start}-${p.end}` : p.source;
}

/**
 * The run's identity by output, plan and config: the same output, plan and config give the same
 * key, so a restarted distributed coordinator finds its jobs again, and workers commit under a
 * lease that carries their job's key.
 */
export function runKeyOf(primaryOutput: string, planFingerprint: string, configFingerprint: string): string {
  return createHash('sha256').update(JSON.stringify([primaryOutput, planFingerprint, configFingerprint])).digest('hex').slice(0, 16);
}

