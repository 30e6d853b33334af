/**
 * predict() in the caller's thread vs worker threads: one call of N records, after a warm-up
 * call, median of 3, for the benchmark's tiny and mid models. Part of `npm run bench:serve`.
 */
import fs from 'node:fs';
import { createPredictor } from '../src/predict/predictor.js';
import { MODELS, ensureDataset, type Dataset } from './workloads.js';

const QUICK = process.env['BENCH_QUICK'] === '1';
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

function records(d: Dataset, n: number): unknown[] {
  return fs.readFileSync(d.dataFile, 'utf8').split('\n', n).map((l) => JSON.parse(l));
}

async function perSecond(d: Dataset, threads: number, input: unknown[]): Promise<number> {
  const predictor = await createPredictor(d.pipeline, { threads });
  try {
    await predictor.predict(input.slice(0, 1000));
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      const rows = await predictor.predict(input);
      times.push((performance.now() - t) / 1000);
      if (rows.length !== input.length) throw new Error(`${rows.length} rows for ${input.length} records`);
    }
    return input.length / times.sort((a, b) => a - b)[1]!;
  } finally {
    await predictor.close();
  }
}

async function main(): Promise<void> {
  for (const [spec, n] of [[MODELS.tiny, 100_000], [MODELS.mid, 20_000]] as const) {
    const d = await ensureDataset(spec, QUICK ? 20_000 : 200_000, log);
    const input = records(d, QUICK ? n / 10 : n);
    const line = [`predict() ${spec.name}, ${input.length} records in one call`];
    const base = await perSecond(d, 0, input);
    line.push(`caller's thread ${base.toFixed(0)} records/s`);
    for (const threads of [1, 2]) {
      const r = await perSecond(d, threads, input);
      line.push(`${threads} thread${threads > 1 ? 's' : ''} ${r.toFixed(0)} (${(r / base).toFixed(2)}×)`);
    }
    console.log(line.join('; '));
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
