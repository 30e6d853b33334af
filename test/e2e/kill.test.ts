/**
 * kill -9 at random points (issue 5, 4a): the CLI runs a real pipeline (the quickstart's model,
 * ~18 partitions, 2 worker threads) and is killed with SIGKILL after a random delay, up to three
 * times in a row (a kill can land in a resumed run too), then run to the end. After every kill,
 * every `part-*` file is whole and every committed partition matches its manifest counts; after
 * the final run, every input key is there exactly once and the error rows are exactly the bad
 * records. The seed is printed; SLUICE_KILL_SEED=<seed> replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCommitted, checkExactlyOnce, committedIds, makeProject, runSluice, seededRandom, startSluice, type Project } from '../helpers/faults.js';

const KILLS = 21;
const PER_CHAIN = 3;

interface Kill {
  /** ms after start, or after the run's first commit (`+…`). */
  at: string;
  before: number;
  after: number;
}

/** Kills up to PER_CHAIN runs of `p` at random delays, then completes it; returns the kills that hit a live process. */
async function chain(p: Project, random: () => number, spanMs: number): Promise<Kill[]> {
  const kills: Kill[] = [];
  for (let k = 0; k < PER_CHAIN; k++) {
    const before = committedIds(p).length;
    const { child, done } = startSluice(['run', p.config]);
    const startedAt = Date.now();
    let exited = false;
    void done.then(() => (exited = true));
    // A third of the kills fall anywhere in the run (start-up and planning included); the others
    // a random moment after this run's first commit, so that many land between commits.
    const anywhere = random() < 1 / 3;
    const delayMs = Math.round(anywhere ? spanMs * random() : 400 * random());
    if (!anywhere) {
      while (!exited && committedIds(p).length === before) await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, delayMs));
    if (exited) break; // it completed before the kill: nothing left to kill in this chain
    child.kill('SIGKILL');
    const r = await done;
    if (r.signal !== 'SIGKILL') break; // exited on its own in the same instant
    // What a reader sees right after the kill: whole part files, manifests that match them.
    checkCommitted(p);
    kills.push({ at: `${anywhere ? '' : '+'}${Date.now() - startedAt}ms`, before, after: committedIds(p).length });
  }
  const final = await runSluice(['run', p.config]);
  assert.equal(final.status, 0, final.stderr);
  checkExactlyOnce(p);
  return kills;
}

test(`kill -9 at ${KILLS}+ random points, rerun: every key exactly once, error rows exactly the bad records, no partial part file`, async (t) => {
  const seed = Number(process.env.SLUICE_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (replay with SLUICE_KILL_SEED=${seed})`);
  console.log(`kill -9 test: seed ${seed}`);
  const random = seededRandom(seed);
  const options = { files: 3, perFile: 600, edit: (c: any) => (c.execution.partitionBytes = 6000), name: 'kill' };

  // How long an undisturbed run takes here, now (the machine may be loaded): kills spread over it.
  const reference = makeProject(options);
  const started = Date.now();
  const full = await runSluice(['run', reference.config]);
  const spanMs = Date.now() - started;
  assert.equal(full.status, 0, full.stderr);
  checkExactlyOnce(reference);
  const total = checkCommitted(reference).committed.length;
  assert.ok(total >= 12, `expected many partitions, got ${total}`);

  const kills: Kill[] = [];
  for (let chains = 0; kills.length < KILLS && chains < 20; chains += 2) {
    // Two chains side by side, each on its own output.
    const pair = await Promise.all([chain(makeProject(options), random, spanMs), chain(makeProject(options), random, spanMs)]);
    kills.push(...pair.flat());
  }
  const midway = kills.filter((k) => k.after > k.before && k.after < total).length;
  const histogram = kills.map((k) => `${k.at}:${k.before}→${k.after}`).join(' ');
  t.diagnostic(`full run ${spanMs} ms, ${total} partitions; ${kills.length} kills (time of kill: committed before→after): ${histogram}`);
  assert.ok(kills.length >= KILLS, `only ${kills.length} kills hit a live run (seed ${seed})`);
  // The kills must land while partitions are being committed, not only before or after.
  assert.ok(midway >= 3, `only ${midway} kills landed between commits (seed ${seed}): ${histogram}`);
});
