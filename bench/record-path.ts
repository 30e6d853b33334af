/**
 * Is Sluice's record path slower than the same work written by hand as a columnar batch loop?
 * (`npm run bench:record-path`; an analysis, not a user figure: docs/performance.md, "The record
 * path against a hand-written batch loop".)
 *
 * The plain script (baselines/plain-script.ts) is what a columnar path would be at its best:
 * each parsed line's features written straight into the batch's Float32Array, rows written
 * from the output buffer, no object per record beyond the parsed line. Against it runs
 * Sluice's record path in one thread (record-path-loop.ts: `runPartition` over every partition,
 * with its Instance, keyed record, Prediction and row objects, Failure checks, exact-JSON
 * parsing and staged writes). Both time their loop only (start-up and model load excluded),
 * one thread, wasm, with the V8 settings of Sluice's worker threads (4 MB semi-spaces,
 * pretenuring off); the plain script also runs with Node's defaults, as a user would run it.
 * Rounds interleaved; each figure the median (BENCH_ROUNDS, default 5).
 *
 * A ratio near 1 means the per-record objects cost nothing that a columnar rewrite could win
 * back; the gaps of issue 21's table are then elsewhere (start-up, cores).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODELS, ensureDataset, projectRoot, type Dataset } from './workloads.js';
import { measure, median, selfReported } from './measure.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const BENCH = path.join(projectRoot, 'dist/bench');
/** V8 as Sluice's worker threads run (src/runtime/pool.ts): a 12 MB young generation (3 × 4 MB semi-spaces), pretenuring off. */
const WORKER_V8 = ['--max-semi-space-size=4', '--no-allocation-site-pretenuring'];
const log = (msg: string): void => { process.stderr.write(`${msg}\n`); };

interface Contender {
  label: string;
  args: string[];
  prepare?(): void;
}

function contenders(d: Dataset): Contender[] {
  const plain = [path.join(BENCH, 'baselines/plain-script.js'), d.modelJson, d.dataFile, path.join(path.dirname(d.dataFile), 'baseline-out.jsonl')];
  return [
    { label: 'sluice record path', args: [...WORKER_V8, path.join(BENCH, 'record-path-loop.js'), d.pipeline], prepare: () => fs.rmSync(d.sluiceOut, { recursive: true, force: true }) },
    { label: 'plain script, worker V8 settings', args: [...WORKER_V8, ...plain] },
    { label: 'plain script, Node defaults', args: plain },
  ];
}

async function main(): Promise<void> {
  const workloads = [await ensureDataset(MODELS.linear, 1_000_000, log), await ensureDataset(MODELS.mid, 200_000, log)];
  const loops = new Map<string, number[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const d of workloads) {
      for (const c of contenders(d)) {
        c.prepare?.();
        const m = await measure(c.args, os.tmpdir());
        const seconds = selfReported(m);
        const rows = (JSON.parse(m.stdout.trim().split('\n').at(-1) ?? '{}') as { rows?: number }).rows;
        if (seconds === undefined || rows !== d.rows) throw new Error(`${c.label} on ${d.model.name}: handled ${rows} of ${d.rows} rows`);
        const key = `${d.model.name}\t${c.label}`;
        loops.set(key, [...(loops.get(key) ?? []), seconds]);
        log(`  [${round}/${ROUNDS}] ${d.model.name} · ${c.label}: loop ${seconds.toFixed(2)} s, load ${os.loadavg()[0]!.toFixed(1)}`);
      }
    }
  }
  console.log(`\nRecord path against a hand-written batch loop: loop seconds, one thread, wasm, median of ${ROUNDS} (min–max)`);
  for (const d of workloads) {
    const of = (label: string) => loops.get(`${d.model.name}\t${label}`)!;
    const sluice = median(of('sluice record path'));
    console.log(`${d.model.name}, ${d.rows} rows`);
    for (const c of contenders(d)) {
      const s = of(c.label);
      // Also the median of each round's own ratio: the two runs of a round are neighbours in time, so drift between rounds cancels.
      const perRound = median(s.map((x, r) => of('sluice record path')[r]! / x));
      const ratio = c.label === 'sluice record path' ? '' : `   Sluice takes ×${(sluice / median(s)).toFixed(2)} its time (per round: ×${perRound.toFixed(2)})`;
      console.log(`  ${c.label.padEnd(34)} ${median(s).toFixed(2)} s (${Math.min(...s).toFixed(2)}–${Math.max(...s).toFixed(2)})${ratio}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
