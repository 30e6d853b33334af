import type { Chunk, PartitionContext, Row, RowWriter } from '../core/stage.js';
import type { Counts, Failure, Json, Partition, Prediction } from '../core/types.js';
import { isFailure } from '../core/failure.js';
import { mapAsync } from '../core/stream.js';
import { joinUri, type Storage } from '../storage/index.js';
import type { Instances } from './instances.js';
import { countFailure, emptyCounts, type LiveCounters } from './counts.js';
import { errorRow, predictionRow } from './rows.js';
import { createGuard, type AttemptSlot, type CallRange, type SkippedCall } from './watchdog.js';
import { bytesTracker, failureReporter } from './progress-channel.js';

/** A staged output of an attempt (state under `_temporary/`), and the name it takes when committed. */
export interface OutputFile {
  temp: string;
  final: string;
}

/** What one partition attempt produced: its counts and its files, ready to commit. */
export interface PartitionResult {
  id: number;
  counts: Counts;
  outputs: OutputFile[];
  /** What each sink's writer returned from `end()`, by sink position (null: nothing). */
  states: (Json | null)[];
  /** Facts the stages reported (see `StageReport`), by config path, e.g. `{"/model": {"batchSize": 128}}`. */
  facts?: Record<string, Record<string, Json>>;
  /** Warnings the stages gave, by `<config path> <id>`; the coordinator prints each once. */
  warnings?: Record<string, string>;
}

/**
 * `part-00007-of-00032.jsonl`: the committed name of partition 7 of 32. A sink may name its
 * files by another `base` (Vertex AI's `prediction.results`), and without `ext` (Vertex's names
 * have none): `prediction.results-00007-of-00032`.
 */
export function partName(p: Partition, ext: string, base = 'part'): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `${base}-${pad(p.id)}-of-${pad(p.of)}${ext ? `.${ext}` : ''}`;
}

/** A committed partition file of any sink (`<base>-NNNNN-of-NNNNN[.ext]`): what a rerun or --overwrite owns. */
export function isPartFile(name: string): boolean {
  return name.startsWith('part-') || /^[^_.][^/]*-\d{5}-of-\d{5}(\.[^/]*)?$/.test(name);
}

export interface AttemptEnv {
  storage: Storage;
  runId: string;
  attempt: number;
  signal: AbortSignal;
  counters?: LiveCounters;
  /** Shared with the coordinator, which times the partition and guarded calls (see watchdog.ts). */
  slot?: AttemptSlot;
  /** Calls that hung on earlier attempts as often as allowed: their records fail instead of running. */
  skipped?: SkippedCall[];
  /** Calls that hung on earlier attempts: a call holding one is split, to find the record that hangs (hangs.ts). */
  hung?: CallRange[];
}

/**
 * Runs one partition through the chain, top to bottom:
 * source → decode → key → model → post* → (predictions → every sink, Failures → errors sink).
 * Files go under `_temporary/` with names that never start with `part-`; the coordinator
 * commits them. Counts must reconcile (`read = written + failed`), or the attempt fails.
 */
export async function runPartition(inst: Instances, partition: Partition, env: AttemptEnv): Promise<PartitionResult> {
  const outputs: OutputFile[] = [];
  const part: PartitionContext = {
    partition,
    signal: env.signal,
    createOutput(dir, ext, base) {
      // Two sinks may share a directory when their bases differ (Vertex's results and errors): so may their temps.
      const tempBase = base && base !== 'part' ? `-${base}` : '';
      const temp = joinUri(dir, '_temporary', `${env.runId}-${String(partition.id).padStart(5, '0')}-attempt${env.attempt}${tempBase}.${ext}`);
      const final = joinUri(dir, partName(partition, ext, base));
      outputs.push({ temp, final });
      // The storage backend decides how the output stays invisible until the commit (a file
      // renamed, an S3 multipart upload completed, a GCS object uploaded): see StorageBackend.stage.
      return env.storage.stage(temp, final) as unknown as NodeJS.WritableStream;
    },
  };
  const counts = emptyCounts();
  const live = env.counters;
  // Progress hook (progress-channel.ts): bytes read and failure kinds, for the display only.
  const bytes = bytesTracker(partition);
  const failures = failureReporter(env.runId);

  let stream = inst.source.read(part).map((chunk: Chunk<unknown>) => {
    counts.read += chunk.length;
    live?.add(chunk.length, 0, 0, bytes.advance(chunk));
    return chunk;
  });
  // Each transform gets its own guard: positions of guarded calls count per stage.
  inst.transforms.forEach((t, i) => (stream = t.instance.transform(stream, { ...part, guard: createGuard(env.slot, i, env.skipped ?? [], env.hung ?? []) })));
  env.slot?.partitionStarted();

  const writers: RowWriter[] = inst.sinks.map((s) => s.open(part));
  const errorWriter = inst.errors.open(part);

  const writeChunk = async (chunk: Chunk<unknown>): Promise<void> => {
    const rows: Row[] = [];
    const errorRows: Row[] = [];
    const failed: Failure[] = [];
    for (const item of chunk) {
      if (isFailure(item)) {
        countFailure(counts, item);
        failed.push(item);
        errorRows.push(errorRow(item));
      } else {
        rows.push(predictionRow(item as Prediction));
      }
    }
    counts.written += rows.length;
    if (rows.length) await Promise.all(writers.map((w) => w.write(rows)));
    if (errorRows.length) await errorWriter.write(errorRows);
    live?.add(0, rows.length, errorRows.length);
    failures.report(failed);
  };

  let states: (Json | null)[];
  try {
    await new Promise<void>((resolve, reject) => {
      stream
        .through(mapAsync(writeChunk, { concurrency: 1, ordered: true }))
        .stopOnError(reject)
        .done(resolve);
    });
    const ended = await Promise.all([...writers, errorWriter].map((w) => w.end()));
    states = ended.slice(0, writers.length).map((s) => s ?? null);
  } catch (err) {
    live?.subtract({ ...counts, bytes: bytes.counted() });
    // Abort, never end, a failed attempt: a sink must be able to tell it from a complete one
    // (an external sink must deliver nothing of it). Staged files are removed by the committer.
    await Promise.allSettled([...writers, errorWriter].map(async (w) => (w.abort ? w.abort() : w.end())));
    throw err;
  }
  if (counts.read !== counts.written + counts.failed) {
    live?.subtract({ ...counts, bytes: bytes.counted() });
    throw new Error(
      `partition ${partition.id} (${partition.source}) does not reconcile: read ${counts.read} records but wrote ${counts.written} and failed ${counts.failed}`,
    );
  }
  live?.add(0, 0, 0, bytes.rest());
  return { id: partition.id, counts, outputs, states, ...stageReports(inst) };
}

/** What every transform has to report after a completed partition (see `StageReport`). */
function stageReports(inst: Instances): Pick<PartitionResult, 'facts' | 'warnings'> {
  const facts: Record<string, Record<string, Json>> = {};
  const warnings: Record<string, string> = {};
  for (const t of inst.transforms) {
    const report = t.instance.report?.();
    if (report?.facts) facts[t.path] = report.facts;
    for (const [id, message] of Object.entries(report?.warnings ?? {})) warnings[`${t.path} ${id}`] = message;
  }
  return { facts, warnings };
}
