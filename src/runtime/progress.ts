import cliProgress from 'cli-progress';

/** What the coordinator reports while a run goes. */
export interface ProgressState {
  read: number;
  written: number;
  failed: number;
  /** Counts already committed by an earlier run (resume), excluded from the rate. */
  base: { read: number };
  partitionsDone: number;
  bytesDone: number;
}

export interface ProgressReporter {
  start(info: { partitions: number; bytes: number; chain: string }): void;
  update(state: ProgressState): void;
  /** A one-line warning from the run (a stage leaking tensors, a worker replaced), shown once. */
  warn?(message: string): void;
  /** One line worth telling while the run goes (a retried partition). */
  note?(line: string): void;
  stop(): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Progress on stderr: a live bar (records/s, partitions done of total, ETA) on a terminal,
 * plain lines every `intervalMs` otherwise (logs of nightly jobs stay readable).
 *
 * @example
 * const progress = createProgress(process.stderr);
 */
export function createProgress(out: NodeJS.WriteStream, intervalMs = 10_000): ProgressReporter {
  let total = { partitions: 0, bytes: 0 };
  let startedAt = 0;
  let last: ProgressState | undefined;
  let lastLine = 0;
  let bar: cliProgress.SingleBar | undefined;

  const figures = (s: ProgressState) => {
    const elapsed = (Date.now() - startedAt) / 1000;
    const rate = elapsed > 0 ? (s.read - s.base.read) / elapsed : 0;
    const frac = total.bytes > 0 ? s.bytesDone / total.bytes : 0;
    const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : NaN;
    return { rate: Math.round(rate), eta: duration(eta), pct: Math.floor(frac * 100) };
  };

  return {
    start(info) {
      total = info;
      startedAt = Date.now();
      lastLine = startedAt;
      out.write(`sluice: ${info.chain}: ${info.partitions} partition${info.partitions === 1 ? '' : 's'}, ${(info.bytes / 1e6).toFixed(1)} MB\n`);
      if (out.isTTY) {
        bar = new cliProgress.SingleBar(
          {
            stream: out,
            format: '{bar} {percentage}% | {partitionsDone}/{partitions} partitions | {read} records | {rate} rec/s | {failed} failed | ETA {etaText}',
            hideCursor: true,
            clearOnComplete: true,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(100, 0, { partitionsDone: 0, partitions: info.partitions, read: 0, rate: 0, failed: 0, etaText: '?' });
      }
    },
    update(s) {
      last = s;
      const f = figures(s);
      if (bar) {
        bar.update(f.pct, { partitionsDone: s.partitionsDone, partitions: total.partitions, read: s.read, rate: f.rate, failed: s.failed, etaText: f.eta });
      } else if (Date.now() - lastLine >= intervalMs) {
        lastLine = Date.now();
        out.write(`progress: ${s.partitionsDone}/${total.partitions} partitions, ${s.read} records read (${f.rate}/s), ${s.failed} failed, ETA ${f.eta}\n`);
      }
    },
    warn(message) {
      // On a terminal the bar redraws itself on its line; the warning takes a line of its own.
      out.write(`${bar ? '\n' : ''}sluice: warning: ${message}\n`);
    },
    note(line) {
      // On a terminal the bar redraws itself on its next update, below the line.
      out.write(`${bar ? '\n' : ''}sluice: ${line}\n`);
    },
    stop() {
      if (bar) bar.stop();
      bar = undefined;
      void last;
    },
  };
}
