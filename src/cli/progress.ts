/**
 * The progress display of `sluice run` on stderr. On a terminal: one live line that counts
 * records (read of an estimated total, judged from the bytes read of the bytes planned), a rate
 * over the last seconds, an ETA from the start, and failures, fitted to the terminal's width
 * (parts are dropped whole, never cut mid-word), coloured unless NO_COLOR. Elsewhere (a log, a
 * pipe): one plain line per interval. It also tallies failure kinds with a sample each, which
 * the CLI prints when a run fails.
 */
import cliProgress from 'cli-progress';
import { listenFailures, type FailureSample } from '../runtime/progress-channel.js';
import type { ProgressReporter, ProgressStart, ProgressState } from '../runtime/progress.js';
import { paint, type Paint } from './style.js';

/** Failure kinds seen during a run (`stage/code` → count) and the first sample of each. */
export interface FailureTally {
  byKind: Record<string, number>;
  samples: Record<string, FailureSample>;
}

/** The display, plus what the CLI needs after the run: the last counts and the failure kinds. */
export interface RunProgress extends ProgressReporter {
  last(): ProgressState | undefined;
  failures(): FailureTally;
  /** Stops drawing for good and prints `line` (Ctrl-C): nothing is drawn below it afterwards. */
  interrupt(line: string): void;
}

