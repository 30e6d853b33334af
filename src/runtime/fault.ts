/**
 * TEST-ONLY fault injection, switched on by the environment variable `SLUICE_FAULT` (never by a
 * config): the fault-injection tests use it to break a real run on purpose at a chosen point.
 * Unset (always, outside those tests), every function here is a no-op returning its input.
 *
 * `SLUICE_FAULT` is a `;`-separated list of `<kind>:<key>=<value>,…`:
 *
 * - `worker-exit:partition=2,attempts=1` — the worker thread calls `process.exit(70)` at the
 *   first write of partition 2's output, on attempts 1..`attempts` (default: every attempt).
 * - `worker-throw:partition=2,attempts=1` — an uncaught exception in the worker thread, there.
 * - `write-error:partition=2,code=ENOSPC,attempts=…` — the write stream of partition 2's files
 *   fails with that errno code (ENOSPC, EACCES, EIO…) at its first write.
 * - `slow:ms=50` — every write of partition output waits this long first (stretches a run so a
 *   test can signal or kill it mid-way).
 * - `remove-after-plan:file=/abs/path` — the coordinator deletes that input file right after
 *   planning, so it disappears between planning and reading.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';
import type { Storage } from '../storage/index.js';

export interface Fault {
  kind: string;
  params: Record<string, string>;
}

/** The faults in `SLUICE_FAULT` (none when unset). */
export function faults(env: NodeJS.ProcessEnv = process.env): Fault[] {
  const spec = env.SLUICE_FAULT;
  if (!spec) return [];
  return spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [kind, rest = ''] = s.split(/:(.*)/s);
      const params: Record<string, string> = {};
      for (const kv of rest.split(',').filter(Boolean)) {
        const [k, v = ''] = kv.split(/=(.*)/s);
        params[k!.trim()] = v.trim();
      }
      return { kind: kind!.trim(), params };
    });
}

/** Partition id and attempt from an attempt's temporary file name (`<run>-00002-attempt1.jsonl`). */
function attemptOf(uri: string): { partition: number; attempt: number } | undefined {
  const m = /-(\d{5})-attempt(\d+)\.[^/\\]*$/.exec(uri);
  return m ? { partition: Number(m[1]), attempt: Number(m[2]) } : undefined;
}

function applies(f: Fault, uri: string): boolean {
  const at = attemptOf(uri);
  if (!at) return false;
  if (f.params.partition !== undefined && Number(f.params.partition) !== at.partition) return false;
  return f.params.attempts === undefined || at.attempt <= Number(f.params.attempts);
}

/**
 * Storage with the worker-side faults of `SLUICE_FAULT` applied to partition output streams;
 * `storage` itself when no fault is set.
 */
export function withFaults(storage: Storage, list: Fault[] = faults()): Storage {
  const active = list.filter((f) => ['worker-exit', 'worker-throw', 'write-error', 'slow'].includes(f.kind));
  if (active.length === 0) return storage;
  // Partition outputs are opened with `stage` (the commit protocol) or `createWriteStream`.
  return {
    ...storage,
    createWriteStream: (uri) => faulty(storage.createWriteStream(uri), uri, active),
    stage: (staging, final) => faulty(storage.stage(staging, final), staging, active),
  };
}

/** `inner` with the faults that apply to `uri` fired at its first write. */
function faulty(inner: Writable, uri: string, active: Fault[]): Writable {
  const mine = active.filter((f) => applies(f, uri));
  if (mine.length === 0) return inner;
  let first = true;
  return new Writable({
    write(chunk, encoding, done) {
      const go = () => {
        if (first) {
          first = false;
          for (const f of mine) {
            if (f.kind === 'worker-exit') process.exit(70);
            if (f.kind === 'worker-throw') setImmediate(() => { throw new Error('injected fault: worker-throw'); });
            if (f.kind === 'write-error') {
              const code = f.params.code ?? 'EIO';
              return done(Object.assign(new Error(`${code}: injected write failure, write '${uri}'`), { code }));
            }
          }
        }
        inner.write(chunk, encoding, done);
      };
      const slow = mine.find((f) => f.kind === 'slow');
      if (slow) setTimeout(go, Number(slow.params.ms ?? 50));
      else go();
    },
    final(done) {
      inner.end(done);
    },
    destroy(err, done) {
      inner.destroy();
      done(err);
    },
  });
}

/** The coordinator-side faults, run right after planning (`remove-after-plan`). */
export function afterPlanFaults(list: Fault[] = faults()): void {
  for (const f of list) if (f.kind === 'remove-after-plan' && f.params.file) fs.rmSync(f.params.file, { force: true });
}
