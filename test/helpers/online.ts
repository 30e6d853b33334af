/**
 * Helpers for online prediction tests: the quickstart's records as a client would send them,
 * the batch run's output for comparison, and JSON over HTTP.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, byKey, readParts, sluice } from './cli.js';

export const QUICKSTART_CONFIG = path.join(ROOT, 'examples/quickstart/pipeline.json');
export const QUICKSTART_DIR = path.dirname(QUICKSTART_CONFIG);

/**
 * The quickstart's input, one value per line, as a client holds it: each line parsed as JSON,
 * or kept as its text where it does not parse (the record `bad-json`), which is the raw record.
 */
export function quickstartRecords(): unknown[] {
  return fs
    .readFileSync(path.join(QUICKSTART_DIR, 'data/flowers.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return line;
      }
    });
}

/** The quickstart config, parsed, with `edit` applied (e.g. no post steps). */
export function quickstartConfig(edit: (config: any) => void = () => {}): any {
  const config = JSON.parse(fs.readFileSync(QUICKSTART_CONFIG, 'utf8'));
  edit(config);
  return config;
}

/**
 * Runs the quickstart as a batch job through the CLI (outputs in a temp dir, `sets` applied)
 * and returns its prediction and error rows sorted by key.
 */
export function batchRun(sets: string[] = []): { predictions: any[]; errors: any[] } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-online-batch-'));
  const r = sluice(['run', QUICKSTART_CONFIG, '--set', `sink.uri=${out}/predictions`, '--set', `errors.uri=${out}/errors`, ...sets]);
  if (r.status !== 0) throw new Error(`batch run failed (${r.status}): ${r.stderr}`);
  const result = { predictions: byKey(readParts(`${out}/predictions`)), errors: byKey(readParts(`${out}/errors`)) };
  fs.rmSync(out, { recursive: true, force: true });
  return result;
}

/** The fields of an error row that do not depend on where the record came from (file vs memory). */
export function failureOf(row: any): { key: unknown; stage: unknown; error: unknown } {
  return { key: row.key, stage: row.stage, error: row.error };
}

/** POSTs `body` (JSON-encoded unless a string) and returns the status, headers and parsed JSON answer. */
export async function post(url: string, body: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

/** The value of one sample in Prometheus text, e.g. `sluice_serve_batch_size_count`, or undefined. */
export function metric(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** A `sluice serve` child process that said it is ready. */
export interface ServedCli {
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
  kill(sig: NodeJS.Signals): void;
}

/** Starts `sluice serve <config> --port 0 <args>` as users run it; resolves once it is ready (its url read from its log). */
export function serveCli(config: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ServedCli> {
  const child = spawn(process.execPath, [CLI, 'serve', config, '--port', '0', ...args], {
    cwd: options.cwd ?? path.parse(CLI).root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s: ${err}`)), 60_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      const url = /serving \S+ on (http:\/\/\S+) /.exec(err)?.[1];
      if (url && /sluice: ready in /.test(err)) {
        clearTimeout(timer);
        resolve({ url, stderr: () => err, exit, kill: (sig) => child.kill(sig) });
      }
    });
    child.on('exit', () => reject(new Error(`sluice serve exited early: ${err}`)));
  });
}
