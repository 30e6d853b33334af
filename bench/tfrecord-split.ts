/**
 * Issue 19.5's two measured targets for large TFRecord files:
 *
 * 1. `plan`: planning (finding the record starts at the cuts) of 1 GiB files of 100-byte, 10 KB
 *    and 1 MB records, by the header walk and from a tfrecord2idx index, page cache warm and
 *    (`--cold`, as root) cold. Prints wall and CPU seconds.
 * 2. `run`: the CLI over one 1 GiB file of tf.Examples, as one partition and split (the default
 *    partition size), on `--workers` (2) worker threads and the `--backend` (wasm), alternating,
 *    each into a fresh output; best of `--runs`, with the load average, the CPU time of the
 *    busiest threads and the partitions, workers and commit times at each run. `--workload io`
 *    (default): the quickstart's 4 floats plus a `--pad` (1000 bytes) into its tiny model, so the
 *    record path dominates; `--workload cpu`: 64 floats plus a 700-byte pad into a
 *    64→512→512→10 MLP (`--model big`: 64→2048→2048→10), so the model does. Every run's output
 *    is checked: each record of the file exactly once (prediction or error row; one record in
 *    100,000 has a bad CRC), and the same predictions as the first run's. `--cpu-prof D`
 *    profiles each run into D (see bench/profile-summary.ts).
 *
 * Usage: node dist/bench/tfrecord-split.js plan [--cold] | run [--workload io|cpu] [--model mid|big] [--backend wasm]
 *   [--workers 2] [--runs 3] [--pad N] [--cpu-prof D] [--node-args "--flag …"] [--wait-free 1.8];
 *   both take [--dir D] [--mib 1024]. `--wait-free N` starts each run only when two busy threads
 *   get N cores (see `freeCores`), waiting up to 10 minutes.
 * Files are made in D (default: the OS temp folder) once and kept; they are large.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { frameRecord } from '../src/core/tfrecord.js';
import { tfrecordBoundaries } from '../src/core/tfrecord-plan.js';
import { createStorage } from '../src/storage/index.js';
import { tfrecordCuts } from '../stages/source/tfrecord/index-file.js';
import { ExampleType } from '../stages/decode/tf-example/proto.js';
import { MODELS, ensureModel, projectRoot } from './workloads.js';
import { mulberry32 } from './random.js';
import { compareRuns, readOffsets, readRun, type RunOutput } from './split-output.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const dir = flag('dir', path.join(os.tmpdir(), 'sluice-tfrecord-split'));
const runs = Number(flag('runs', '3'));
const mib = Number(flag('mib', '1024'));
const load = () => os.loadavg()[0]!.toFixed(1);

/**
 * Writes `file` (once) of the framed records `framed(i)` up to `mib` MiB, and its tfrecord2idx
 * index; both under temporary names renamed at the end, so an interrupted write is redone.
 */
function ensureFile(file: string, framed: (i: number) => Buffer): void {
  if (fs.existsSync(file) && fs.existsSync(`${file}.idx`)) return;
  const fd = fs.openSync(`${file}.tmp`, 'w');
  const idx = fs.openSync(`${file}.idx.tmp`, 'w');
  let index: string[] = [];
  let batch: Buffer[] = [];
  let held = 0;
  let pos = 0;
  for (let i = 0; pos < mib * 1024 * 1024; i++) {
    const r = framed(i);
    index.push(`${pos} ${r.length}\n`);
    batch.push(r);
    held += r.length;
    pos += r.length;
    if (held > 8 << 20) {
      fs.writeSync(fd, Buffer.concat(batch));
      fs.writeSync(idx, index.join(''));
      batch = [];
      index = [];
      held = 0;
    }
  }
  fs.writeSync(fd, Buffer.concat(batch));
  fs.writeSync(idx, index.join(''));
  fs.closeSync(fd);
  fs.closeSync(idx);
  fs.renameSync(`${file}.tmp`, file);
  fs.renameSync(`${file}.idx.tmp`, `${file}.idx`);
}

