/**
 * `keepRecordsYoung` (runtime/pool.ts): before the worker threads start, V8's allocation-site
 * pretenuring is turned off for the process, so records that wait in their batch stay in the
 * young generation and die there (docs/performance.md, "Records stay in the young generation"). `setFlagsFromString` ignores a
 * flag it does not know without a word, so a misspelt or renamed flag would silently undo the
 * fix: these tests run a child Node that would pretenure, with V8's own trace of its decisions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const pool = new URL('../../src/runtime/pool.js', import.meta.url).href;

/**
 * A child that holds 300,000 small objects made at one allocation site (all survive their
 * scavenges, so V8 decides to allocate that site's objects in the old generation), after calling
 * `keepRecordsYoung` when `keepYoung`; returns how many times V8 traced a decision to tenure.
 */
function tenureDecisions(keepYoung: boolean): number {
  const script = `
    const { keepRecordsYoung } = await import(${JSON.stringify(pool)});
    if (${keepYoung}) keepRecordsYoung();
    function record(i) { return { id: i, x: [i, i + 0.5], raw: 'r' }; }
    const held = [];
    for (let i = 0; i < 300000; i++) held.push(record(i));
    console.log('held', held.length);
  `;
  const child = spawnSync(process.execPath, ['--max-semi-space-size=1', '--trace-pretenuring-statistics', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /held 300000/);
  return (child.stdout.match(/=> tenure/g) ?? []).length;
}

test('without keepRecordsYoung V8 pretenures objects that survive their scavenges (the probe works)', () => {
  assert.ok(tenureDecisions(false) > 0, 'V8 made no tenure decision: the probe no longer shows pretenuring');
});

test('keepRecordsYoung turns pretenuring off: V8 makes no tenure decision at all', () => {
  assert.equal(tenureDecisions(true), 0);
});
