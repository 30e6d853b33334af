/**
 * Shared set-up of the distributed tests: the quickstart's model and records, replicated to a
 * few thousand records per partition (batchSize 1 keeps each partition busy for about a second,
 * long enough to kill a worker in the middle of one), and a local run's output to compare with.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';
import { background, type Background } from '../helpers/processes.js';

const QUICKSTART = path.join(ROOT, 'examples/quickstart');
/** Copies of the quickstart's 154 records (4 of them bad): 150 × 154 = 23,100 records, 1.6 MB. */
const COPIES = 150;

let shared: string | undefined;

/** The replicated input and the model, written once per test file. */
function sharedInput(): string {
  if (shared) return shared;
  shared = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dist-input-'));
  fs.cpSync(path.join(QUICKSTART, 'model'), path.join(shared, 'model'), { recursive: true });
  const lines = fs.readFileSync(path.join(QUICKSTART, 'data/flowers.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const out: string[] = [];
  for (let r = 0; r < COPIES; r++) {
    for (const line of lines) {
      let record: any;
      try {
        record = JSON.parse(line);
      } catch {
        out.push(line); // the invalid-JSON record stays as it is: its error row has no key
        continue;
      }
      out.push(JSON.stringify({ ...record, id: `${record.id}-${r}` }));
    }
  }
  fs.mkdirSync(path.join(shared, 'data'));
  fs.writeFileSync(path.join(shared, 'data/flowers.jsonl'), out.join('\n') + '\n');
  return shared;
}

/** A fresh project (its own output directory) over the shared input; returns its config path. */
export function project(): { dir: string; config: string; out: string; errors: string } {
  const input = sharedInput();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dist-'));
  const config = JSON.parse(fs.readFileSync(path.join(QUICKSTART, 'pipeline.json'), 'utf8'));
  delete config.$schema;
  config.name = 'distributed';
  config.source.uri = path.join(input, 'data/flowers.jsonl');
  config.model.uri = path.join(input, 'model/model.json');
  config.model.batchSize = 1;
  // wasm: these tests are about distribution; batchSize 1 on tensorflow (auto after `npm run
  // native`) pays TensorFlow's per-call cost 23,100 times. native-threads.test.ts runs tensorflow.
  config.model.backend = 'wasm';
  config.execution = { workers: 2, partitionBytes: 200_000 };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  return { dir, config: path.join(dir, 'pipeline.json'), out: path.join(dir, 'out/predictions'), errors: path.join(dir, 'out/errors') };
}

let local: ReturnType<typeof project> | undefined;

/** The same pipeline run locally (worker threads, no Redis): what every distributed run must equal. */
export function localRun(): ReturnType<typeof project> {
  if (local) return local;
  const p = project();
  const r = sluice(['run', p.config]);
  assert.equal(r.status, 0, r.stderr);
  local = p;
  return p;
}

const parts = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('part-')).sort();

/**
 * Exactly-once output equal to the local run's: the same rows by key, every key once, and every
 * part file byte for byte the local one (the same partitions, processed deterministically).
 */
export function assertSameAsLocal(p: ReturnType<typeof project>, opts: { complete?: boolean } = {}): void {
  const l = localRun();
  if (opts.complete ?? true) {
    assert.deepEqual(byKey(readParts(p.out)), byKey(readParts(l.out)));
    assert.deepEqual(byKey(readParts(p.errors)), byKey(readParts(l.errors)));
    const keys = readParts(p.out).map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, 'every key exactly once');
    assert.deepEqual(parts(p.out), parts(l.out));
    assert.ok(fs.existsSync(path.join(p.out, '_SUCCESS')));
  }
  for (const dir of [['out', p.out, l.out], ['errors', p.errors, l.errors]] as const) {
    for (const f of parts(dir[1])) {
      assert.ok(fs.readFileSync(path.join(dir[1], f)).equals(fs.readFileSync(path.join(dir[2], f))), `${dir[0]}/${f} differs from the local run's`);
    }
  }
}

/** Partition ids with a manifest entry (committed). */
export function committedIds(p: ReturnType<typeof project>): number[] {
  const dir = path.join(p.out, '_manifest');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^p\d+\.json$/.test(f))
    .map((f) => Number(f.slice(1, 6)))
    .sort((a, b) => a - b);
}

/** Short locks so a dead worker's partition comes back in seconds, not the default 30-45 s. */
export const FAST_STALL = ['--lock-duration', '3', '--stalled-interval', '1'];

/** `sluice worker` with one thread on `url`. */
export function worker(url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Background {
  return background(['worker', '--coordinator', url, '--threads', '1', ...FAST_STALL, ...extra], env);
}

/** The first of `workers` to start a partition, and that partition's id. */
export async function firstStarted(workers: Background[]): Promise<{ worker: Background; id: number }> {
  return Promise.any(
    workers.map(async (w) => {
      const m = await w.waitFor(/partition (\d+) of \d+ .*: started/, 90_000);
      return { worker: w, id: Number(m[1]) };
    }),
  );
}

/** Kills every process still running (SIGKILL): the end of every test, pass or fail. */
export async function killAll(list: Background[]): Promise<void> {
  for (const b of list) b.signal('SIGCONT');
  for (const b of list) b.signal('SIGKILL');
  await Promise.all(list.map((b) => b.exited));
}
