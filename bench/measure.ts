/**
 * Runs one contender as a child process and measures what a user would see: wall time from
 * spawn to exit (start-up and model load included) and the child's peak resident memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

/** One timed run of a child process. */
export interface Measurement {
  seconds: number;
  /** Peak RSS of the child process in bytes (worker threads included: they share it). */
  rssBytes: number;
  stdout: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * How peak RSS is measured: GNU time's `%M` (the kernel's exact figure for the process it
 * waits on) when it is installed, else sampling `VmHWM` from /proc while the child runs.
 */
export const rssMethod: 'gnu-time' | 'proc-sampling' = (() => {
  if (!fs.existsSync(GNU_TIME)) return 'proc-sampling';
  // busybox and BSD `time` lack -f/-o; only trust the binary if it really prints a number.
  const probe = path.join(os.tmpdir(), `sluice-bench-probe-${process.pid}`);
  const ok = spawnSync(GNU_TIME, ['-f', '%M', '-o', probe, process.execPath, '-e', '0']).status === 0 &&
    /^\d+\s*$/.test(fs.readFileSync(probe, 'utf8').trim().split('\n').at(-1) ?? '');
  fs.rmSync(probe, { force: true });
  return ok ? 'gnu-time' : 'proc-sampling';
})();

/** Reads the peak RSS (VmHWM) of a live process from /proc, in bytes; 0 once it is gone. */
function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Spawns `node <args>` in `cwd` and resolves with its wall time, peak RSS and stdout; rejects
 * with the tail of its stderr when it exits non-zero, so a broken contender never yields a number.
 */
export function measure(args: string[], cwd: string, command: string = process.execPath): Promise<Measurement> {
  const rssFile = path.join(os.tmpdir(), `sluice-bench-rss-${process.pid}-${Date.now()}`);
  const [cmd, cmdArgs] = rssMethod === 'gnu-time'
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, cmdArgs, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-4000); });
    let sampled = 0;
    const timer = rssMethod === 'proc-sampling'
      ? setInterval(() => { sampled = Math.max(sampled, vmHwm(child.pid!)); }, 20)
      : undefined;
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const seconds = (performance.now() - start) / 1000;
      if (timer) clearInterval(timer);
      let rssBytes = sampled;
      if (rssMethod === 'gnu-time') {
        const text = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8') : '';
        fs.rmSync(rssFile, { force: true });
        // GNU time prefixes "Command exited with non-zero status" lines; the number is last.
        rssBytes = Number(text.trim().split('\n').at(-1)) * 1024;
      }
      if (code !== 0) {
        reject(new Error(`${path.basename(args[0] ?? '')} exited with ${signal ?? code}:\n${stderr.trim()}`));
      } else {
        resolve({ seconds, rssBytes, stdout });
      }
    });
  });
}

/** The median of a non-empty list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The seconds a contender reports about itself: a baseline's `loopSeconds` (its timed loop
 * only) or the `seconds` of Sluice's `--json` summary; undefined when it printed neither.
 */
export function selfReported(m: Measurement): number | undefined {
  const parse = (text: string): { loopSeconds?: unknown; seconds?: unknown } | undefined => {
    try {
      return JSON.parse(text) as { loopSeconds?: unknown; seconds?: unknown };
    } catch {
      return undefined;
    }
  };
  const out = parse(m.stdout) ?? parse(m.stdout.trim().split('\n').at(-1) ?? '');
  const value = out?.loopSeconds ?? out?.seconds;
  return typeof value === 'number' ? value : undefined;
}
