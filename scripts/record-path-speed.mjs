#!/usr/bin/env node
/**
 * The record path's speed, side by side in one run (docs/performance.md): for the I/O-bound
 * workload (linear 16→1, JSONL in and out) and the mid MLP (64→512→512→10), times Sluice's CLI
 * as a process (start-up and model load included, fresh output each time) next to the
 * hand-written one-thread references of bench/baselines, and next to an earlier build of
 * Sluice when `--before` names one. Rounds are interleaved, so a busy moment of a shared
 * machine hits every contender alike; each figure is the best of the rounds, and the load
 * average is printed with it, because only ratios measured together mean anything.
 *
 * Usage (after `npm run build`):
 *   node scripts/record-path-speed.mjs [--before <dist dir of an earlier build>] [--rounds 2]
 *     [--linear-rows 1000000] [--mid-rows 200000] [--workers 2]
 * An earlier build: `git worktree add /tmp/old <commit> && (cd /tmp/old && npm ci && npm run build)`,
 * then `--before /tmp/old/dist`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const rounds = Number(option('rounds', 2));
const workers = Number(option('workers', 2));
const beforeArg = option('before', undefined);
const before = beforeArg && path.resolve(beforeArg);
const { ensureDataset } = await import(path.join(dist, 'bench/workloads.js'));

const linear = await ensureDataset({ name: 'linear-16-1', units: [16, 1] }, Number(option('linear-rows', 1_000_000)), log);
const mid = await ensureDataset({ name: 'mlp-64-512-512-10', units: [64, 512, 512, 10] }, Number(option('mid-rows', 200_000)), log);

function log(line) {
  process.stderr.write(`${line}\n`);
}

/** Runs `argv` with `sh -c '…; times'`: wall seconds, and the children's user+system CPU seconds. */
function timed(argv, cwd) {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const start = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `${quoted} >/dev/null 2>"$SPEED_ERR"; s=$?; times; exit $s`], { cwd, encoding: 'utf8', env: { ...process.env, SPEED_ERR: path.join(os.tmpdir(), 'record-path-speed.err') } });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${fs.readFileSync(path.join(os.tmpdir(), 'record-path-speed.err'), 'utf8').slice(-400)}`);
  // `times` prints the shell's own user/system line, then its children's.
  const seconds = (t) => t.split(/m|s/).filter(Boolean).reduce((m, s) => m * 60 + Number(s), 0);
  const child = r.stdout.trim().split('\n').pop().split(/\s+/);
  return { wall, cpu: seconds(child[0]) + seconds(child[1]) };
}

function sluice(label, distDir, set) {
  return {
    label,
    run: () => {
      fs.rmSync(set.sluiceOut, { recursive: true, force: true });
      // From an unrelated working directory, as a user runs it; a fresh output each time.
      return timed(['node', path.join(distDir, 'src/cli/main.js'), 'run', set.pipeline, '--overwrite', '--set', `execution.workers=${workers}`], os.tmpdir());
    },
  };
}

const outFile = path.join(os.tmpdir(), 'record-path-speed.out.jsonl');
const sections = [
  {
    title: `linear 16→1, ${linear.rows} rows, JSONL → JSONL`,
    reference: { label: 'bare JSON.parse + JSON.stringify loop, 1 thread', run: () => timed(['node', path.join(dist, 'bench/baselines/json-loop.js'), linear.dataFile, outFile], root) },
    set: linear,
  },
  {
    title: `MLP 64→512→512→10, ${mid.rows} rows`,
    reference: { label: 'plain read→parse→predict→stringify→write script, 1 thread', run: () => timed(['node', path.join(dist, 'bench/baselines/plain-script.js'), mid.modelJson, mid.dataFile, outFile], root) },
    set: mid,
  },
];
for (const s of sections) {
  s.contenders = [s.reference, ...(before ? [sluice(`Sluice before (${before}), ${workers} workers`, before, s.set)] : []), sluice(`Sluice now, ${workers} workers`, dist, s.set)];
  s.best = s.contenders.map(() => ({ wall: Infinity, cpu: Infinity }));
}

const loads = [os.loadavg()[0]];
for (let r = 0; r < rounds; r++) {
  for (const s of sections) {
    s.contenders.forEach((c, i) => {
      const t = c.run();
      log(`round ${r + 1}: ${s.title}: ${c.label}: ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`);
      s.best[i] = { wall: Math.min(s.best[i].wall, t.wall), cpu: Math.min(s.best[i].cpu, t.cpu) };
    });
  }
  loads.push(os.loadavg()[0]);
}
fs.rmSync(outFile, { force: true });

console.log(`load average (1 min) during the run: ${loads.map((l) => l.toFixed(1)).join(' → ')} on ${os.cpus().length} cores; best of ${rounds}`);
for (const s of sections) {
  console.log(`\n${s.title}`);
  console.log('| contender | wall s | CPU s | reference ÷ this (wall) |');
  console.log('|---|---|---|---|');
  s.contenders.forEach((c, i) => {
    const b = s.best[i];
    console.log(`| ${c.label} | ${b.wall.toFixed(2)} | ${b.cpu.toFixed(2)} | ${i === 0 ? '1' : `×${(s.best[0].wall / b.wall).toFixed(2)}`} |`);
  });
}