function dropCaches(): boolean {
  try {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

async function plan(): Promise<void> {
  const cold = args.includes('--cold');
  const storage = createStorage();
  const ctx = { path: '/source', displayName: (u: string) => path.basename(u), storage } as never;
  for (const bytes of [100, 10 * 1024, 1024 * 1024]) {
    const file = path.join(dir, `plan-${bytes}.tfrecord`);
    const framed = frameRecord(Buffer.alloc(bytes, 7));
    ensureFile(file, () => framed);
    const info = { uri: file, size: fs.statSync(file).size, mtimeMs: 0 };
    for (const how of ['walk', 'index'] as const) {
      if (cold && !dropCaches()) return console.log('--cold needs root (writes /proc/sys/vm/drop_caches)');
      const cpu = process.cpuUsage();
      const start = performance.now();
      const cuts = how === 'walk' ? await tfrecordBoundaries(storage, info, 64 * 1024 * 1024) : await tfrecordCuts(ctx, 'auto', info, 64 * 1024 * 1024);
      const wall = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      console.log(
        `plan ${how.padEnd(5)} ${String(bytes).padStart(7)}-byte records, ${(info.size / 2 ** 30).toFixed(2)} GiB${cold ? ' cold' : ' warm'}: ${wall.toFixed(3)} s wall, ${((used.user + used.system) / 1e6).toFixed(3)} s CPU, ${cuts.length} cuts (load ${load()})`,
      );
    }
  }
}

/**
 * The two record paths the split is measured on. `io`: the quickstart's 4 floats plus a pad into
 * its tiny model, so the record path (read, decode, key, write) is the work. `cpu`: a batch-scoring
 * job, 64 float features (plus a pad) into the 64→512→512→10 MLP, so the model's predict, which is
 * single-threaded on wasm, is the work.
 */
async function workload(name: string, pad: number, mlp: keyof typeof MODELS): Promise<{ record: (i: number) => Buffer; decode: object; model: string }> {
  const padding = (i: number) => ({ bytes_list: { value: [Buffer.alloc(pad + (i % 64), 0x78)] } });
  if (name === 'io') {
    // Values vary by record, so the comparison of two runs' predictions can tell records apart.
    const record = (i: number) => [5.1 + (i % 97) / 100, 3.5, 1.4, 0.2 + (i % 13) / 10];
    return {
      record: (i) => Buffer.from(ExampleType.encode({ features: { feature: { measurements: { float_list: { value: record(i) } }, pad: padding(i) } } }).finish()),
      decode: { type: 'tf-example', features: { measurements: { dtype: 'float32', shape: [4] } } },
      model: path.join(projectRoot, 'examples/quickstart/model/model.json'),
    };
  }
  if (name !== 'cpu') throw new Error(`--workload ${name}: expected io or cpu`);
  const rand = mulberry32(64);
  const x = new Array<number>(64);
  return {
    record: (i) => {
      for (let j = 0; j < 64; j++) x[j] = Math.round((rand() * 2 - 1) * 1e4) / 1e4;
      return Buffer.from(ExampleType.encode({ features: { feature: { x: { float_list: { value: x } }, pad: padding(i) } } }).finish());
    },
    decode: { type: 'tf-example', features: { x: { dtype: 'float32', shape: [64] } } },
    model: await ensureModel(MODELS[mlp], console.log),
  };
}

/** One record in `BAD_EVERY` has a corrupt data CRC: the runs must give its error row exactly once too. */
const BAD_EVERY = 100_000;

/** The figures of a committed run from its `_SUCCESS` and partition manifests. */
function runFacts(outDir: string): { partitions: number; workers: number; backend: string; commits: number[] } {
  const success = JSON.parse(fs.readFileSync(path.join(outDir, '_SUCCESS'), 'utf8')) as {
    partitions: { total: number };
    workers: number;
    startTime: string;
    model: { backend: string };
  };
  const start = Date.parse(success.startTime);
  const manifests = path.join(outDir, '_manifest');
  const commits = fs
    .readdirSync(manifests)
    .filter((f) => /^p\d+\.json$/.test(f))
    .map((f) => (Date.parse((JSON.parse(fs.readFileSync(path.join(manifests, f), 'utf8')) as { committedAt: string }).committedAt) - start) / 1000)
    .sort((a, b) => a - b);
  return { partitions: success.partitions.total, workers: success.workers, backend: success.model.backend, commits };
}

async function run(): Promise<void> {
  const kind = flag('workload', 'io');
  const backend = flag('backend', 'wasm');
  const workers = Number(flag('workers', '2'));
  const pad = Number(flag('pad', kind === 'io' ? '1000' : '700'));
  const profileDir = flag('cpu-prof', '');
  const nodeArgs = flag('node-args', '').split(' ').filter(Boolean);
  const waitFree = Number(flag('wait-free', '0'));
  const mlp = flag('model', 'mid') as keyof typeof MODELS;
  if (!['mid', 'big'].includes(mlp)) throw new Error(`--model ${mlp}: expected mid (64→512→512→10) or big (64→2048→2048→10)`);
  const { record, decode, model } = await workload(kind, pad, mlp);
  const label = kind === 'cpu' ? `cpu-${mlp}` : kind;
  const file = path.join(dir, `run-${kind}-${pad}${mib === 1024 ? '' : `-${mib}m`}.tfrecord`);
  ensureFile(file, (i) => {
    const framed = frameRecord(record(i));
    if (i % BAD_EVERY === BAD_EVERY - 1) framed[framed.length - 1]! ^= 0xff;
    return framed;
  });
  const size = fs.statSync(file).size;
  const offsets = readOffsets(`${file}.idx`);
  const config = (name: string, partitionBytes?: number) => {
    const out = path.join(dir, `out-${name}-${label}-${pad}`);
    const cfg = {
      name,
      source: { type: 'tfrecord', uri: file, index: 'none' },
      decode,
      model: { type: 'tfjs', uri: model, batchSize: 256, backend },
      sink: { type: 'jsonl', uri: out },
      errors: { type: 'jsonl', uri: `${out}-errors` },
      execution: { workers, ...(partitionBytes ? { partitionBytes } : {}) },
    };
    const at = path.join(dir, `${name}-${label}-${pad}.json`);
    fs.writeFileSync(at, JSON.stringify(cfg, null, 2));
    return { at, out };
  };
  const configs = { whole: config('whole', 2 ** 31 - 1), split: config('split') };
  const best: Record<string, number> = { whole: Infinity, split: Infinity };
  const busiest: Record<string, number> = { whole: Infinity, split: Infinity };
  const bound: Record<string, number> = { whole: Infinity, split: Infinity };
  let reference: { name: string; output: RunOutput } | null = null;
  const cli = path.join(projectRoot, 'dist/src/cli/main.js');
  console.log(`${kind === 'cpu' ? `cpu (${MODELS[mlp].name})` : 'io'} workload, ${backend} backend, ${workers} workers: ${file}, ${(size / 2 ** 30).toFixed(2)} GiB, ${offsets.length} records`);
  if (runs === 0) return; // only make the file
  for (let r = 0; r < runs; r++) {
    for (const name of r % 2 === 0 ? (['whole', 'split'] as const) : (['split', 'whole'] as const)) {
      const { at, out } = configs[name];
      // A fresh output each time: nothing is resumed or skipped.
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(`${out}-errors`, { recursive: true, force: true });
      const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `${name}-${r}`)] : [];
      prof.push(...nodeArgs);
      let free = await freeCores();
      // --wait-free N: wait (up to 10 minutes) for a moment when two threads get N cores.
      for (const until = Date.now() + 600_000; Number(free) < waitFree && Date.now() < until; free = await freeCores()) {
        await new Promise((resolve) => setTimeout(resolve, 15_000));
      }
      const before = load();
      const start = performance.now();
      const { status, stderr, threads } = await runWatched(process.execPath, [...prof, cli, 'run', at]);
      const seconds = (performance.now() - start) / 1000;
      if (status !== 0) throw new Error(`${name}: exit ${status}: ${stderr.slice(-500)}`);
      const after = load();
      best[name] = Math.min(best[name]!, seconds);
      const cpu = threads.reduce((a, t) => a + t.cpu, 0);
      busiest[name] = Math.min(busiest[name]!, threads[0]!.cpu);
      bound[name] = Math.min(bound[name]!, Math.max(threads[0]!.cpu, cpu / 2));
      const top = threads.filter((t) => t.cpu >= 0.5).map((t) => t.cpu.toFixed(1)).join(', ');
      const facts = runFacts(out);
      const commits = facts.commits.map((c) => c.toFixed(1)).join(' ');
      console.log(
        `run ${name.padEnd(5)} ${seconds.toFixed(2)} s wall, ${cpu.toFixed(1)} s CPU = ${(cpu / seconds).toFixed(2)} cores busy; busiest threads ${top} s (load ${before} before, ${after} after; 2 threads got ${free} cores just before)\n` +
          `  ${facts.partitions} partition(s), ${facts.workers} worker(s), ${facts.backend}; committed at ${commits} s after the run's start`,
      );
      const output = readRun(out, `${out}-errors`, offsets);
      const same = reference ? compareRuns(reference.output, output) : null;
      console.log(
        `  ${output.predictions} predictions + ${output.errors} error rows for ${offsets.length} records: ${output.duplicates} duplicated, ${output.missing} missing` +
          (same ? `; against ${reference!.name}'s: ${same.differ === 0 ? 'identical' : `${same.differ} records differ (first: record ${same.first})`}` : ''),
      );
      if (output.duplicates || output.missing || (same && same.differ)) process.exitCode = 1;
      reference ??= { name: `${name} run ${r + 1}`, output };
    }
  }
  console.log(`best: one partition ${best.whole!.toFixed(2)} s, split ${best.split!.toFixed(2)} s, speed-up ${(best.whole! / best.split!).toFixed(2)}x`);
  // On a shared machine wall time follows the load; the busiest thread's CPU time bounds the wall
  // time on an idle one, whatever else runs.
  console.log(`busiest thread CPU: one partition ${busiest.whole!.toFixed(2)} s, split ${busiest.split!.toFixed(2)} s, ratio ${(busiest.whole! / busiest.split!).toFixed(2)}x`);
  // On 2 idle cores a run takes at least its busiest thread's CPU time and at least half its
  // total CPU time: what the other threads (GC helpers, libuv, the coordinator) use is taken
  // from the second core, which the split needs for its second partition.
  console.log(`lower bound on 2 idle cores, max(busiest thread, CPU / 2): one partition ${bound.whole!.toFixed(2)} s, split ${bound.split!.toFixed(2)} s, ratio ${(bound.whole! / bound.split!).toFixed(2)}x`);
}

