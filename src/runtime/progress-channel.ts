/**
 * The progress hook between partition attempts (in worker threads) and whoever shows a run's
 * progress (the CLI's display): how far into its partition a source has read, and the kinds of
 * failures seen with one sample each. Records and bytes travel through `LiveCounters` (shared
 * memory, no messages); failure kinds, being strings, through a `BroadcastChannel` named after
 * the run, one message per chunk that has failures. Nothing here changes what a run does.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { Failure, Partition, RawRecord } from '../core/types.js';

/** One sample of a failure kind: where it happened and what was said. */
export interface FailureSample {
  code: string;
  stage: string;
  source: string;
  index: number | null;
  offset: number | null;
  key: string | number | null;
  error: string;
}

/** What a chunk with failures reports: counts by `stage/code`, and a sample of kinds new to its partition. */
export interface FailureMessage {
  byKind: Record<string, number>;
  samples: FailureSample[];
}

const channelName = (runId: string) => `sluice-failures-${runId}`;
const channels = new Map<string, BroadcastChannel>();

/** `stage/code`, e.g. `decode/missing-feature`: the name of a failure kind in reports. */
export const kindOf = (f: { stage: string; code: string }) => `${f.stage}/${f.code}`;

/**
 * A partition's reporter of failure kinds; `report(failures)` once per chunk.
 *
 * @example
 * const failures = failureReporter(env.runId); failures.report(chunkFailures);
 */
export function failureReporter(runId: string): { report(failures: Failure[]): void } {
  const sampled = new Set<string>();
  return {
    report(failures) {
      if (!failures.length) return;
      let channel = channels.get(runId);
      if (!channel) {
        channel = new BroadcastChannel(channelName(runId));
        // Never keeps a worker thread alive.
        (channel as unknown as { unref(): void }).unref();
        channels.set(runId, channel);
      }
      const message: FailureMessage = { byKind: {}, samples: [] };
      for (const f of failures) {
        const kind = kindOf(f);
        message.byKind[kind] = (message.byKind[kind] ?? 0) + 1;
        if (sampled.has(kind)) continue;
        sampled.add(kind);
        message.samples.push({ code: f.code, stage: f.stage, source: f.source, index: f.index, offset: f.offset, key: typeof f.key === 'bigint' ? String(f.key) : f.key, error: f.error });
      }
      channel.postMessage(message);
    },
  };
}

/**
 * Listens to the failure kinds of a run (see `failureReporter`). `close()` when the run ends.
 *
 * @example
 * const off = listenFailures(runId, (m) => tally(m));
 */
export function listenFailures(runId: string, onMessage: (m: FailureMessage) => void): () => void {
  const channel = new BroadcastChannel(channelName(runId));
  (channel as unknown as { unref(): void }).unref();
  channel.onmessage = (event) => onMessage((event as { data: FailureMessage }).data);
  return () => channel.close();
}

/**
 * Bytes of a partition read so far, judged from its records: the end of the last record whose
 * offset is known (a multi-file partition adds each file's size). Records without an offset
 * (Parquet rows) move nothing; the partition counts in full when it completes.
 */
export function bytesTracker(p: Partition): { advance(chunk: readonly unknown[]): number; rest(): number; counted(): number } {
  const size = Math.max(0, p.end - p.start);
  let counted = 0;
  const length = (raw: RawRecord['raw'] | undefined) => (typeof raw === 'string' ? Buffer.byteLength(raw) : (raw?.byteLength ?? 0));
  const move = (to: number) => {
    const next = Math.min(size, Math.max(counted, to));
    const step = next - counted;
    counted = next;
    return step;
  };
  return {
    advance(chunk) {
      if (!chunk.length) return 0;
      if (p.files && p.files.length > 1) {
        let add = 0;
        for (const r of chunk) add += length((r as RawRecord).raw);
        return move(counted + add);
      }
      const last = chunk[chunk.length - 1] as Partial<RawRecord>;
      if (typeof last.offset !== 'number') return 0;
      return move(last.offset - p.start + length(last.raw) + 1);
    },
    rest: () => move(size),
    counted: () => counted,
  };
}
