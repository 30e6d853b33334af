/**
 * The worker that finishes a partition commits it, through the same OutputCommitter as a local
 * run. A partition may be processed twice (a slow worker presumed dead, its job redelivered):
 * processing is deterministic, so both attempts hold identical bytes and whichever commit lands
 * last renames identical files over identical files. To keep even that rare, an attempt whose
 * partition is already in the manifest is discarded instead of committed.
 */
import { OutputCommitter, type ManifestEntry, type RunRecord } from '../runtime/commit.js';
import type { PartitionResult } from '../runtime/partition.js';
import { joinUri, type Storage } from '../storage/index.js';
import type { PartitionJob } from './jobs.js';

export type CommitOutcome = { entry: ManifestEntry; duplicate?: boolean } | { superseded: string };

async function readJson<T>(storage: Storage, uri: string): Promise<T | undefined> {
  if (!(await storage.exists(uri))) return undefined;
  return JSON.parse(Buffer.from(await storage.readAll(uri)).toString('utf8')) as T;
}

/** `_manifest/p00007.json` of partition 7: its commit point. */
export function manifestEntryUri(primaryOutput: string, partitionId: number): string {
  return joinUri(primaryOutput, '_manifest', `p${String(partitionId).padStart(5, '0')}.json`);
}

/**
 * Commits one finished attempt of a job's partition, unless the output now belongs to another
 * run (the user overwrote it with another config: the attempt is discarded) or the partition is
 * already committed (the attempt is discarded; the committed entry is returned).
 */
export async function commitAttempt(storage: Storage, job: PartitionJob, result: PartitionResult): Promise<CommitOutcome> {
  const committer = new OutputCommitter(storage, job.outputs);
  const primary = job.outputs[0]!;
  const run = await readJson<RunRecord>(storage, joinUri(primary, '_manifest', 'run.json'));
  if (!run || run.planFingerprint !== job.planFingerprint || run.configFingerprint !== job.configFingerprint) {
    await committer.discard(result);
    return { superseded: `${primary} no longer holds this run's output (it was removed or overwritten by another run)` };
  }
  const existing = await readJson<ManifestEntry>(storage, manifestEntryUri(primary, job.partition.id));
  if (existing) {
    await committer.discard(result);
    return { entry: existing, duplicate: true };
  }
  return { entry: await committer.commit(job.partition, result) };
}
