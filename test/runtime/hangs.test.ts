/**
 * Narrowing a hung batch to the record that hangs (issue 16, item 8), attempt after attempt: the
 * real ledger (src/runtime/hangs.ts), the real guard (watchdog.ts) and the real bisection
 * (core/bisect.ts), as the model stage drives them. A call holding a hanging position never
 * settles; the attempt is then over, as when the coordinator terminates its thread, and the
 * call the slot shows is recorded — what attempts.ts does. The CLI test with a real
 * synchronous loop is test/e2e/timeouts.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangLedger } from '../../src/runtime/hangs.js';
import { AttemptSlot, createGuard } from '../../src/runtime/watchdog.js';
import { bisect } from '../../src/core/bisect.js';
import { RecordError } from '../../src/core/failure.js';

interface Outcome {
  /** Per position: 'ok', or the code of its failure. */
  results: string[];
  timeouts: number;
  messages: string[];
}

/**
 * Runs `count` positions in batches of `batch` until an attempt completes. `hangs(p, attempt)`
 * says whether position p hangs on that attempt (1-based).
 */
async function runPartition(count: number, batch: number, maxAttempts: number, hangs: (p: number, attempt: number) => boolean): Promise<Outcome> {
  const ledger = new HangLedger(maxAttempts);
  const positions = Array.from({ length: count }, (_, i) => i);
  for (let attempt = 1; attempt < 200; attempt++) {
    const slot = new AttemptSlot();
    const { skipped, hung } = ledger.plan(['/model']);
    const guard = createGuard(slot, 0, skipped, hung);
    const messages = new Map<number, string>();
    let stuck!: () => void;
    const hung$ = new Promise<'hung'>((resolve) => (stuck = () => resolve('hung')));
    const work = (async () => {
      const results: string[] = [];
      for (let i = 0; i < count; i += batch) {
        const part = await bisect(positions.slice(i, i + batch), {
          run: (ps) =>
            guard(ps, 1000, async () => {
              if (ps.some((p) => hangs(p, attempt))) {
                stuck();
                return new Promise<string[]>(() => undefined); // never settles, as a thread in a loop
              }
              return ps.map(() => 'ok');
            }),
          alone: (p, err) => {
            if (!(err instanceof RecordError)) throw err;
            messages.set(p, err.message);
            return err.code;
          },
        });
        results.push(...part);
      }
      return results;
    })();
    const done = await Promise.race([work, hung$]);
    if (done !== 'hung') return { results: done, timeouts: attempt - 1, messages: [...messages.values()] };
    const call = slot.currentCall()!;
    ledger.record(call, call.timeoutMs);
  }
  throw new Error('no attempt completed');
}

const failed = (o: Outcome) => o.results.flatMap((r, p) => (r === 'ok' ? [] : [`${p}:${r}`]));

test('one record that always hangs: only it fails (timeout), after ceil(log2(batch)) + 1 timeouts', async () => {
  const o = await runPartition(200, 64, 3, (p) => p === 137);
  assert.deepEqual(failed(o), ['137:timeout']);
  assert.equal(o.timeouts, 7); // 64, 32, 16, 8, 4, 2, 1 records
  assert.match(o.messages[0]!, /^timed out: this record alone ran longer than 1000 ms in \/model \(\/model\/batchTimeoutMs\); calls holding it timed out 7 times, its worker thread terminated each time$/);
});

test('a batch of one: the record is retried until it hung maxAttempts times', async () => {
  const o = await runPartition(5, 1, 3, (p) => p === 2 || p === 4);
  assert.deepEqual(failed(o), ['2:timeout', '4:timeout']);
  assert.equal(o.timeouts, 6);
  assert.ok(o.messages.every((m) => m.startsWith('timed out: this record alone')), o.messages.join('\n'));
});

test('maxAttempts 1: two hanging records in one batch are both found, within 2·ceil(log2(n)) + 1 timeouts', async () => {
  const o = await runPartition(64, 64, 1, (p) => p === 3 || p === 60);
  assert.deepEqual(failed(o), ['3:timeout', '60:timeout']);
  assert.equal(o.timeouts, 13);
});

test('a stall on the first attempt only: the batch is split once and every record is predicted', async () => {
  const o = await runPartition(64, 16, 3, (p, attempt) => p === 20 && attempt === 1);
  assert.deepEqual(failed(o), []);
  assert.equal(o.timeouts, 1);
});

test('two hanging records in one batch: both found, each alone, within 2·ceil(log2(n)) + 1 timeouts', async () => {
  for (const [a, b] of [[3, 60], [34, 35], [0, 63]] as const) {
    const o = await runPartition(64, 64, 3, (p) => p === a || p === b);
    assert.deepEqual(failed(o), [`${a}:timeout`, `${b}:timeout`]);
    assert.ok(o.timeouts <= 2 * 6 + 1, `${a}, ${b}: ${o.timeouts} timeouts`);
  }
});

test('a model that hangs on everything: the first batch costs 2·ceil(log2(n)) + maxAttempts timeouts, later ones maxAttempts, then each fails whole', async () => {
  const o = await runPartition(48, 16, 2, () => true);
  assert.deepEqual(failed(o), Array.from({ length: 48 }, (_, p) => `${p}:timeout`));
  assert.equal(o.timeouts, 2 * 4 + 2 + 2 + 2);
  assert.ok(o.messages.some((m) => /several of its records hang, and narrowing stopped after \d+ timeouts$/.test(m)), o.messages.join('\n'));
});

test('three hanging records in one batch: that batch fails whole; a later batch with one hanging record fails after maxAttempts timeouts, whole', async () => {
  const o = await runPartition(32, 16, 3, (p) => p === 1 || p === 6 || p === 12 || p === 20);
  assert.deepEqual(failed(o), Array.from({ length: 32 }, (_, p) => `${p}:timeout`));
  assert.equal(o.timeouts, 2 * 4 + 3 + 3);
});

test('hanging records in different batches are narrowed independently; the rest of the partition is predicted', async () => {
  const o = await runPartition(300, 32, 3, (p) => p === 5 || p === 100 || p === 299);
  assert.deepEqual(failed(o), ['5:timeout', '100:timeout', '299:timeout']);
  assert.equal(o.timeouts, 6 + 6 + 4); // 32, 16, 8, 4, 2, 1 records twice; the last batch holds 12: 12, 6, 3, 1
});
