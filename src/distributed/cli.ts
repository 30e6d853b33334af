/**
 * The command-line ends of distributed runs, kept out of cli/main.ts so that it only gains an
 * option and a command: `run` with a coordinator, and `sluice worker`.
 */
import os from 'node:os';
import { EXIT, SluiceError } from '../core/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { applyThreadLayout, threadLayout } from '../model/threads.js';
import type { Graph } from '../graph/build.js';
import type { Storage } from '../storage/index.js';
import { formatSummary } from '../cli/summary.js';
import { jsonOutcome } from '../cli/outcome.js';
import { redisUrlProblem } from './redis-url.js';

const say = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * First signal: `onFirst` (stop gracefully); second: exit at once with `message`. Returns a
 * function that removes the handlers.
 */
function onSignals(onFirst: (sig: string) => void, message: string): () => void {
  let count = 0;
  const handler = (sig: string) => {
    if (++count > 1) {
      say(`sluice: ${sig} again: ${message}`);
      process.exit(EXIT.runFailed);
    }
    onFirst(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** `sluice run` when the config names a coordinator: the run goes through the queue. */
export async function runDistributedCommand(
  { loaded, graph, storage }: { loaded: LoadedConfig; graph: Graph; storage: Storage },
  opts: { overwrite?: boolean; json?: boolean },
): Promise<number> {
  const coordinator = (loaded.config.execution as { coordinator?: unknown } | undefined)?.coordinator;
  const problem = typeof coordinator === 'string' ? redisUrlProblem(coordinator) : null;
  if (problem) throw new SluiceError('CONFIG_INVALID', `/execution/coordinator: ${problem}, got ${JSON.stringify(coordinator)}`);
  const { runDistributed } = await import('./coordinator.js');
  const { createProgress } = await import('../cli/progress.js');
  const interrupt = new AbortController();
  const off = onSignals((sig) => {
    say(`sluice: ${sig}: taking the waiting partitions off the queue (committed partitions are kept; press Ctrl-C again to exit at once)`);
    interrupt.abort();
  }, 'exiting now; run the same command again to resume');
  try {
    const summary = await runDistributed(loaded, graph, storage, { overwrite: opts.overwrite, signal: interrupt.signal, progress: createProgress(process.stderr), log: say });
    // The same one object as a local run's --json: {"status": "succeeded", …the summary}.
    if (opts.json) process.stdout.write(jsonOutcome('succeeded', summary as unknown as Record<string, unknown>));
    else process.stderr.write(formatSummary(summary));
    return EXIT.ok;
  } finally {
    off();
  }
}

/** Options of `sluice worker` as commander gives them (strings). */
export interface WorkerCliOptions {
  coordinator: string;
  threads?: string;
  lockDuration: string;
  stalledInterval: string;
  maxStalled: string;
  redisTimeout: string;
  idleExit?: string;
}

/** A positive number of seconds (or a count) from the command line, or a USAGE error naming the flag. */
function positive(flag: string, text: string, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new SluiceError('USAGE', `${flag}: must be a ${integer ? 'whole number' : 'number'} > 0, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `sluice worker --coordinator redis://…`: runs partitions until stopped. */
export async function workerCommand(opts: WorkerCliOptions): Promise<number> {
  const problem = redisUrlProblem(opts.coordinator);
  if (problem) throw new SluiceError('USAGE', `--coordinator: ${problem}, got ${JSON.stringify(opts.coordinator)}`);
  const o = {
    coordinator: opts.coordinator,
    threads: opts.threads === undefined ? os.availableParallelism() : positive('--threads', opts.threads, true),
    lockDuration: positive('--lock-duration', opts.lockDuration) * 1000,
    stalledInterval: positive('--stalled-interval', opts.stalledInterval) * 1000,
    maxStalledCount: positive('--max-stalled', opts.maxStalled, true),
    redisTimeout: positive('--redis-timeout', opts.redisTimeout) * 1000,
    idleExit: opts.idleExit === undefined ? undefined : positive('--idle-exit', opts.idleExit) * 1000,
  };
  // The thread model (docs/native.md): a tensorflow run's model runs in the process's model
  // host thread (worker-process.ts), whose runtime is the process's only one, sized to the cores.
  applyThreadLayout(threadLayout('tensorflow', os.availableParallelism(), o.threads));
  const { runWorkerProcess } = await import('./worker-process.js');
  const stop = new AbortController();
  const off = onSignals((sig) => {
    say(`sluice: worker: ${sig}: finishing the partitions in hand, then leaving (again to leave at once; they will be redelivered)`);
    stop.abort();
  }, 'leaving now; the partitions in hand will be redelivered to other workers');
  try {
    await runWorkerProcess({ ...o, signal: stop.signal, log: say });
    return EXIT.ok;
  } finally {
    off();
  }
}
