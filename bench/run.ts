/**
 * Sluice's benchmark: `npm run bench` (build, then `node dist/bench/run.js`).
 *
 * Benchmarks are not tests: this prints ratios measured side by side in one run, because the
 * machine is noisy and only a ratio of neighbours means something. Every contender runs as
 * its own child process and is timed end to end (spawn to exit), ROUNDS times, rounds
 * interleaved so that a noisy moment hits all contenders alike; each figure is the best round
 * (BENCH_STAT=median for the median). Sluice runs as a user runs it: the CLI, from an unrelated
 * working directory, start-up and model load included, into an output folder removed before
 * each run.
 *
 * Besides the process time, each contender's own report is kept: the seconds of a baseline's
 * timed loop (start-up, model load and batch building excluded) and the `seconds` of Sluice's
 * run summary. The closing table (issue 21's) shows the ratio both ways, which is what made
 * an outside benchmark and this one disagree (docs/performance.md, "Benchmark").
 *
 * Shorter runs: BENCH_QUICK=1 scales every row count down 10× (start-up then dominates, so
 * its ratios say little); BENCH_ROUNDS=N; BENCH_TABLE=1 runs only the contenders of issue 21's
 * table and none of the extra benchmarks (TFRecord, out-of-memory, distributed);
 * BENCH_BIG_ROWS=N sizes the model-dominated workload; BENCH_HUGE_ROWS=10000000 adds a peak
 * RSS run of that many rows (opt-in: minutes); BENCH_DATA=dir keeps the generated data outside
 * the checkout.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { MODELS, ensureDataset, projectRoot, type Dataset } from './workloads.js';
import { measure, median, rssMethod, selfReported, type Measurement } from './measure.js';
import { nativeProblem } from '../src/model/native.js';
import { threadLayout } from '../src/model/threads.js';
import { spawnSync } from 'node:child_process';

// Every contender (Sluice, the bare native loop, Python TensorFlow) on the same TensorFlow kernels:
// Sluice turns oneDNN off by default (docs/native.md), so the children inherit that choice.
process.env['TF_ENABLE_ONEDNN_OPTS'] ??= '0';
const QUICK = process.env['BENCH_QUICK'] === '1';
const SCALE = QUICK ? 0.1 : 1;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
/** The figure kept of a contender's rounds: the best (as the issue's outside benchmark) or the median. */
const STAT: 'best' | 'median' = process.env['BENCH_STAT'] === 'median' ? 'median' : 'best';
/** BENCH_TABLE=1: only issue 21's table (no native, Python, TFRecord, out-of-memory or distributed runs). */
const TABLE_ONLY = process.env['BENCH_TABLE'] === '1';
/**
 * BENCH_NATIVE_ONLY=1: only issue 17's comparisons (the native backend, auto, wasm with 2
 * workers, the bare native loop and the Python peer), none of the other benchmarks: a short run
 * on a busy machine.
 */
const NATIVE_ONLY = process.env['BENCH_NATIVE_ONLY'] === '1';
const CLI = path.join(projectRoot, 'dist/src/cli/main.js');
const BASELINES = path.join(projectRoot, 'dist/bench/baselines');
const haveCli = fs.existsSync(CLI);
/** The native backend's contenders run where `npm run native` ran. */
const NATIVE = nativeProblem() === null;
/** Python TensorFlow for the peer script: $SLUICE_PYTHON or the project's reference venv, if it imports. */
const PYTHON = [process.env['SLUICE_PYTHON'], path.join(projectRoot, '.python-ref/bin/python')]
  .find((py) => py && fs.existsSync(py) && spawnSync(py, ['-c', 'import tensorflow'], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } }).status === 0);

/** One contender of a section: a command line plus a check of what it printed. */
interface Contender {
  label: string;
  /** Samples are shared between contenders with the same id (one run serves two sections). */
  id: string;
  rows: number;
  args: string[];
  /** Runs before each (untimed), e.g. removing the previous run's output. */
  prepare?(): void;
  /** Throws when the run's output shows it did not do the whole job. */
  check(m: Measurement): void;
  sluice?: boolean;
  /** The program run (default: this Node), e.g. Python for the peer script. */
  command?: string;
}

