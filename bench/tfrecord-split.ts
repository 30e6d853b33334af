/**
 * Issue 19.5's two measured targets for large TFRecord files:
 *
 * 1. `plan`: planning (finding the record starts at the cuts) of 1 GiB files of 100-byte, 10 KB
 *    and 1 MB records, by the header walk and from a tfrecord2idx index, page cache warm and
 *    (`--cold`, as root) cold. Prints wall and CPU seconds.
 * 2. `run`: the CLI over one 1 GiB file of tf.Examples (the quickstart's 4 floats plus a pad of
 *    `--pad` bytes, default 1000) with the quickstart model (tiny, so the record path dominates),
 *    2 workers, as one partition and split; alternating, best of `--runs`, with the load average
 *    and the CPU time of the busiest threads at each run.
 *
 * Usage: node dist/bench/tfrecord-split.js plan|run [--dir D] [--runs 3] [--cold] [--mib 1024] [--pad 1000]
 * Files are made in D (default: the OS temp folder) once and kept; they are large.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { frameRecord } from '../src/core/tfrecord.js';
import { tfrecordBoundaries } from '../src/core/tfrecord-plan.js';
import { createStorage } from '../src/storage/index.js';
import { tfrecordCuts } from '../stages/source/tfrecord/index-file.js';
import { ExampleType } from '../stages/decode/tf-example/proto.js';
import { projectRoot } from './workloads.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const dir = flag('dir', path.join(os.tmpdir(), 'sluice-tfrecord-split'));
const runs = Number(flag('runs', '3'));
const mib = Number(flag('mib', '1024'));
const load = () => os.loadavg()[0]!.toFixed(1);

/** Writes `file` (once) of records made by `record(i)` up to `mib` MiB, and its tfrecord2idx index. */
function ensureFile(file: string, record: (i: number) => Buffer): void {
  if (fs.existsSync(file) && fs.existsSync(`${file}.idx`)) return;
  const fd = fs.openSync(file, 'w');
  const idx = fs.openSync(`${file}.idx`, 'w');
  let index: string[] = [];
  let batch: Buffer[] = [];
  let held = 0;
  let pos = 0;
  for (let i = 0; pos < mib * 1024 * 1024; i++) {
    const r = frameRecord(record(i));
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
    const payload = Buffer.alloc(bytes, 7);
    ensureFile(file, () => payload);
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

async function run(): Promise<void> {
  const pad = Number(flag('pad', '1000'));
  const file = path.join(dir, `run-${pad}.tfrecord`);
  const ok = [5.1, 3.5, 1.4, 0.2];
  ensureFile(file, (i) =>
    Buffer.from(ExampleType.encode({ features: { feature: { measurements: { float_list: { value: ok } }, pad: { bytes_list: { value: [Buffer.alloc(pad + (i % 64), 0x78)] } } } } }).finish()),
  );
  const size = fs.statSync(file).size;
  const config = (name: string, partitionBytes?: number) => {
    const cfg = {
      name,
      source: { type: 'tfrecord', uri: file, index: 'none' },
      decode: { type: 'tf-example', features: { measurements: { dtype: 'float32', shape: [4] } } },
      model: { type: 'tfjs', uri: path.join(projectRoot, 'examples/quickstart/model/model.json'), batchSize: 256 },
      sink: { type: 'jsonl', uri: path.join(dir, `out-${name}-${pad}`) },
      errors: { type: 'jsonl', uri: path.join(dir, `errors-${name}-${pad}`) },
      execution: { workers: 2, ...(partitionBytes ? { partitionBytes } : {}) },
    };
    const at = path.join(dir, `${name}-${pad}.json`);
    fs.writeFileSync(at, JSON.stringify(cfg, null, 2));
    return at;
  };
  const configs = { whole: config('whole', 2 ** 31 - 1), split: config('split') };
  const best: Record<string, number> = { whole: Infinity, split: Infinity };
  const busiest: Record<string, number> = { whole: Infinity, split: Infinity };
  const cli = path.join(projectRoot, 'dist/src/cli/main.js');
  for (let r = 0; r < runs; r++) {
    for (const name of r % 2 === 0 ? (['whole', 'split'] as const) : (['split', 'whole'] as const)) {
      const before = load();
      const start = performance.now();
      const { status, stderr, threads } = await runWatched(process.execPath, [cli, 'run', configs[name], '--overwrite']);
      const seconds = (performance.now() - start) / 1000;
      if (status !== 0) throw new Error(`${name}: exit ${status}: ${stderr.slice(-500)}`);
      best[name] = Math.min(best[name]!, seconds);
      const cpu = threads.reduce((a, t) => a + t.cpu, 0);
      busiest[name] = Math.min(busiest[name]!, threads[0]!.cpu);
      const top = threads.slice(0, 4).map((t) => `${t.name} ${t.cpu.toFixed(1)}`).join(', ');
      console.log(`run ${name.padEnd(5)} ${(size / 2 ** 30).toFixed(2)} GiB, 2 workers: ${seconds.toFixed(2)} s wall, ${cpu.toFixed(1)} s CPU (busiest threads: ${top}) (load ${before} before, ${load()} after)`);
    }
  }
  console.log(`best: one partition ${best.whole!.toFixed(2)} s, split ${best.split!.toFixed(2)} s, speed-up ${(best.whole! / best.split!).toFixed(2)}x`);
  // On a shared machine wall time follows the load; the busiest thread's CPU time bounds the wall
  // time on an idle one, whatever else runs.
  console.log(`busiest thread CPU: one partition ${busiest.whole!.toFixed(2)} s, split ${busiest.split!.toFixed(2)} s, ratio ${(busiest.whole! / busiest.split!).toFixed(2)}x`);
}

/**
 * Runs a command, sampling the CPU time of each of its threads (Linux /proc) every 100 ms; returns
 * them busiest first. Threads that end between samples keep their last sample.
 */
async function runWatched(cmd: string, argv: string[]): Promise<{ status: number | null; stderr: string; threads: { name: string; cpu: number }[] }> {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
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
  clearInterval(timer);
  return { status, stderr, threads: [...seen.values()].sort((a, b) => b.cpu - a.cpu) };
}

fs.mkdirSync(dir, { recursive: true });
(args[0] === 'run' ? run() : plan()).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
