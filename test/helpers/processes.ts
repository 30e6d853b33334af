/**
 * The CLI as a background child process, for tests that run several at once (a coordinator and
 * its workers) and act on them mid-run: wait for a line, send a signal, await the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CLI } from './cli.js';

/** A running `sluice …` process. */
export interface Background {
  child: ChildProcess;
  pid: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the first match of `re` in stderr (already written or to come), looking only
   * past character `after` when given (e.g. `stderr().length` for "the next such line").
   */
  waitFor(re: RegExp, timeoutMs?: number, after?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit status (128 + n for a signal) once the process has exited. */
  exited: Promise<number>;
  signal(sig: NodeJS.Signals): void;
}

/** Starts `sluice <args>` from the filesystem root (like a user elsewhere), without waiting. */
export function background(args: string[], env: NodeJS.ProcessEnv = {}): Background {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: path.parse(CLI).root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; after: number; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = err.slice(w.after).match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    check();
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, sig) => resolve(code ?? 128 + (sig ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }) as Record<string, number>)[sig] ?? 0 : 0))),
  );
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    signal: (sig) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
    waitFor(re, timeoutMs = 60_000, after = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs / 1000} s; stderr so far:\n${err.slice(-2000)}`)), timeoutMs);
        waiters.push({
          re,
          after,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        check();
      });
    },
  };
}