/** A target: `contender`'s metric against `baseline`'s, as a ratio bound. */
interface Target {
  contender: string;
  baseline: string;
  metric: 'rows/s' | 'rss';
  bound: number;
  /** The workload's name in issue 21's table, for the targets that table sets. */
  issue?: string;
}

interface Section {
  title: string;
  contenders: Contender[];
  targets: Target[];
}

const samples = new Map<string, Measurement[]>();
/** Contenders that crashed or did not do the whole job, by id: shown as errors, not timed again. */
const errors = new Map<string, string>();

function checkBaseline(rows: number) {
  return (m: Measurement): void => {
    const result = JSON.parse(m.stdout.trim().split('\n').at(-1) ?? '{}') as { rows?: number };
    if (result.rows !== rows) throw new Error(`baseline handled ${result.rows} rows, expected ${rows}`);
  };
}

/**
 * Checks Sluice's --json summary: a fresh run (nothing resumed) with the workers asked for
 * that wrote every row and failed none; otherwise its time would not be comparable.
 */
function checkSluice(rows: number, workers: number) {
  return (m: Measurement): void => {
    const s = JSON.parse(m.stdout) as {
      counts?: { written?: number; failed?: number };
      partitions?: { resumed?: number };
      workers?: number;
    };
    const problems = [
      s.counts?.written !== rows && `wrote ${s.counts?.written} of ${rows} rows`,
      s.counts?.failed !== 0 && `failed ${s.counts?.failed} rows`,
      s.partitions?.resumed !== 0 && `resumed ${s.partitions?.resumed} partitions`,
      s.workers !== workers && `ran ${s.workers} workers, not ${workers}`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`sluice ${problems.join(', ')}: ${m.stdout.slice(0, 500)}`);
  };
}

function bare(d: Dataset, threads: number): Contender {
  return {
    label: `bare loop, ${threads} thread${threads > 1 ? 's' : ''}`,
    id: `bare:${d.modelJson}:${d.rows}:${threads}`,
    rows: d.rows,
    args: [path.join(BASELINES, 'bare-loop.js'), d.modelJson, String(d.rows), String(threads)],
    check: checkBaseline(d.rows),
  };
}

function bareNative(d: Dataset): Contender {
  return { ...bare(d, 1), label: 'bare native loop, 1 thread', id: `bare-native:${d.modelJson}:${d.rows}`, args: [...bare(d, 1).args, 'tensorflow'] };
}

/** The peer a user would pick instead: Python TensorFlow, the same Keras model, batches of 256. */
function pythonPeer(d: Dataset): Contender {
  return {
    label: 'Python TensorFlow script',
    id: `python:${d.dataFile}`,
    rows: d.rows,
    command: PYTHON,
    args: [path.join(projectRoot, 'bench/baselines/python_peer.py'), d.modelJson, d.dataFile, path.join(path.dirname(d.dataFile), 'python-out.jsonl')],
    check: checkBaseline(d.rows),
  };
}

/** Sluice on `backend` (auto: tensorflow here when NATIVE), its default worker count from the thread model. */
function sluiceOn(d: Dataset, backend: 'auto' | 'tensorflow', workers: number): Contender {
  const c = sluice(d, workers, `sluice ${backend}, ${workersLabel(workers)}`);
  return { ...c, id: `sluice:${d.pipeline}:${workers}:${backend}`, args: [...c.args, '--set', `model.backend=${backend}`] };
}

/** The thread model's default worker count on tensorflow (one fewer than the cores: docs/native.md), and the cores. */
const WORKERS = threadLayout('tensorflow', os.availableParallelism()).workers;
const CORES = os.availableParallelism();
const workersLabel = (n: number) => `${n} worker${n > 1 ? 's' : ''}`;
/** The native contenders' labels, as targets name them. */
const TF = `sluice tensorflow, ${workersLabel(WORKERS)}`;
const AUTO = `sluice auto, ${workersLabel(WORKERS)}`;

/**
 * The native contenders and the Python peer of a section, where they can run: the default
 * layout, and tensorflow with one worker per core beside it (the choice the default is measured against).
 */
