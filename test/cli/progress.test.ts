/**
 * The progress display (issue 18): counts records within a partition (a single-partition input
 * moves), fits narrow terminals without cutting a word, colours only a terminal without
 * NO_COLOR, prints plain lines when piped, and draws nothing after Ctrl-C. The terminal cases
 * run the real CLI under a pseudo-terminal made by util-linux `script`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { CLI, ROOT } from '../helpers/cli.js';
import { faultArgs } from '../helpers/faults.js';
import { createProgress, progressLine, type Figures } from '../../src/cli/progress.js';
import { paint } from '../../src/cli/style.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g;

test('a progress line fits every width from 10 to 140 columns and never cuts a word', () => {
  const cases: Figures[] = [
    { fraction: 0.42, read: 84_123, total: 200_000, rate: 22_463, eta: '1m05s', failed: 0 },
    { fraction: 0.9, read: 1_234_567_890, total: 1_371_742_100, rate: 1_000_000, eta: '2h07m', failed: 12_345 },
    { fraction: null, read: 0, total: null, rate: 0, eta: '?', failed: 0 },
  ];
  for (const f of cases) {
    const full = progressLine(f, 1000, paint(false)).split(' ').filter(Boolean);
    for (let width = 10; width <= 140; width++) {
      const line = progressLine(f, width, paint(false));
      assert.ok(line.length <= width, `${width}: ${line}`);
      for (const word of line.split(' ').filter(Boolean)) {
        if (/^[█░]+$/.test(word)) continue;
        assert.ok(full.includes(word), `${width}: "${word}" is cut in ${JSON.stringify(line)}`);
      }
      // Whatever the width, the percentage stays; from 40 columns the record count too.
      assert.match(line, /%/);
      if (width >= 40) assert.match(line, / rec/);
    }
  }
  const coloured = progressLine(cases[1]!, 80, paint(true));
  assert.match(coloured, /\x1b\[31m12,345 failed\x1b\[39m/);
  assert.equal(coloured.replace(ANSI, ''), progressLine(cases[1]!, 80, paint(false)));
});

test('piped: one plain line per interval, records of an estimated total, the rate over the last seconds', () => {
  let t = 0;
  const out = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
  let text = '';
  (out as unknown as PassThrough).on('data', (d) => (text += d));
  const p = createProgress(out, { intervalMs: 10_000, rateWindowMs: 5_000, now: () => t });
  p.start({ partitions: 1, bytes: 1_000_000, chain: 'jsonl → json → tfjs → jsonl' });
  // 1,000 records/s for 10 s, then 100 records/s: the rate shown follows the last 5 s, not the average.
  let read = 0;
  for (let s = 1; s <= 20; s++) {
    t = s * 1000;
    read += s <= 10 ? 1000 : 100;
    p.update({ read, written: read, failed: 0, bytesRead: read * 40, base: { read: 0 }, partitionsDone: 0, bytesDone: 0 });
  }
  p.stop();
  const lines = text.trim().split('\n');
  assert.deepEqual(lines, [
    'sluice: jsonl → json → tfjs → jsonl: 1 partition, 1.0 MB',
    'sluice: progress: 40%, 10,000 of ~25,000 records read, 1,000 records/s, 0 failed, ETA 15s',
    'sluice: progress: 44%, 11,000 of ~25,000 records read, 100 records/s, 0 failed, ETA 25s',
  ]);
  assert.doesNotMatch(text, ANSI, 'no escape codes in a pipe');
});

/** A one-file input big enough to take several seconds under the `slow` fault. */
function singlePartitionProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-progress-'));
  fs.cpSync(path.join(ROOT, 'examples/quickstart/model'), path.join(dir, 'model'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  let text = '';
  for (let i = 0; i < 20_000; i++) text += JSON.stringify({ id: `k${i}`, measurements: [5 + (i % 7) / 10, 3, 1.4, 0.2] }) + '\n';
  fs.writeFileSync(path.join(dir, 'data/one.jsonl'), text);
  const config = {
    name: 'progress',
    source: { type: 'jsonl', uri: 'data/one.jsonl' },
    decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 256 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    execution: { workers: 1, partitionBytes: 64_000_000 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  return path.join(dir, 'pipeline.json');
}

/** Runs the CLI in a 60-column pseudo-terminal; `onOutput` may type into it (Ctrl-C is "\x03"). */
function underTerminal(args: string[], env: NodeJS.ProcessEnv, onOutput?: (all: string, type: (s: string) => void) => void): Promise<{ status: number | null; out: string }> {
  const command = `stty cols 60 rows 24; exec ${[process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    onOutput?.(out, (s) => child.stdin.write(s));
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, out })));
}

/** The frames of the live line: what was drawn between cursor returns, without escape codes. */
const frames = (out: string) => out.split(/\x1b\[1G|\r/).map((f) => f.replace(ANSI, '')).filter((f) => /%/.test(f));

test('under a terminal: records move within a single partition, lines fit 60 columns, colour unless NO_COLOR', { skip: !hasScript && 'needs util-linux script for a pseudo-terminal' }, async () => {
  const config = singlePartitionProject();
  const r = await underTerminal(['run', config, '--overwrite', ...faultArgs({ kind: 'slow', ms: 20 })], {});
  assert.equal(r.status, 0, r.out);
  const drawn = frames(r.out);
  const moving = drawn.filter((f) => /\b([1-9]\d?)% [\d,]+\/~[\d,]+ rec/.test(f));
  assert.ok(moving.length >= 2, `the single partition shows progress before it commits:\n${drawn.join('\n')}`);
  for (const f of drawn) assert.ok(f.trimEnd().length <= 59, `fits 60 columns: ${JSON.stringify(f)}`);
  assert.match(r.out, /\x1b\[32m█/, 'a green bar on a terminal');
  assert.match(r.out, /records\s+read 20,000, written 20,000, failed 0/);

  const plain = await underTerminal(['run', config, '--overwrite', ...faultArgs({ kind: 'slow', ms: 5 })], { NO_COLOR: '1' });
  assert.equal(plain.status, 0, plain.out);
  assert.doesNotMatch(plain.out, /\x1b\[3\dm/, 'no colour with NO_COLOR');
});

test('under a terminal: Ctrl-C stops the bar; nothing is drawn below the interrupt lines', { skip: !hasScript && 'needs util-linux script for a pseudo-terminal' }, async () => {
  const config = singlePartitionProject();
  let typed = false;
  const r = await underTerminal(['run', config, ...faultArgs({ kind: 'slow', ms: 40 })], {}, (all, type) => {
    if (!typed && frames(all).some((f) => /\b[1-9]\d?% /.test(f))) {
      typed = true;
      type('\x03');
    }
  });
  assert.equal(r.status, 1, r.out);
  const at = r.out.indexOf('sluice: SIGINT: stopping');
  assert.ok(at > 0, r.out);
  const after = r.out.slice(at);
  assert.match(after, /interrupted: 0 of 1 partitions are committed; run the same command again to resume/);
  assert.equal(frames(after).length, 0, `no progress drawn after Ctrl-C:\n${JSON.stringify(after)}`);
});
