/**
 * Online prediction benchmark: `npm run bench:serve` (also the last part of `npm run bench`).
 *
 * `sluice serve` runs as a child process and autocannon loads it from another child process,
 * over loopback, with one instance per request (the online case: batching has to come from
 * merging concurrent requests). For two models — one where HTTP dominates, one where the model
 * does — it prints, side by side in one run: instances/s and p50/p99 latency at 1, 8 and 64
 * concurrent clients with micro-batching on (serve defaults) and off (`maxBatchSize: 1`), the
 * ratio of the two, the ratio of served instances/s to the batch job's records/s on the same
 * model, the worker-thread choice (0, 1, 2 threads at 64 clients), and an overload run at 4×
 * the measured capacity: status codes, the server's memory, and accepted requests' latency.
 *
 * The load generator shares the machine's cores with the server: figures are as measured.
 * BENCH_QUICK=1 shortens every load run (1 s instead of 5 s).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODELS, ensureDataset, projectRoot, type Dataset } from './workloads.js';
import { mulberry32 } from './random.js';

const QUICK = process.env['BENCH_QUICK'] === '1';
const SECONDS = QUICK ? 1 : 5;
const CLI = path.join(projectRoot, 'dist/src/cli/main.js');
const AUTOCANNON = path.join(projectRoot, 'node_modules/autocannon/autocannon.js');
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  codes: Record<string, number>;
  errors: number;
  timeouts: number;
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Starts `sluice serve` on a free port with `sets`; resolves once it is ready. */
function startServe(pipeline: string, sets: string[]): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', pipeline, '--port', '0', ...sets.flatMap((s) => ['--set', s])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const url = /serving \S+ on (http:\/\/\S+) /.exec(err)?.[1];
      if (url && err.includes('sluice: ready in ')) resolve({ url, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.on('exit', (code) => reject(new Error(`sluice serve exited (${code}): ${err}`)));
  });
}