function nativeContenders(d: Dataset, withBare: boolean): Contender[] {
  const perCore = CORES !== WORKERS ? [sluiceOn(d, 'tensorflow', CORES)] : [];
  return [
    ...(NATIVE ? [...(withBare ? [bareNative(d)] : []), sluiceOn(d, 'tensorflow', WORKERS), ...perCore, sluiceOn(d, 'auto', WORKERS)] : []),
    ...(PYTHON ? [pythonPeer(d)] : []),
  ];
}

function plain(d: Dataset): Contender {
  return {
    label: 'plain script, 1 thread',
    id: `plain:${d.dataFile}`,
    rows: d.rows,
    args: [path.join(BASELINES, 'plain-script.js'), d.modelJson, d.dataFile, path.join(path.dirname(d.dataFile), 'baseline-out.jsonl')],
    check: checkBaseline(d.rows),
  };
}

function jsonLoop(d: Dataset): Contender {
  return {
    label: 'JSON parse+stringify, 1 thread',
    id: `json:${d.dataFile}`,
    rows: d.rows,
    args: [path.join(BASELINES, 'json-loop.js'), d.dataFile, path.join(path.dirname(d.dataFile), 'baseline-out.jsonl')],
    check: checkBaseline(d.rows),
  };
}

function sluice(d: Dataset, workers: number, label = `sluice wasm, ${workers} worker${workers > 1 ? 's' : ''}`): Contender {
  return {
    label,
    id: `sluice:${d.pipeline}:${workers}`,
    rows: d.rows,
    // wasm named: the pipeline's `auto` is tensorflow where `npm run native` ran (sluiceOn runs that).
    args: [CLI, 'run', d.pipeline, '--json', '--overwrite', '--set', `execution.workers=${workers}`, '--set', 'model.backend=wasm'],
    // Removed before each run so that deleting the last run's output is not timed in this one.
    prepare: () => fs.rmSync(d.sluiceOut, { recursive: true, force: true }),
    check: checkSluice(d.rows, workers),
    sluice: true,
  };
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const log = (msg: string): void => { process.stderr.write(`${msg}\n`); };

/** Runs every contender of a section ROUNDS times, interleaved, into `samples`. */
async function runSection(section: Section): Promise<void> {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of section.contenders) {
      if ((c.sluice && !haveCli) || errors.has(c.id)) continue;
      const done = samples.get(c.id) ?? [];
      if (done.length >= round) continue; // already measured for another section
      c.prepare?.();
      let m: Measurement;
      try {
        m = await measure(c.args, os.tmpdir(), c.command);
        c.check(m);
      } catch (err) {
        // One broken contender should not hide the others' figures.
        errors.set(c.id, err instanceof Error ? err.message : String(err));
        log(`  [${round}/${ROUNDS}] ${section.title} · ${c.label}: ERROR ${errors.get(c.id)}`);
        continue;
      }
      samples.set(c.id, [...done, m]);
      const own = selfReported(m);
      log(`  [${round}/${ROUNDS}] ${section.title} · ${c.label}: ${m.seconds.toFixed(2)} s` +
        (own === undefined ? '' : ` (${c.sluice ? 'summary' : 'loop'} ${own.toFixed(2)} s)`) +
        `, ${(c.rows / m.seconds).toFixed(0)} rows/s, ${mb(m.rssBytes)} MB, load ${os.loadavg()[0]!.toFixed(1)}`);
    }
  }
}

/** What the table shows of a contender: STAT of its rounds (the best is the fastest, or the smallest peak RSS). */
interface Stats {
  rowsPerSec: number;
  rssBytes: number;
  /** Process wall time, spawn to exit. */
  seconds: number;
  /** The contender's own report: a baseline's timed loop, Sluice's summary `seconds`. */
  reportedSeconds: number | undefined;
}

/** STAT of a list: the best (smallest, or largest when `larger` is better) or the median. */
function pick(values: number[], larger = false): number {
  if (STAT === 'median') return median(values);
  return larger ? Math.max(...values) : Math.min(...values);
}

