/**
 * Distributed throughput: one pipeline run through Redis by 1, 2 and 4 `sluice worker` processes
 * (one thread each), beside the same pipeline run locally with 1 and 2 worker threads, on this
 * machine. Part of `npm run bench`; alone: `node dist/bench/distributed.js` after a build.
 *
 * Each figure is the median of 3 rounds, rounds interleaved. A round of N workers starts N fresh
 * worker processes, waits until they have joined, then times the coordinator from spawn to exit:
 * each worker's model load is inside the timed window, as it is for a real run. Skipped with a
 * note where redis-server is not installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import { background } from '../test/helpers/processes.js';
import { needsRedis, startRedis } from '../test/helpers/redis.js';
import { median } from './measure.js';
import { MODELS, ensureDataset } from './workloads.js';

const QUICK = process.env['BENCH_QUICK'] === '1';
const ROUNDS = 3;
const WORKER_COUNTS = [1, 2, 4];
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

interface Contender {
  label: string;
  /** Worker processes for a distributed run; undefined for a local run. */
  processes?: number;
  /** Worker threads of a local run. */
  threads?: number;
}

async function main(): Promise<void> {
  if (needsRedis) {
    console.log(`\ndistributed throughput: skipped (${needsRedis})`);
    return;
  }
  const data = await ensureDataset(MODELS.mid, QUICK ? 20_000 : 200_000, log);
  // About 3 partitions per worker process at the largest count, so 4 workers can all be busy.
  const partitionBytes = Math.max(1 << 20, Math.floor(data.dataBytes / (3 * Math.max(...WORKER_COUNTS))));
  const redis = await startRedis();
  const contenders: Contender[] = [
    { label: 'local, 1 thread', threads: 1 },
    { label: 'local, 2 threads', threads: 2 },
    ...WORKER_COUNTS.map((n) => ({ label: `distributed, ${n} worker process${n > 1 ? 'es' : ''}`, processes: n })),
  ];
  const seconds = new Map<string, number[]>();
  log(`distributed ${MODELS.mid.name}, ${data.rows} rows, ${(data.dataBytes / 2 ** 20).toFixed(0)} MB, partitions of ${(partitionBytes / 2 ** 20).toFixed(1)} MB, Redis on 127.0.0.1:${redis.port}:`);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of contenders) {
        const s = await timeOne(c, data.pipeline, data.sluiceOut, data.rows, partitionBytes, redis.url);
        seconds.set(c.label, [...(seconds.get(c.label) ?? []), s]);
        log(`  [${round}/${ROUNDS}] ${c.label}: ${s.toFixed(2)} s, ${(data.rows / s).toFixed(0)} rows/s`);
      }
    }
  } finally {
    await redis.stop();
  }

  const rate = (label: string) => data.rows / median(seconds.get(label)!);
  const one = rate(contenders[2]!.label);
  const local1 = rate(contenders[0]!.label);
  console.log(`\ndistributed throughput (${MODELS.mid.name}, ${data.rows} rows, ${os.cpus().length} cores, median of ${ROUNDS}; end to end, worker start-up and model load included):`);
  const rows = contenders.map((c) => [c.label, rate(c.label).toFixed(0), `${(rate(c.label) / one).toFixed(2)}×`, `${(rate(c.label) / local1).toFixed(2)}×`]);
  const header = ['contender', 'rows/s', 'vs 1 worker process', 'vs local 1 thread'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) console.log('  ' + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  console.log(
    `  What limits scaling: this machine has ${os.cpus().length} cores, so at most ${os.cpus().length} worker processes compute at once;` +
      ' more only share those cores, each adding its own start-up, model load and memory. A worker loads the model when its' +
      ' first partition arrives (a local run loads it while planning). Per partition the queue adds a few' +
      ' Redis round trips and the commit (renames and a manifest write), milliseconds next to seconds of compute. Across' +
      ' machines, throughput grows with workers until the shared storage or Redis saturates.',
  );
  // The figures are only as good as the machine was quiet: say how busy it was.
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  console.log(`  load average (1/5/15 min) at the end: ${load} on ${os.cpus().length} cores` +
    (os.loadavg()[1]! > os.cpus().length + 0.5 ? ': other processes competed for the CPU, so these ratios are unreliable' : ''));
}

/** One timed run: a local run, or a coordinator with `processes` fresh workers. */
async function timeOne(c: Contender, pipeline: string, out: string, rows: number, partitionBytes: number, url: string): Promise<number> {
  // Removed before each run so that deleting the last output is not timed.
  fs.rmSync(out, { recursive: true, force: true });
  const sets = ['--set', `execution.partitionBytes=${partitionBytes}`];
  const workers = Array.from({ length: c.processes ?? 0 }, () => background(['worker', '--coordinator', url, '--threads', '1']));
  try {
    await Promise.all(workers.map((w) => w.waitFor(/ joined /, 60_000)));
    const args = c.processes
      ? ['run', pipeline, '--json', '--overwrite', '--coordinator', url, ...sets]
      : ['run', pipeline, '--json', '--overwrite', '--set', `execution.workers=${c.threads}`, ...sets];
    const start = performance.now();
    const run = background(args);
    const code = await run.exited;
    const s = (performance.now() - start) / 1000;
    if (code !== 0) throw new Error(`${c.label}: exit ${code}: ${run.stderr().slice(-1000)}`);
    const summary = JSON.parse(run.stdout()) as { counts: { written: number }; partitions: { resumed: number } };
    if (summary.counts.written !== rows || summary.partitions.resumed !== 0) throw new Error(`${c.label}: did not do the whole job: ${run.stdout().slice(0, 300)}`);
    return s;
  } finally {
    for (const w of workers) w.signal('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
