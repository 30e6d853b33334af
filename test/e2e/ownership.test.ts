/**
 * One output, one owner (issue 15 item 1; CONTRACT "Ownership of an output"): a second run on an
 * output a live run is writing exits 2 with one line naming the other run and changes nothing;
 * the same config started twice at once gives one run and one clear refusal (never a raw
 * ENOENT); a dead run's lease is taken over and the message says so. On local files, and on S3
 * (s3rver) and GCS (the emulator) outputs, whose conditional creates stand behind the lease.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readParts } from '../helpers/cli.js';
import { checkExactlyOnce, committedIds, makeProject, runSluice, startSluice, waitFor } from '../helpers/faults.js';
import { S3RVER_ENV, createS3Bucket, gcsSettings, s3Settings, startObjectServer, type ObjectServer } from '../helpers/object-servers.js';
import { createStorage, defaultBackends, joinUri, type Storage } from '../../src/storage/index.js';

/** The one line a refused run prints: the other run's id, host, pid and start time. */
const BUSY = /^sluice: (\S+) is being written by another run (\S+) \(host (\S+), pid (\d+), started (\S+)\); this run changed nothing \(wait for it to end, or stop it\)$/m;

/** A project slow enough (batch of 1, small partitions) that a second run starts while the first writes. */
function slowProject(name: string) {
  return makeProject({ name, files: 3, perFile: 3000, edit: (c) => ((c.model.batchSize = 1), (c.execution.partitionBytes = 8000)) });
}

/** `b.json` beside the project's config: the same source and sink, plus a `round` step. */
function otherConfig(config: string): string {
  const c = JSON.parse(fs.readFileSync(config, 'utf8'));
  c.post = [{ type: 'round', digits: 1 }];
  const file = path.join(path.dirname(config), 'b.json');
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
}

const listing = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => !f.includes('_temporary')).sort() : [];

test('a second run (another config) on an output a live run writes: exit 2 naming that run; the first ends exactly-once with only its rows', async () => {
  const p = slowProject('owner-a');
  const a = startSluice(['run', p.config]);
  await waitFor(() => committedIds(p).length > 0, 60_000, 'the first commit of run a');
  const b = await runSluice(['run', otherConfig(p.config)]);
  assert.equal(b.status, 2, b.stderr);
  const m = BUSY.exec(b.stderr);
  assert.ok(m, b.stderr);
  assert.equal(Number(m[4]), a.child.pid, 'the message names the live run by its pid');
  assert.equal(m[3], os.hostname());
  assert.equal(b.stderr.trim().split('\n').length, 1, 'one line');
  const ra = await a.done;
  assert.equal(ra.status, 0, ra.stderr);
  checkExactlyOnce(p);
  // Only a's rows: b rounds to one digit; a's probabilities are almost never multiples of 0.1.
  const rounded = (v: number) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9;
  const rows = readParts(p.out);
  assert.ok(rows.filter((r) => (r.prediction as number[]).every(rounded)).length < rows.length / 100, 'rows of run b are in the output');
  const success = JSON.parse(fs.readFileSync(path.join(p.out, '_SUCCESS'), 'utf8'));
  const record = JSON.parse(fs.readFileSync(path.join(p.out, '_manifest/run.json'), 'utf8'));
  assert.equal(success.configFingerprint, record.configFingerprint);
  assert.ok(!fs.existsSync(path.join(p.out, '_lease.json')), 'the lease is released at the end');
});

test('the same config started twice at once: one run writes, the other exits 2 with one line (no raw ENOENT)', async () => {
  const p = slowProject('owner-same');
  const [r1, r2] = await Promise.all([runSluice(['run', p.config]), runSluice(['run', p.config])]);
  const statuses = [r1.status, r2.status].sort();
  assert.deepEqual(statuses, [0, 2], `${r1.stderr}\n---\n${r2.stderr}`);
  const loser = r1.status === 2 ? r1 : r2;
  assert.match(loser.stderr, BUSY);
  assert.doesNotMatch(loser.stderr, /ENOENT|rename/);
  checkExactlyOnce(p);
});