/** A contender's figures, or undefined when it did not run (or broke). */
function stats(c: Contender): Stats | undefined {
  const s = samples.get(c.id);
  if (!s?.length || errors.has(c.id)) return undefined;
  const reported = s.map(selfReported).filter((x): x is number => x !== undefined);
  return {
    rowsPerSec: pick(s.map((m) => c.rows / m.seconds), true),
    rssBytes: pick(s.map((m) => m.rssBytes)),
    seconds: pick(s.map((m) => m.seconds)),
    reportedSeconds: reported.length === s.length ? pick(reported) : undefined,
  };
}

/** Prints the table: per workload, one line per contender, with its target and verdict. */
function printTable(sections: Section[]): void {
  const header = ['contender', 'rows/s', 'peak RSS MB', 'ratio', 'target', 'result'];
  // One line per contender and target (a contender may have several, e.g. against wasm and Python).
  const bySection = sections.map((section) => section.contenders.flatMap((c) => {
    const st = stats(c);
    const targets = section.targets.filter((t) => t.contender === c.label);
    return (targets.length ? targets : [undefined]).map((target) => {
      let [ratio, goal, result] = ['', '', ''];
      if (target) {
        const bs = stats(section.contenders.find((b) => b.label === target.baseline)!);
        const rss = target.metric === 'rss';
        goal = `${rss ? '≤' : '≥'} ${target.bound}× ${target.baseline}${rss ? ' (RSS)' : ''}`;
        if (st && bs) {
          const r = rss ? st.rssBytes / bs.rssBytes : st.rowsPerSec / bs.rowsPerSec;
          ratio = `${r.toFixed(2)}×`;
          result = (rss ? r <= target.bound : r >= target.bound) ? 'PASS' : 'MISS';
        } else {
          result = errors.has(c.id) ? 'ERROR' : 'SKIP';
        }
      }
      return [c.label, st ? st.rowsPerSec.toFixed(0) : 'n/a', st ? mb(st.rssBytes) : 'n/a', ratio, goal, result];
    });
  }));
  const all = [header, ...bySection.flat()];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  // Numbers right-aligned, text left-aligned.
  const line = (r: string[]): string => '  ' + r.map((cell, j) => (j >= 1 && j <= 3 ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))).join('  ').trimEnd();
  console.log(line(header));
  sections.forEach((section, i) => {
    console.log(`${section.title}`);
    for (const r of bySection[i]!) console.log(line(r));
  });
}

/** Aligns a table: numbers (cells that start with a digit or ×) right, text left. */
function printAligned(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) {
    console.log('  ' + r.map((cell, j) => (/^[\d×.]/.test(cell) ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))).join('  ').trimEnd());
  }
}

/**
 * Issue 21's table: per target, Sluice's process time against its reference's, the ratio and
 * the target. Two more ratios show what each way of timing gives: against the reference's own
 * timed loop (its start-up, model load and batch building left out), and Sluice's summary
 * `seconds` (its start-up left out too) against that loop.
 */
function printIssueTable(sections: Section[]): void {
  const rows = [['workload', 'Sluice s', 'reference', 'ref s', 'ratio', 'target', 'result', 'vs ref loop', 'summary vs loop', 'Sluice start-up+exit s']];
  for (const section of sections) {
    for (const t of section.targets.filter((x) => x.issue)) {
      const find = (label: string) => section.contenders.find((c) => c.label === label)!;
      const [sc, bc] = [find(t.contender), find(t.baseline)];
      const [st, bs] = [stats(sc), stats(bc)];
      const rss = t.metric === 'rss';
      const goal = `${rss ? '≤' : '≥'} ${t.bound}`;
      if (!st || !bs) {
        rows.push([t.issue!, '', t.baseline, '', '', goal, errors.has(sc.id) || errors.has(bc.id) ? 'ERROR' : 'SKIP', '', '', '']);
        continue;
      }
      if (rss) {
        const r = st.rssBytes / bs.rssBytes;
        rows.push([t.issue!, `${mb(st.rssBytes)} MB`, t.baseline, `${mb(bs.rssBytes)} MB`, r.toFixed(2), goal, r <= t.bound ? 'PASS' : 'MISS', '', '', '']);
        continue;
      }
      // Seconds per row scaled to each contender's rows (the two may differ, e.g. per thread).
      const ratio = (ref: number, mine: number): string => ((ref / bc.rows) / (mine / sc.rows)).toFixed(2);
      const r = (bs.seconds / bc.rows) / (st.seconds / sc.rows);
      rows.push([
        t.issue!, st.seconds.toFixed(2), t.baseline, bs.seconds.toFixed(2), r.toFixed(2), goal, r >= t.bound ? 'PASS' : 'MISS',
        bs.reportedSeconds === undefined ? '' : ratio(bs.reportedSeconds, st.seconds),
        bs.reportedSeconds === undefined || st.reportedSeconds === undefined ? '' : ratio(bs.reportedSeconds, st.reportedSeconds),
        st.reportedSeconds === undefined ? '' : (st.seconds - st.reportedSeconds).toFixed(2),
      ]);
    }
  }
  console.log(`
issue 21's table (${STAT} of ${ROUNDS}; ratio = reference s / Sluice s per row, both whole processes):`);
  printAligned(rows);
}