/**
 * How many cores two busy threads of this process get right now (two threads spinning for a
 * second). The load average does not tell it: this machine's kernel shares the CPU between
 * sessions (autogroups), not threads, so while another session is busy a process gets ~1 of the
 * 2 cores however many threads it runs, and a split run cannot be faster in wall time.
 */
async function freeCores(): Promise<string> {
  const spin = 'const end = Date.now() + 1000; let x = 0; while (Date.now() < end) x++;';
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all([0, 1].map(() => new Promise((resolve) => new Worker(spin, { eval: true }).on('exit', resolve))));
  const used = process.cpuUsage(cpu);
  return ((used.user + used.system) / 1000 / (performance.now() - start)).toFixed(2);
}

/**
 * Runs a command, sampling the CPU time of each of its threads (Linux /proc) every 100 ms; returns
 * them busiest first. Threads that end between samples keep their last sample.
 */
async function runWatched(cmd: string, argv: string[]): Promise<{ status: number | null; stderr: string; threads: { name: string; cpu: number }[] }> {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  // A bench stopped mid-run takes its run with it, instead of leaving it to compete with the next.
  const stop = () => {
    child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const seen = new Map<string, { name: string; cpu: number }>();
  const tick = 100; // USER_HZ: /proc counts CPU time in 1/100 s on Linux
  const sample = () => {
    try {
      for (const tid of fs.readdirSync(`/proc/${child.pid}/task`)) {
        const stat = fs.readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        seen.set(tid, { name, cpu: (Number(fields[11]) + Number(fields[12])) / tick });
      }
    } catch {
      // the process ended between the listing and the read
    }
  };
  const timer = setInterval(sample, 100);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  process.off('SIGINT', stop).off('SIGTERM', stop);
  clearInterval(timer);
  return { status, stderr, threads: [...seen.values()].sort((a, b) => b.cpu - a.cpu) };
}

fs.mkdirSync(dir, { recursive: true });
(args[0] === 'run' ? run() : plan()).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
