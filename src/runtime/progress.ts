/**
 * The progress hook of a run: what `run` tells a `ProgressReporter` while partitions go. The
 * display itself lives in the CLI (src/cli/progress.ts, `createProgress`).
 */

/** What the coordinator reports while a run goes (about every 100 ms). */
export interface ProgressState {
  /** Records read, written and failed so far, counting partitions committed by an earlier run. */
  read: number;
  written: number;
  failed: number;
  /** Bytes of this run's partitions read so far (judged from record offsets; see progress-channel.ts). */
  bytesRead?: number;
  /** Counts already committed by an earlier run (resume), excluded from the rate. */
  base: { read: number };
  partitionsDone: number;
  bytesDone: number;
}

/** What a run says about itself when it starts. */
export interface ProgressStart {
  partitions: number;
  /** Bytes of all partitions of the plan. */
  bytes: number;
  chain: string;
  /** The run's id: failure kinds are broadcast on a channel named after it (see `listenFailures`). */
  runId?: string;
  /** Bytes of partitions committed by an earlier run (resume). */
  resumedBytes?: number;
  /** The output directories: every sink's, the errors sink's last. */
  outputs?: string[];
}

/**
 * Receives a run's progress: `start` once, `update` about every 100 ms, `stop` at the end.
 *
 * @example
 * const progress: ProgressReporter = { start() {}, update(s) { console.error(s.read) }, stop() {} };
 * await run(pipeline, { progress });
 */
export interface ProgressReporter {
  start(info: ProgressStart): void;
  update(state: ProgressState): void;
  /** A one-line warning from the run (a stage leaking tensors, a worker replaced), shown once. */
  warn?(message: string): void;
  /** One line worth telling while the run goes (a retried partition). */
  note?(line: string): void;
  stop(): void;
}

