/**
 * Shared by the fault-injection tests: a temp project (the quickstart's real Iris model, generated
 * JSONL input with known good and bad records), the CLI as a killable child process, and checks
 * of an output directory: every `part-*` file whole and matching its manifest entry, every input
 * record exactly once; `faultArgs` injects faults into a run (test/helpers/fault-preload.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ROOT } from './cli.js';
import type { Fault } from './fault-preload.js';

export interface Project {
  dir: string;
  config: string;
  out: string;
  errors: string;
  /** Keys of the records that must be predicted. */
  good: string[];
  /** Identities (`key`, or `source@offset` for a record without one) of the records that must fail. */
  bad: string[];
}

/** Builds a project of `files` JSONL files of `perFile` records each; about 2% are bad (wrong shape or not JSON). */
export function makeProject(opts: { files?: number; perFile?: number; edit?: (config: any) => void; name?: string } = {}): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${opts.name ?? 'fault'}-`));
  fs.cpSync(path.join(ROOT, 'examples/quickstart/model'), path.join(dir, 'model'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  const good: string[] = [];
  const bad: string[] = [];
  for (let f = 0; f < (opts.files ?? 3); f++) {
    const name = `data/input-${f}.jsonl`;
    let text = '';
    for (let i = 0; i < (opts.perFile ?? 600); i++) {
      const key = `f${f}-${String(i).padStart(5, '0')}`;
      const offset = Buffer.byteLength(text);
      if (i % 97 === 5) {
        text += `{"id":"bad-${key}","measurements":[1,2,3]}\n`;
        bad.push(`bad-${key}`);
      } else if (i % 131 === 7) {
        text += `{not json ${key}\n`;
        bad.push(`${name}@${offset}`);
      } else {
        text += JSON.stringify({ id: key, measurements: [4.3 + (i % 36) / 10, 2 + (i % 23) / 10, 1 + (i % 59) / 10, 0.1 + (i % 25) / 10] }) + '\n';
        good.push(key);
      }
    }
    fs.writeFileSync(path.join(dir, name), text);
  }
  const config: any = {
    name: 'faults',
    source: { type: 'jsonl', uri: 'data/' },
    decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 64 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2, partitionBytes: 12_000, maxErrorRate: 0.5 },
  };
  opts.edit?.(config);
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  return { dir, config: path.join(dir, 'pipeline.json'), out: path.join(dir, 'out/predictions'), errors: path.join(dir, 'out/errors'), good, bad };
}

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `sluice <args>` as a child process (not waited for): it can be signalled or killed. */
export function startSluice(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished> } {
  return startNode([CLI, ...args], env);
}

/** Runs `node <args>` (e.g. a script using the library) to the end, as `runSluice` does. */
export function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return startNode(args, env).done;
}

function startNode(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, args, { cwd: path.parse(ROOT).root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<Finished>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}

/** The compiled fault-injection preload module (test/helpers/fault-preload.ts). */
const FAULT_PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fault-preload.js');

/**
 * `--set` arguments that make a run inject `faults` (see test/helpers/fault-preload.ts) through
 * `execution.preload`, the hook users have too: nothing in src/ reads a test switch.
 *
 * @example
 * await runSluice(['run', p.config, ...faultArgs({ kind: 'worker-exit', partition: 3, attempts: 2 })]);
 */
export function faultArgs(...faults: Fault[]): string[] {
  return ['--set', `execution.preload=${JSON.stringify([{ module: FAULT_PRELOAD, options: { faults } }])}`];
}

/** Runs `sluice <args>` to the end (async, so the test process stays responsive). */
export function runSluice(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return startSluice(args, env).done;
}

/** Resolves once `predicate()` holds, polling every 20 ms; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ids of the partitions with a manifest entry (committed). */
export function committedIds(p: Project): number[] {
  const dir = path.join(p.out, '_manifest');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => /^p\d+\.json$/.test(n))
    .map((n) => Number(n.slice(1, -5)))
    .sort((a, b) => a - b);
}

/** Rows of one part file, asserting it is whole: every line JSON, ending with a newline. */
function wholeRows(file: string): any[] {
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `${file} is cut: no newline at its end`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`${file}: line ${i + 1} is not whole JSON: ${line.slice(0, 80)}`);
      }
    });
}

/**
 * Checks an output directory as a reader would see it at any moment, even right after kill -9:
 * every `part-*` file is whole, and every committed partition's files exist with exactly the
 * rows its manifest entry counts. Returns the rows of committed partitions.
 */
export function checkCommitted(p: Project): { predictions: any[]; errors: any[]; committed: number[] } {
  const predictions: any[] = [];
  const errors: any[] = [];
  const parts = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('part-')) : []);
  // Whole even when not committed yet (renamed, manifest entry not written: a kill in between).
  for (const dir of [p.out, p.errors]) for (const name of parts(dir)) wholeRows(path.join(dir, name));
  const committed = committedIds(p);
  for (const id of committed) {
    const entry = JSON.parse(fs.readFileSync(path.join(p.out, '_manifest', `p${String(id).padStart(5, '0')}.json`), 'utf8'));
    const files = entry.files as string[];
    const predFile = files.find((f) => path.dirname(f) === p.out);
    const errFile = files.find((f) => path.dirname(f) === p.errors);
    // Other sinks (metrics, aggregate) may commit files of their own elsewhere with the partition.
    const own = files.filter((f) => f === predFile || f === errFile);
    assert.equal(own.length, 2, `partition ${id}: expected a predictions file and an errors file, got ${files.join(', ')}`);
    const pred = wholeRows(predFile!);
    const err = wholeRows(errFile!);
    assert.equal(pred.length, entry.counts.written, `partition ${id}: ${predFile} has ${pred.length} rows, its manifest entry says ${entry.counts.written}`);
    assert.equal(err.length, entry.counts.failed, `partition ${id}: ${errFile} has ${err.length} rows, its manifest entry says ${entry.counts.failed}`);
    assert.equal(entry.counts.read, entry.counts.written + entry.counts.failed);
    predictions.push(...pred);
    errors.push(...err);
  }
  return { predictions, errors, committed };
}

/** Asserts a finished output holds every input record exactly once, and error rows for exactly the bad ones. */
export function checkExactlyOnce(p: Project): void {
  const { predictions, errors } = checkCommitted(p);
  const keys = predictions.map((r) => r.key as string);
  assert.equal(new Set(keys).size, keys.length, 'a key was predicted twice');
  assert.deepEqual([...keys].sort(), [...p.good].sort(), 'the predicted keys are not exactly the good records');
  const failed = errors.map((e) => (e.key !== null ? String(e.key) : `${e.source}@${e.offset}`));
  assert.equal(new Set(failed).size, failed.length, 'a record failed twice');
  assert.deepEqual([...failed].sort(), [...p.bad].sort(), 'the error rows are not exactly the bad records');
  // Every part file belongs to a committed partition: nothing stray is left for a reader to count.
  const listed = new Set(
    committedIds(p).flatMap((id) => JSON.parse(fs.readFileSync(path.join(p.out, '_manifest', `p${String(id).padStart(5, '0')}.json`), 'utf8')).files as string[]),
  );
  for (const dir of [p.out, p.errors]) {
    for (const name of fs.readdirSync(dir).filter((n) => n.startsWith('part-'))) assert.ok(listed.has(path.join(dir, name)), `${name} is not in the manifest`);
  }
  assert.ok(fs.existsSync(path.join(p.out, '_SUCCESS')), '_SUCCESS is missing');
  for (const dir of [p.out, p.errors]) {
    const temp = path.join(dir, '_temporary');
    assert.ok(!fs.existsSync(temp) || fs.readdirSync(temp).length === 0, `${temp} still holds attempts`);
  }
}

/** mulberry32: a seeded generator of floats in [0, 1) (the benchmark's own, shared). */
export { mulberry32 as seededRandom } from '../../bench/random.js';
