/**
 * What travels through the queue: one BullMQ job per partition, carrying everything a worker
 * that has never seen the config needs (the loaded config, the partition, the output), and
 * what a worker answers when the partition is committed.
 */
import type { LoadedConfig } from '../config/load.js';
import type { Partition } from '../core/types.js';
import type { ManifestEntry } from '../runtime/commit.js';

/** The data of one partition job. */
export interface PartitionJob {
  /** The config as the coordinator loaded it (`--set` and `${VAR}` applied, baseDir absolute). */
  loaded: LoadedConfig;
  partition: Partition;
  /** Identifies the run (output + fingerprints): job ids and temporary file names start with it. */
  runKey: string;
  /** The run's output directories, primary first (where `_manifest/` is). */
  outputs: string[];
  /** The fingerprints of the run this job belongs to, checked against the output before commit. */
  planFingerprint: string;
  configFingerprint: string;
}

/** A worker's answer: the partition's manifest entry, or why it did not commit. */
export type PartitionOutcome =
  | { entry: ManifestEntry; worker: string; seconds: number; duplicate?: boolean }
  | { superseded: string; worker: string };

/** `3f9c…-p00007`: deterministic per run and partition (BullMQ ids must not contain ':'). */
export function jobIdOf(runKey: string, partitionId: number): string {
  return `${runKey}-p${String(partitionId).padStart(5, '0')}`;
}

export { partitionWhere, runKeyOf } from '../runtime/commit.js';