test('a lease whose holder is dead is taken over, and the run says so; a live one elsewhere blocks and nothing changes', async () => {
  const p = makeProject({ name: 'owner-dead', files: 1, perFile: 200 });
  fs.mkdirSync(p.out, { recursive: true });
  const lease = (o: object) => fs.writeFileSync(path.join(p.out, '_lease.json'), JSON.stringify({ runId: 'r-other', host: 'another-host', pid: 4242, startTime: '2026-12-05T10:00:00.000Z', heartbeatMs: 5000, runKey: 'k', ...o }));

  lease({ heartbeat: new Date().toISOString() });
  const before = listing(p.out);
  const blocked = await runSluice(['run', p.config]);
  assert.equal(blocked.status, 2, blocked.stderr);
  assert.equal(blocked.stderr.trim(), `sluice: ${p.out} is being written by another run r-other (host another-host, pid 4242, started 2026-12-05T10:00:00.000Z); this run changed nothing (wait for it to end, or stop it)`);
  assert.deepEqual(listing(p.out), before, 'the refused run changed nothing');
  assert.ok(!fs.existsSync(p.errors));

  lease({ heartbeat: new Date(Date.now() - 10 * 60_000).toISOString() });
  const stale = await runSluice(['run', p.config]);
  assert.equal(stale.status, 0, stale.stderr);
  assert.match(stale.stderr, /was held by run r-other \(host another-host, pid 4242, started 2026-12-05T10:00:00\.000Z\), which is dead \(its heartbeat stopped at \S+ \(more than 60 s ago\)\); this run takes it over/);
  checkExactlyOnce(p);

  // On this host a holder whose process is gone is dead at once (a rerun after kill -9).
  const q = makeProject({ name: 'owner-gone', files: 1, perFile: 200 });
  fs.mkdirSync(q.out, { recursive: true });
  const gone = 2 ** 22 + 12345; // beyond Linux's largest pid_max: never a live process
  fs.writeFileSync(path.join(q.out, '_lease.json'), JSON.stringify({ runId: 'r-killed', host: os.hostname(), pid: gone, startTime: '2026-12-05T10:00:00.000Z', heartbeat: new Date().toISOString(), heartbeatMs: 5000, runKey: 'k' }));
  const rerun = await runSluice(['run', q.config]);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`which is dead \\(its process ${gone} no longer exists\\); this run takes it over`));
  checkExactlyOnce(q);
});

describe('ownership on object stores', () => {
  let s3: ObjectServer;
  let gcs: ObjectServer;
  let storage: Storage;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-owner-objects-'));
  before(async () => {
    [s3, gcs] = await Promise.all([startObjectServer('s3'), startObjectServer('gcs')]);
    await createS3Bucket(s3.endpoint, 'owner');
    Object.assign(process.env, S3RVER_ENV);
    storage = createStorage(defaultBackends({ s3: s3Settings(s3.endpoint), gcs: gcsSettings(gcs.endpoint) }));
  });
  after(async () => {
    await Promise.all([s3?.stop(), gcs?.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const [scheme, root] of [
    ['s3', 's3://owner/runs'],
    ['gs', 'gs://owner/runs'],
  ] as const) {
    test(`${scheme}://: two runs of different configs started together on one output: one writes it whole, the other exits 2 naming it`, async () => {
      const p = makeProject({ name: `owner-${scheme}`, files: 2, perFile: 400, edit: (c) => (c.execution.partitionBytes = 8000) });
      const out = joinUri(root, 'out');
      const config = JSON.parse(fs.readFileSync(p.config, 'utf8'));
      config.sink.uri = joinUri(out, 'predictions');
      config.errors.uri = joinUri(out, 'errors');
      config.storage = { s3: s3Settings(s3.endpoint), gcs: gcsSettings(gcs.endpoint) };
      fs.writeFileSync(p.config, JSON.stringify(config, null, 2));
      const b = otherConfig(p.config);
      const [ra, rb] = await Promise.all([runSluice(['run', p.config], S3RVER_ENV), runSluice(['run', b], S3RVER_ENV)]);
      assert.deepEqual([ra.status, rb.status].sort(), [0, 2], `${ra.stderr}\n---\n${rb.stderr}`);
      const [winner, loser] = ra.status === 0 ? [ra, rb] : [rb, ra];
      assert.match(loser.stderr, BUSY);
      assert.equal(loser.stderr.trim().split('\n').length, 1);
      const success = JSON.parse(Buffer.from(await storage.readAll(joinUri(out, 'predictions/_SUCCESS'))).toString());
      assert.equal(success.counts.read, p.good.length + p.bad.length, winner.stderr);
      const rows: any[] = [];
      for (const name of (await storage.children(joinUri(out, 'predictions'))).filter((n) => n.startsWith('part-'))) {
        rows.push(...Buffer.from(await storage.readAll(joinUri(out, 'predictions', name))).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      }
      assert.deepEqual(rows.map((r) => r.key).sort(), [...p.good].sort(), 'every key once, from the one run');
      const rounded = (v: number) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9;
      const fromB = rows.filter((r) => (r.prediction as number[]).every(rounded)).length;
      if (winner === ra) assert.ok(fromB < rows.length / 10, 'rows of the refused run b are in the output');
      else assert.equal(fromB, rows.length, 'rows of the refused run a are in the output');
      assert.equal(await storage.exists(joinUri(out, 'predictions/_lease.json')), false, 'the lease is released');
    });
  }
});
