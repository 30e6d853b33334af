/**
 * The worker that finishes a partition commits it, through the same OutputCommitter as a local
 * run, under its coordinator's lease (the output's lease must carry the job's run key). A
 * partition may be processed twice (a slow worker presumed dead, its job redelivered):
 * processing is deterministic, so both attempts hold identical bytes and whichever commit lands
 * last renames identical files over identical files. To keep even that rare, an attempt whose
 * partition is already in the manifest is discarded instead of committed.
 */
import { SluiceError } from '../core/errors.js';
import { OutputCommitter, coordinatorLease, type ManifestEntry } from '../runtime/commit.js';
import type { PartitionResult } from '../runtime/partition.js';
import { NO_SINK_COMMITS, type SinkCommits } from '../runtime/sink-commits.js';
import type { Storage } from '../storage/index.js';
import type { PartitionJob } from './jobs.js';

export type CommitOutcome = { entry: ManifestEntry; duplicate?: boolean } | { superseded: string };

/**
 * Commits one finished attempt of a job's partition, unless the output now belongs to another
 * run (its lease is not held by the job's coordinator, or its run record names another plan or
 * config: the attempt is discarded) or the partition is already committed (the attempt is
 * discarded; the committed entry is returned).
 */
export async function commitAttempt(storage: Storage, job: PartitionJob, result: PartitionResult, sinks: SinkCommits = NO_SINK_COMMITS): Promise<CommitOutcome> {
  const committer = new OutputCommitter(storage, job.outputs, coordinatorLease(storage, job.outputs[0]!, job.runKey), sinks);
  const primary = job.outputs[0]!;
  const run = await committer.runRecord();
  if (!run || run.planFingerprint !== job.planFingerprint || run.configFingerprint !== job.configFingerprint) {
    await committer.discard(job.partition, result);
    return { superseded: `${primary} no longer holds this run's output (it was removed or overwritten by another run)` };
  }
  const existing = await committer.entry(job.partition.id);
  if (existing) {
    await committer.discard(job.partition, result);
    return { entry: existing, duplicate: true };
  }
  try {
    return { entry: await committer.commit(job.partition, result) };
  } catch (err) {
    if (!(err instanceof SluiceError) || err.code !== 'LEASE_LOST') throw err;
    await committer.discard(job.partition, result);
    return { superseded: err.message };
  }
}
