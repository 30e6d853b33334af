/**
 * How a `sluice run` ended, told three ways: a human report on stderr, one JSON object on
 * stdout (`--json`), and `_STATUS.json` beside the output (for machines watching the output, not
 * the process). `status` is one of `succeeded`, `failed`, `invalid`, `interrupted` (and `valid`
 * for `validate`).
 */
import { SluiceError, describeError } from '../core/errors.js';
import type { Json } from '../core/types.js';
import { joinUri, type Storage } from '../storage/index.js';
import type { RunSummary } from '../runtime/run.js';
import type { FailureTally, RunProgress } from './progress.js';
import type { ProgressStart } from '../runtime/progress.js';
import { prefixed, type Paint } from './style.js';

export type Status = 'succeeded' | 'failed' | 'invalid' | 'interrupted' | 'valid';

/** The status file written beside a failed or interrupted run's output. */
export const STATUS_FILE = '_STATUS.json';

/** One failure kind in a report: `stage/code`, its count and a sample. */
export interface FailureKind {
  kind: string;
  count: number;
  sample?: { source: string; index: number | null; offset: number | null; key: string | number | null; error: string };
}

/** Failure kinds, the most frequent first. */
export function failureKinds(t: FailureTally): FailureKind[] {
  return Object.entries(t.byKind)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, count]) => {
      const s = t.samples[kind];
      return { kind, count, ...(s ? { sample: { source: s.source, index: s.index, offset: s.offset, key: s.key, error: s.error } } : {}) };
    });
}

/** What a run that stopped (exit 1) leaves for machines and people. */
export interface StoppedRun {
  status: 'failed' | 'interrupted';
  code: string;
  reason: string;
  counts: { read: number; written: number; failed: number };
  failures: FailureKind[];
  outputs: string[];
  errorOutput: string | null;
  errorFiles: string[];
  statusFiles: string[];
  /** The command that replaces this output once the config is fixed. */
  next: string | null;
  time: string;
}

/** `data/x.jsonl record 4` (or `@ byte 120` where the index is unknown). */
export function where(s: NonNullable<FailureKind['sample']>): string {
  if (s.index !== null) return `${s.source} record ${s.index}`;
  return s.offset !== null ? `${s.source} @ byte ${s.offset}` : s.source;
}

/** The reason with its top failure kind, e.g. `…; top reason: decode/missing-feature (154 records)`. */
export function reasonWithTop(reason: string, kinds: FailureKind[]): string {
  const top = kinds[0];
  if (!top || /top reason/.test(reason)) return reason;
  return `${reason}; top reason: ${top.kind} (${top.count.toLocaleString('en-US')} record${top.count === 1 ? '' : 's'})`;
}

/** Gathers what a stopped run left: counts, failure kinds, error files; writes `_STATUS.json`. */
export async function stoppedRun(err: SluiceError, progress: RunProgress, started: ProgressStart | undefined, storage: Storage, next: string | null): Promise<StoppedRun> {
  const last = progress.last();
  const outputs = started?.outputs ?? [];
  const errorOutput = outputs.length > 1 ? outputs[outputs.length - 1]! : null;
  const failures = failureKinds(progress.failures());
  const status = err.code === 'INTERRUPTED' ? 'interrupted' : 'failed';
  const out: StoppedRun = {
    status,
    code: err.code,
    reason: status === 'failed' && /budget|no record was predicted/.test(err.message) ? reasonWithTop(err.message, failures) : err.message,
    counts: { read: last?.read ?? 0, written: last?.written ?? 0, failed: last?.failed ?? 0 },
    failures,
    outputs: outputs.slice(0, errorOutput ? -1 : undefined),
    errorOutput,
    errorFiles: [],
    statusFiles: [],
    next: status === 'failed' && (err.code === 'ERROR_BUDGET' || err.code === 'NOTHING_SUCCEEDED') ? next : null,
    time: new Date().toISOString(),
  };
  if (errorOutput) {
    const names = await storage.children(errorOutput).catch(() => [] as string[]);
    out.errorFiles = names.filter((f) => f.startsWith('part-')).map((f) => joinUri(errorOutput, f));
  }
  const text = JSON.stringify(out, null, 2) + '\n';
  for (const dir of outputs) {
    // Best effort: an output that cannot be written is often why the run failed.
    const file = joinUri(dir, STATUS_FILE);
    if (await storage.writeAtomic(file, text).then(() => true, () => false)) out.statusFiles.push(file);
  }
  return out;
}

/** Removes a `_STATUS.json` an earlier failed run left, once this run succeeded. */
export async function clearStatus(summary: RunSummary, storage: Storage): Promise<void> {
  await Promise.all(summary.outputs.map((d) => storage.remove(joinUri(d, STATUS_FILE)).catch(() => undefined)));
}

/**
 * The stopped run's report on stderr. A run stopped by its failures (the error budget, nothing
 * predicted) gets the full report; one stopped by an interrupt or storage keeps its one line.
 */
export function formatStopped(r: StoppedRun, c: Paint): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (r.code !== 'ERROR_BUDGET' && r.code !== 'NOTHING_SUCCEEDED') return `${r.reason.split('\n').map(prefixed).join('\n')}\n`;
  const lines = [`${c.red('sluice:')} run failed: ${r.reason}`];
  lines.push(`  records    read ${n(r.counts.read)}, written ${n(r.counts.written)}, failed ${n(r.counts.failed)}`);
  if (r.failures.length) {
    lines.push(`  failures by kind (one sample each):`);
    for (const f of r.failures) {
      lines.push(`    ${c.bold(f.kind)} ${n(f.count)}`);
      if (f.sample) lines.push(`      ${where(f.sample)}${f.sample.key !== null ? ` (key ${JSON.stringify(f.sample.key)})` : ''}: ${f.sample.error}`);
    }
  }
  if (r.errorOutput) {
    lines.push(
      r.errorFiles.length
        ? `  error rows ${r.errorFiles.length <= 3 ? r.errorFiles.join(', ') : `${r.errorFiles.slice(0, 2).join(', ')} and ${r.errorFiles.length - 2} more in ${r.errorOutput}`}`
        : `  error rows none committed in ${r.errorOutput} (no partition completed; the samples above are all there is)`,
    );
  }
  if (r.statusFiles.length) lines.push(`  status     ${r.statusFiles[0]}${r.statusFiles.length > 1 ? ` (and beside every output)` : ''}`);
  if (r.next) lines.push(`  next       fix the config, then replace this failed output: ${c.bold(r.next)}`);
  return lines.join('\n') + '\n';
}

/** The JSON object `--json` prints for any outcome. */
export function jsonOutcome(status: Status, body: Record<string, unknown>): string {
  return JSON.stringify({ status, ...body } as Record<string, Json>) + '\n';
}

/** `--json` body of an error before or outside a run (invalid config, unexpected error). */
export function errorBody(err: unknown): Record<string, unknown> {
  if (err instanceof SluiceError) return { code: err.code, problems: err.lines };
  return { code: 'UNEXPECTED', problems: [describeError(err)] };
}
