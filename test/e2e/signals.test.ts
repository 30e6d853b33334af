/**
 * SIGINT and SIGTERM during a real run (issue 5, 4e; CONTRACT: stop taking partitions, commit
 * what is complete, exit 1 saying a rerun resumes), and a second SIGINT that quits at once. Each
 * signal is sent after the run's first commit; writes are slowed (the test-only `slow` fault, test/helpers/fault-preload.ts) so the
 * run is still going then. The rerun must complete it exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkCommitted, checkExactlyOnce, committedIds, faultArgs, makeProject, runSluice, startSluice, waitFor } from '../helpers/faults.js';

const slow = faultArgs({ kind: 'slow', ms: 60 });

async function interrupted(signals: NodeJS.Signals[], name: string) {
  const p = makeProject({ name, edit: (c) => (c.execution.partitionBytes = 6000) });
  const { child, done } = startSluice(['run', p.config, ...slow]);
  await waitFor(() => committedIds(p).length > 0, 60_000, 'the first commit');
  for (const s of signals) {
    child.kill(s);
    // A second signal must land while the first stop is still under way (it takes tens of ms).
    await new Promise((r) => setTimeout(r, 5));
  }
  const r = await done;
  const { committed } = checkCommitted(p);
  return { p, r, committed };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} stops the run cleanly: exit 1, committed partitions kept, nothing partial, the rerun completes it exactly once`, async () => {
    const { p, r, committed } = await interrupted([signal], signal.toLowerCase());
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`sluice: ${signal}: stopping \\(committed partitions are kept; press Ctrl-C again to exit at once\\)`));
    const total = JSON.parse(fs.readFileSync(path.join(p.out, '_manifest/run.json'), 'utf8')).partitions.length;
    assert.match(r.stderr, new RegExp(`^sluice: interrupted: ${committed.length} of ${total} partitions are committed; run the same command again to resume$`, 'm'));
    assert.ok(committed.length < total, 'the signal came while partitions were left');
    assert.ok(!fs.existsSync(path.join(p.out, '_SUCCESS')));
    for (const dir of [p.out, p.errors]) {
      const temp = path.join(dir, '_temporary');
      assert.ok(!fs.existsSync(temp) || fs.readdirSync(temp).length === 0, 'abandoned attempts are removed');
    }
    const again = await runSluice(['run', p.config, '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).partitions.resumed, committed.length);
    checkExactlyOnce(p);
  });
}

test('a second SIGINT quits at once: exit 1, still no partial part file, the rerun completes it exactly once', async () => {
  const { p, r } = await interrupted(['SIGINT', 'SIGINT'], 'sigint-twice');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /sluice: SIGINT again: exiting now; run the same command again to resume/);
  const again = await runSluice(['run', p.config]);
  assert.equal(again.status, 0, again.stderr);
  checkExactlyOnce(p);
});