async function main(): Promise<void> {
  const n = (rows: number): number => Math.round(rows * SCALE);
  log(`sluice bench: node ${process.version}, ${os.cpus().length} cores, ${ROUNDS} rounds (${STAT}), ` +
    `peak RSS by ${rssMethod}${QUICK ? ', BENCH_QUICK=1 (rows ÷10)' : ''}`);
  if (!haveCli) log(`note: ${path.relative(projectRoot, CLI)} is not built: Sluice contenders are skipped`);

  const big = await ensureDataset(MODELS.big, n(Number(process.env['BENCH_BIG_ROWS'] ?? 40_000)), log);
  const mid = await ensureDataset(MODELS.mid, n(200_000), log);
  const tiny = await ensureDataset(MODELS.linear, n(1_000_000), log);
  const tinySmall = await ensureDataset(MODELS.linear, n(100_000), log);

  const rssSmall = `sluice, 2 workers, ${tinySmall.rows} rows`;
  const rssLarge = `sluice, 2 workers, ${tiny.rows} rows`;
  // BENCH_HUGE_ROWS=10000000: a third, opt-in RSS contender (1.4 GB of input, minutes per run).
  const hugeRows = Number(process.env['BENCH_HUGE_ROWS'] ?? 0);
  const huge = hugeRows > 0 ? await ensureDataset(MODELS.linear, hugeRows, log) : undefined;
  const rssHuge = `sluice, 2 workers, ${hugeRows} rows`;
  const sections: Section[] = [
    {
      title: `model-dominated ${MODELS.big.name}, ${big.rows} rows, ${mb(big.dataBytes)} MB`,
      contenders: [bare(big, 1), bare(big, 2), sluice(big, 1), sluice(big, 2), ...nativeContenders(big, true)],
      targets: [
        { contender: 'sluice wasm, 1 worker', baseline: 'bare loop, 1 thread', metric: 'rows/s', bound: 0.95, issue: `${MODELS.big.name}, ${big.rows} rows, 1 worker` },
        { contender: 'sluice wasm, 2 workers', baseline: 'bare loop, 2 threads', metric: 'rows/s', bound: 0.95, issue: 'same, 2 workers' },
        // Issue 17: the native backend against a bare native loop and the Python peer.
        { contender: TF, baseline: 'bare native loop, 1 thread', metric: 'rows/s', bound: 0.9 },
        { contender: TF, baseline: 'Python TensorFlow script', metric: 'rows/s', bound: 2 },
      ],
    },
    {
      title: `mid ${MODELS.mid.name}, ${mid.rows} rows, ${mb(mid.dataBytes)} MB`,
      contenders: [plain(mid), bare(mid, 2), sluice(mid, 1), sluice(mid, 2), ...nativeContenders(mid, false)],
      targets: [
        { contender: 'sluice wasm, 2 workers', baseline: 'plain script, 1 thread', metric: 'rows/s', bound: 2, issue: `${MODELS.mid.name}, ${mid.rows} rows, 2 workers` },
        { contender: AUTO, baseline: 'sluice wasm, 2 workers', metric: 'rows/s', bound: 1 },
        { contender: AUTO, baseline: 'Python TensorFlow script', metric: 'rows/s', bound: 2.5 },
      ],
    },
    {
      title: `I/O-bound ${MODELS.linear.name}, ${tiny.rows} rows, ${mb(tiny.dataBytes)} MB`,
      contenders: [jsonLoop(tiny), plain(tiny), sluice(tiny, 1), sluice(tiny, 2), ...nativeContenders(tiny, false)],
      targets: [
        { contender: 'sluice wasm, 2 workers', baseline: 'JSON parse+stringify, 1 thread', metric: 'rows/s', bound: 1.0, issue: `${MODELS.linear.name}, ${tiny.rows} rows, 2 workers` },
        { contender: AUTO, baseline: 'sluice wasm, 2 workers', metric: 'rows/s', bound: 1 },
        { contender: AUTO, baseline: 'Python TensorFlow script', metric: 'rows/s', bound: 2.5 },
      ],
    },
    {
      title: `peak RSS ${MODELS.linear.name}, ${tinySmall.rows} vs ${tiny.rows} rows`,
      // The larger run is the I/O-bound section's, measured once and reported twice.
      contenders: [sluice(tinySmall, 2, rssSmall), sluice(tiny, 2, rssLarge), ...(huge ? [sluice(huge, 2, rssHuge)] : [])],
      targets: [
        { contender: rssLarge, baseline: rssSmall, metric: 'rss', bound: 1.15, issue: `peak RSS, ${tiny.rows} vs ${tinySmall.rows} rows` },
        // Bounded: past the largest default partition (64 MiB) nothing should grow with the input.
        ...(huge ? [{ contender: rssHuge, baseline: rssLarge, metric: 'rss' as const, bound: 1.15, issue: `peak RSS, ${hugeRows} vs ${tiny.rows} rows` }] : []),
      ],
    },
  ];

  if (TABLE_ONLY) {
    // Issue 21's contenders only: each workload's Sluice runs and their references.
    for (const section of sections) {
      section.targets = section.targets.filter((t) => t.issue);
      const keep = new Set(section.targets.flatMap((t) => [t.contender, t.baseline]));
      section.contenders = section.contenders.filter((c) => keep.has(c.label));
    }
  }
  if (NATIVE_ONLY) {
    const keep = (c: Contender) => c.label === 'sluice wasm, 2 workers' || /native|tensorflow|auto|Python/.test(c.label);
    sections.splice(3);
    for (const section of sections) {
      section.contenders = section.contenders.filter(keep);
      section.targets = section.targets.filter((t) => keep({ label: t.contender } as Contender) && t.contender !== 'sluice wasm, 2 workers');
    }
  }
  for (const section of sections) {
    log(`${section.title}:`);
    await runSection(section);
  }
  console.log();
  printTable(sections);
  // The figures are only as good as the machine was quiet: say how busy it was.
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  if (!NATIVE_ONLY) printIssueTable(sections);
  console.log(`\nload average (1/5/15 min) at the end: ${load} on ${os.cpus().length} cores` +
    (os.loadavg()[1]! > os.cpus().length + 0.5 ? ': other processes competed for the CPU, so these ratios are unreliable' : ''));
  if (NATIVE_ONLY || TABLE_ONLY) return;
  // Issue 4's check, in its own process: TFRecord read+decode beside the model's own speed.
  execFileSync(process.execPath, [path.join(projectRoot, 'dist/bench/tfrecord.js')], { stdio: 'inherit' });
  // Issue 8's real out-of-memory case (a batch that exceeds the 4 GB wasm heap), in its own process.
  execFileSync(process.execPath, [path.join(projectRoot, 'dist/bench/oom.js')], { stdio: 'inherit' });
  // Issue 10's: throughput with 1, 2 and 4 worker processes through Redis, beside a local run.
  execFileSync(process.execPath, [path.join(projectRoot, 'dist/bench/distributed.js')], { stdio: 'inherit' });
  if (errors.size > 0) {
    console.log(`\n${errors.size} contender(s) failed; see the ERROR lines above.`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
