/**
 * The command line of distributed runs where no Redis answers (runs everywhere, no redis-server
 * needed): bad URLs and flags exit 2, an unreachable Redis exits 1 with one line and touches no
 * output, and a password in the URL is never printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { sluice } from '../helpers/cli.js';
import { freePort } from '../helpers/redis.js';
import { project } from './helpers.js';

test('a coordinator URL that is not redis:// is a config error (exit 2)', () => {
  const p = project();
  const r = sluice(['run', p.config, '--coordinator', 'http://127.0.0.1:6379']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^sluice: \/execution\/coordinator: must match \^rediss\?:\/\/, got "http:\/\/127\.0\.0\.1:6379"$/m);
});

test('an unreachable Redis: exit 1 with one line naming it (password masked), nothing written', async () => {
  const p = project();
  const port = await freePort();
  const r = sluice(['run', p.config, '--coordinator', `redis://:s3cret@127.0.0.1:${port}`, '--set', 'execution.redisTimeout=1']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^sluice: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(waited 1 s\\)$`, 'm'));
  assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
  assert.doesNotMatch(r.stderr, /    at /);
  assert.ok(!fs.existsSync(p.out), 'the output was not touched');
});

test('sluice worker: bad flags exit 2; an unreachable Redis exits 1', async () => {
  const notRedis = sluice(['worker', '--coordinator', 'localhost:6379']);
  assert.equal(notRedis.status, 2);
  assert.match(notRedis.stderr, /^sluice: --coordinator: must be a Redis URL \(redis:\/\/host:6379 or rediss:\/\/…\), got "localhost:6379"$/m);
  const threads = sluice(['worker', '--coordinator', 'redis://127.0.0.1:1', '--threads', '0']);
  assert.equal(threads.status, 2);
  assert.match(threads.stderr, /^sluice: --threads: must be a whole number > 0, got "0"$/m);
  const missing = sluice(['worker']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--coordinator <url>' not specified/);
  const port = await freePort();
  const gone = sluice(['worker', '--coordinator', `redis://127.0.0.1:${port}`, '--redis-timeout', '1']);
  assert.equal(gone.status, 1, gone.stderr);
  assert.match(gone.stderr, new RegExp(`^sluice: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`, 'm'));
});