/** One autocannon run from its own process: POSTs `body` for SECONDS (or `seconds`) with `connections` clients. */
function load(url: string, body: string, connections: number, extra: string[] = [], seconds = SECONDS): Load {
  const r = spawnSync(
    process.execPath,
    [AUTOCANNON, '--json', '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, ...extra, `${url}/v1/predict`],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  const codes: Record<string, number> = {};
  for (const [code, s] of Object.entries<any>(j.statusCodeStats ?? {})) codes[code] = s.count;
  return { rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, codes, errors: j.errors, timeouts: j.timeouts };
}

/** Reads samples of the server's /metrics. */
async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Prometheus' histogram_quantile over `name{status="200"}`: linear inside the bucket, in ms. */
function quantile(text: string, name: string, q: number, base?: string): number {
  const buckets = (t: string) => [...t.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)",status="200"\\} (\\S+)$`, 'gm'))].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])] as const);
  const now = buckets(text);
  const before = new Map(base ? buckets(base) : []);
  const counts = now.map(([le, c]) => [le, c - (before.get(le) ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, c] of counts) {
    if (c >= q * total) {
      if (le === Infinity) return prevLe * 1000;
      return (prevLe + ((q * total - prevCount) / Math.max(1, c - prevCount)) * (le - prevLe)) * 1000;
    }
    prevLe = le;
    prevCount = c;
  }
  return NaN;
}

function sample(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** The batch job on the same model: records/s from its own summary (`sluice run --json`, 2 workers). */
function batchJob(d: Dataset): number {
  fs.rmSync(d.sluiceOut, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [CLI, 'run', d.pipeline, '--json', '--overwrite'], { encoding: 'utf8', cwd: os.tmpdir() });
  if (r.status !== 0) throw new Error(`batch job failed: ${r.stderr}`);
  return JSON.parse(r.stdout).recordsPerSecond;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function benchModel(d: Dataset): Promise<void> {
  const rand = mulberry32(7);
  const x = Array.from({ length: d.dim }, () => Math.round((rand() * 2 - 1) * 1e4) / 1e4);
  const body = JSON.stringify({ instances: [{ id: 1, x }] });
  const body16 = JSON.stringify({ instances: Array.from({ length: 16 }, (_, id) => ({ id, x })) });
  log(`${d.model.name}: batch job over ${d.rows} rows…`);
  const batchRps = Math.max(batchJob(d), batchJob(d));

  const rows: string[][] = [];
  const modes = [
    { label: 'batching on', sets: [] as string[] },
    { label: 'batching off', sets: ['serve.maxBatchSize=1'] },
  ];
  const results = new Map<string, Load>();
  for (const mode of modes) {
    const server = await startServe(d.pipeline, mode.sets);
    try {
      load(server.url, body, 64, [], 2); // warm-up (JIT, model)
      for (const c of [1, 8, 64]) {
        log(`  ${mode.label}, ${c} clients…`);
        const m = load(server.url, body, c);
        results.set(`${mode.label}:${c}`, m);
      }
      // Requests that carry 16 instances each: HTTP's cost per request is shared.
      const m16 = load(server.url, body16, 64);
      results.set(`${mode.label}:64x16`, { ...m16, rps: m16.rps * 16 });
    } finally {
      await server.stop();
    }
  }
  for (const c of ['1', '8', '64', '64x16']) {
    const on = results.get(`batching on:${c}`)!;
    const off = results.get(`batching off:${c}`)!;
    rows.push([c === '64x16' ? '64, 16/req' : c, fmt(on.rps), fmt(on.p50, 1), fmt(on.p99, 1), fmt(off.rps), fmt(off.p50, 1), fmt(off.p99, 1), `${fmt(on.rps / off.rps, 2)}×`, `${fmt(on.rps / batchRps, 2)}×`]);
  }
  console.log(`\n${d.model.name}: one instance per request (last row: 16); batch job ${fmt(batchRps)} records/s (2 workers)`);
  table(['clients', 'on inst/s', 'p50 ms', 'p99 ms', 'off inst/s', 'p50 ms', 'p99 ms', 'on/off', 'on/batch job'], rows);

  // The worker-thread choice: the same load with the chain in 0, 1 or 2 threads.
  const threadRows: string[][] = [];
  const capacities = [results.get('batching on:64')!.rps];
  for (const workers of [0, 1, 2]) {
    const server = await startServe(d.pipeline, [`serve.workers=${workers}`]);
    try {
      load(server.url, body, 64, [], 2);
      const m = load(server.url, body, 64);
      threadRows.push([String(workers), fmt(m.rps), fmt(m.p50, 1), fmt(m.p99, 1)]);
      if (workers === 1) capacities.push(m.rps);
    } finally {
      await server.stop();
    }
  }
  console.log(`${d.model.name}: serve.workers at 64 clients (batching on)`);
  table(['workers', 'inst/s', 'p50 ms', 'p99 ms'], threadRows);

  // Overload: 4× the best capacity measured with the defaults at 64 clients, from 512 clients,
  // with a queue sized to what the server clears in ~10 ms, at most 256 (the default 1024 would
  // hold all 512 clients' requests, so nothing would be refused and the wait would grow instead).
  const capacity = Math.max(...capacities);
  const maxQueue = Math.min(256, Math.max(16, Math.round(capacity * 0.01)));
  const server = await startServe(d.pipeline, [`serve.maxQueue=${maxQueue}`]);
  try {
    load(server.url, body, 64, [], 2); // warm-up
    const base = await scrape(server.url);
    load(server.url, body, 64, [], 2); // at capacity: the server's own latency there
    const atCapacity = await scrape(server.url);
    const rate = Math.round(capacity * 4);
    log(`  overload: ${rate} requests/s offered from 512 clients…`);
    const over = load(server.url, body, 512, ['-R', String(rate)], Math.max(SECONDS, 3));
    const after = await scrape(server.url);
    const others = Object.entries(over.codes).filter(([c]) => !['200', '429', '503'].includes(c));
    const p50cap = quantile(atCapacity, 'sluice_serve_request_duration_seconds', 0.5, base);
    const p99over = quantile(after, 'sluice_serve_request_duration_seconds', 0.99, atCapacity);
    console.log(
      `${d.model.name}: overload, serve.maxQueue ${maxQueue}, ${rate} req/s offered (4× capacity) from 512 clients: answered ${fmt(over.rps)} req/s; ` +
        `status ${JSON.stringify(over.codes)}; other statuses ${others.length ? JSON.stringify(others) : 'none'}; errors ${over.errors}, timeouts ${over.timeouts}; ` +
        `server RSS ${fmt(sample(after, 'sluice_process_resident_memory_bytes') / 2 ** 20)} MB (heap ${fmt(sample(after, 'sluice_nodejs_heap_size_used_bytes') / 2 ** 20)} MB); ` +
        `accepted p99 ${fmt(p99over, 1)} ms vs p50 at capacity ${fmt(p50cap, 1)} ms = ${fmt(p99over / p50cap, 1)}× (server histogram, interpolated)`,
    );
    const health = await fetch(`${server.url}/healthz`);
    console.log(`${d.model.name}: after the overload /healthz answers ${health.status}`);
  } finally {
    await server.stop();
  }
}

function table(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const r of all) console.log('  ' + r.map((cell, i) => cell.padStart(widths[i]!)).join('  '));
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  log(`sluice serve bench: node ${process.version}, ${os.cpus().length} cores, ${SECONDS} s per load run`);
  const tiny = await ensureDataset(MODELS.tiny, QUICK ? 20_000 : 200_000, log);
  const mid = await ensureDataset(MODELS.mid, QUICK ? 5_000 : 50_000, log);
  await benchModel(tiny);
  await benchModel(mid);
  const loadAvg = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  console.log(`\nload average (1/5/15 min) at the end: ${loadAvg} on ${os.cpus().length} cores`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