export interface ProgressOptions {
  /** Plain lines every this many ms when not on a terminal (default 10 s). */
  intervalMs?: number;
  /** Draw nothing (--quiet); failures are still tallied. */
  quiet?: boolean;
  /** Colour on a terminal; default: unless NO_COLOR is set. */
  color?: boolean;
  /** The rate is over this window (default 5 s). */
  rateWindowMs?: number;
  /** For tests: the clock. */
  now?: () => number;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
/** `12.3 kB`, `4.5 MB`, `1.2 GB`. */
const size = (bytes: number) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : bytes < 1e9 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e9).toFixed(2)} GB`);

/** `42s`, `3m05s`, `2h07m`, or `?`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The figures of one progress line, computed from the run's counters. */
export interface Figures {
  fraction: number | null;
  read: number;
  total: number | null;
  rate: number;
  eta: string;
  failed: number;
}

/**
 * Figures from a state: the fraction of bytes read (resumed partitions count as read), the total
 * records estimated from this run's records per byte, the rate over the window, the ETA from
 * this run's start.
 */
export function figures(start: ProgressStart, s: ProgressState, elapsedS: number, rate: number): Figures {
  const resumed = start.resumedBytes ?? 0;
  const planned = Math.max(0, start.bytes - resumed);
  const bytes = Math.min(planned, s.bytesRead ?? s.bytesDone - resumed);
  const thisRun = s.read - s.base.read;
  const part = planned > 0 ? bytes / planned : null;
  const fraction = start.bytes > 0 ? (resumed + bytes) / start.bytes : null;
  const total = part && part > 0 ? Math.max(s.read, Math.round(s.base.read + thisRun / part)) : null;
  const eta = part && part > 0 ? duration((elapsedS * (1 - part)) / part) : '?';
  return { fraction, read: s.read, total, rate, eta, failed: s.failed };
}

/**
 * One line from the figures, at most `width` characters wide. The fullest layout that fits wins:
 * the bar shrinks first, then a zero failure count goes, then the bar, the rate, the ETA; a
 * part is always dropped whole, so a word is never cut.
 *
 * @example
 * progressLine(f, 60, paint(false)) // "███░░░░░░░  42% 84,123/~200,000 rec · 22,463/s · 0 failed · ETA 1m05s"
 */
export function progressLine(f: Figures, width: number, c: Paint): string {
  const pct = f.fraction === null ? '  ?%' : `${String(Math.floor(Math.min(1, f.fraction) * 100)).padStart(3)}%`;
  const count = f.total === null ? `${n(f.read)} rec` : `${n(f.read)}/~${n(f.total)} rec`;
  const failed = `${n(f.failed)} failed`;
  const all = {
    count: { text: count, shown: count },
    rate: { text: `${n(f.rate)}/s`, shown: `${n(f.rate)}/s` },
    failed: { text: failed, shown: f.failed ? c.red(failed) : c.dim(failed) },
    eta: { text: `ETA ${f.eta}`, shown: `ETA ${f.eta}` },
  };
  type Part = keyof typeof all;
  const noZero = (list: Part[]) => (f.failed ? list : list.filter((p) => p !== 'failed'));
  const layouts: { parts: Part[]; bar: boolean }[] = [
    { parts: ['count', 'rate', 'failed', 'eta'], bar: true },
    { parts: noZero(['count', 'rate', 'failed', 'eta']), bar: true },
    { parts: noZero(['count', 'rate', 'failed', 'eta']), bar: false },
    { parts: noZero(['count', 'failed', 'eta']), bar: false },
    { parts: noZero(['count', 'failed']), bar: false },
    { parts: ['count'], bar: false },
    { parts: [], bar: false },
  ];
  const sep = ' · ';
  const MIN_BAR = 8;
  for (const layout of layouts) {
    const text = [pct, layout.parts.map((p) => all[p].text).join(sep)].filter(Boolean).join(' ');
    const room = width - text.length - 1;
    if (layout.bar ? room < MIN_BAR : text.length > width) continue;
    const bar = layout.bar ? Math.min(30, room) : 0;
    const filled = f.fraction === null ? 0 : Math.round(Math.min(1, f.fraction) * bar);
    const barText = bar ? `${c.green('█'.repeat(filled))}${c.dim('░'.repeat(bar - filled))} ` : '';
    return `${barText}${[c.bold(pct), layout.parts.map((p) => all[p].shown).join(c.dim(sep))].filter(Boolean).join(' ')}`;
  }
  return '';
}

/**
 * The progress display on `out` (stderr).
 *
 * @example
 * const progress = createProgress(process.stderr);
 * await runPipeline(loaded, { progress });
 */
export function createProgress(out: NodeJS.WriteStream, options: ProgressOptions = {}): RunProgress {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  const windowMs = options.rateWindowMs ?? 5_000;
  const tty = Boolean(out.isTTY) && !options.quiet;
  const c = paint(options.color ?? (tty && !process.env.NO_COLOR));
  let info: ProgressStart = { partitions: 0, bytes: 0, chain: '' };
  let startedAt = 0;
  let lastLine = 0;
  let last: ProgressState | undefined;
  let frozen = false;
  let bar: cliProgress.SingleBar | undefined;
  let offFailures: (() => void) | undefined;
  const samples: { t: number; read: number }[] = [];
  const tally: FailureTally = { byKind: {}, samples: {} };

  const rate = (s: ProgressState) => {
    const t = now();
    samples.push({ t, read: s.read });
    while (samples.length > 2 && samples[0]!.t < t - windowMs) samples.shift();
    const first = samples[0]!;
    return t > first.t ? ((s.read - first.read) * 1000) / (t - first.t) : 0;
  };
  const current = (s: ProgressState) => figures(info, s, (now() - startedAt) / 1000, rate(s));
  const clearLine = () => {
    if (bar) out.write('\r\x1b[K');
  };

  return {
    start(i) {
      info = i;
      startedAt = now();
      lastLine = startedAt;
      if (i.runId) {
        offFailures = listenFailures(i.runId, (m) => {
          for (const [kind, count] of Object.entries(m.byKind)) tally.byKind[kind] = (tally.byKind[kind] ?? 0) + count;
          for (const sample of m.samples) tally.samples[`${sample.stage}/${sample.code}`] ??= sample;
        });
      }
      if (options.quiet) return;
      out.write(`sluice: ${i.chain}: ${i.partitions} partition${i.partitions === 1 ? '' : 's'}, ${size(i.bytes)}\n`);
      if (tty) {
        bar = new cliProgress.SingleBar({
          stream: out,
          // The line is ours (fitted to the width); cli-progress redraws it and hides the cursor.
          format: (_o: unknown, _p: unknown, payload: { line?: string }) => payload.line ?? '',
          hideCursor: true,
          clearOnComplete: true,
          linewrap: false,
          fps: 5,
        });
        bar.start(100, 0, { line: '' });
      }
    },
    update(s) {
      last = s;
      if (frozen || options.quiet) {
        rate(s);
        return;
      }
      const f = current(s);
      if (bar) {
        const width = Math.max(20, (out.columns || 80) - 1);
        bar.update(Math.floor((f.fraction ?? 0) * 100), { line: progressLine(f, width, c) });
      } else if (now() - lastLine >= intervalMs) {
        lastLine = now();
        const pct = f.fraction === null ? '?' : `${Math.floor(f.fraction * 100)}%`;
        const total = f.total === null ? '' : ` of ~${n(f.total)}`;
        out.write(`sluice: progress: ${pct}, ${n(f.read)}${total} records read, ${n(f.rate)} records/s, ${n(f.failed)} failed, ETA ${f.eta}\n`);
      }
    },
    warn(message) {
      clearLine();
      out.write(`sluice: warning: ${message}\n`);
    },
    note(line) {
      clearLine();
      out.write(`sluice: ${line}\n`);
    },
    interrupt(line) {
      frozen = true;
      bar?.stop();
      bar = undefined;
      out.write(`${line}\n`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
      // Messages still in flight from worker threads arrive before the channel closes.
      const off = offFailures;
      offFailures = undefined;
      if (off) setImmediate(off);
    },
    last: () => last,
    failures: () => tally,
  };
}
