import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (tests run compiled from dist/test/…). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The compiled CLI, as users run it. */
export const CLI = path.join(ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `sluice <args>` as a child process from `cwd` (default: a directory outside the project). */
export function sluice(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? path.parse(ROOT).root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every row of every `part-*` file in `dir`, parsed (jsonl). */
export function readParts(dir: string): any[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}

/** Rows sorted by key (null keys last, by source and index), for order-free comparison. */
export function byKey(rows: any[]): any[] {
  const k = (r: any) => (r.key === null ? `\uffff${r.source}:${String(r.index ?? r.offset).padStart(12, '0')}` : String(r.key));
  return [...rows].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/** Deep equality with numbers compared within `tol` (wasm and cpu may differ in the last bits). */
export function assertClose(actual: unknown, expected: unknown, tol = 1e-6, at = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Math.abs(actual - expected) > tol) throw new Error(`${at || '/'}: ${actual} differs from ${expected} by more than ${tol}`);
    return;
  }
  if (Array.isArray(expected) || (expected && typeof expected === 'object')) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual) !== Array.isArray(expected)) {
      throw new Error(`${at || '/'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
    const ek = Object.keys(expected as object);
    const ak = Object.keys(actual as object);
    if (ek.join() !== ak.join()) throw new Error(`${at || '/'}: keys ${JSON.stringify(ak)} differ from ${JSON.stringify(ek)}`);
    for (const key of ek) assertClose((actual as any)[key], (expected as any)[key], tol, `${at}/${key}`);
    return;
  }
  if (actual !== expected) throw new Error(`${at || '/'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/**
 * `sluice()` without blocking this process's event loop: for tests that serve something the
 * run talks to (an HTTP endpoint in the same process).
 */
export async function sluiceAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? path.parse(ROOT).root, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * One prefix for every message (issue 18): each line on stderr starts with `sluice: `, or is
 * indented (it continues the message above: a summary's figures, a failure's samples).
 */
export function assertOnePrefix(stderr: string): void {
  const others = stderr.split('\n').filter((l) => l !== '' && !/^(sluice: |  )/.test(l));
  if (others.length) throw new Error(`lines without the "sluice: " prefix:\n${others.join('\n')}\n--- all of stderr:\n${stderr}`);
}
