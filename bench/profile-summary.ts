/**
 * Where a run's CPU time goes, from the profiles of `node --cpu-prof` (one file per thread: the
 * coordinator and each worker thread) and the log of `node --trace-gc`.
 *
 * Each profile is cut in two at its first sample inside the run loop (coordinator) or a
 * partition (worker): the start-up window (imports, model load, planning) and the records
 * window. Each window's self time is summed by category: module loading, GC, fs, wasm kernels,
 * tfjs, highland, and each Sluice folder (src/core/…, stages/…).
 *
 * Usage (docs/performance.md):
 *   node --cpu-prof --cpu-prof-dir=prof dist/src/cli/main.js run pipeline.json
 *   node dist/bench/profile-summary.js prof/*.cpuprofile
 *   node --trace-gc dist/src/cli/main.js run pipeline.json > gc.log
 *   node dist/bench/profile-summary.js gc.log
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const NODE_FS = new Set(['writeBuffer', 'writeBuffers', 'writeString', 'read', 'open', 'openFileHandle', 'fstat', 'close']);
const MODULE_LOADING = new Set(['compileForInternalLoader', 'readFileUtf8', 'legacyMainResolve', 'internalModuleStat', 'internalBinding']);

/** The category of a sample's own frame. */
function category({ functionName: fn, url }: CallFrame): string {
  if (fn.startsWith('(') && !url) return fn; // (garbage collector), (idle), (program)
  if (url.startsWith('wasm://')) return 'wasm kernels';
  if (/^node:internal\/(modules|deps\/cjs-module-lexer|bootstrap)/.test(url) || MODULE_LOADING.has(fn)) return 'module loading';
  if (/^node:(internal\/)?fs/.test(url) || NODE_FS.has(fn)) return 'fs';
  if (/^node:(internal\/)?stream/.test(url)) return 'node streams';
  if (url.startsWith('node:')) return 'node other';
  const own = /dist\/((?:src|stages)\/[^/]+(?:\/[^/.]+)?)/.exec(url);
  if (own) return own[1]!;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  return url ? path.basename(url) : 'builtins (JSON, RegExp, …)';
}

/** Seconds by category, largest first, as one line. */
function line(totals: Map<string, number>): string {
  const all = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, 12)
    .map(([k, s]) => `${k} ${s.toFixed(2)} s (${((100 * s) / all).toFixed(0)}%)`).join(', ');
}

function summariseProfile(file: string): void {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Whether a node's stack is inside a partition (worker) or the run loop (coordinator).
  const working = new Map<number, boolean>();
  const isWorking = (id: number): boolean => {
    let known = working.get(id);
    if (known === undefined) {
      const { functionName, url } = nodes.get(id)!.callFrame;
      const up = parent.get(id);
      known = (functionName !== '' && /runtime\/(partition|execute)\.js/.test(url)) || (up !== undefined && isWorking(up));
      working.set(id, known);
    }
    return known;
  };
  const windows = [new Map<string, number>(), new Map<string, number>()];
  let started = false;
  p.samples.forEach((id, i) => {
    started ||= isWorking(id);
    const w = windows[started ? 1 : 0]!;
    const c = category(nodes.get(id)!.callFrame);
    w.set(c, (w.get(c) ?? 0) + p.timeDeltas[i]! / 1e6);
  });
  const sum = (m: Map<string, number>): string => [...m.values()].reduce((a, b) => a + b, 0).toFixed(2);
  console.log(`${path.basename(file)}: start-up ${sum(windows[0]!)} s, records ${sum(windows[1]!)} s`);
  console.log(`  start-up: ${line(windows[0]!)}`);
  console.log(`  records:  ${line(windows[1]!)}`);
}

/** `--trace-gc` lines per isolate (thread): count and milliseconds of scavenges and mark-compacts, peak heap. */
function summariseGcLog(file: string): void {
  const re = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact|Mark-sweep)[^,]*?([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, ([\d.]+)/;
  const byIsolate = new Map<string, { scavenges: number; scavengeMs: number; marks: number; markMs: number; committedMb: number }>();
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = re.exec(text);
    if (!m) continue;
    const s = byIsolate.get(m[1]!) ?? { scavenges: 0, scavengeMs: 0, marks: 0, markMs: 0, committedMb: 0 };
    if (m[2] === 'Scavenge') [s.scavenges, s.scavengeMs] = [s.scavenges + 1, s.scavengeMs + Number(m[7])];
    else [s.marks, s.markMs] = [s.marks + 1, s.markMs + Number(m[7])];
    s.committedMb = Math.max(s.committedMb, Number(m[4]), Number(m[6]));
    byIsolate.set(m[1]!, s);
  }
  console.log(`${path.basename(file)}: one line per thread (isolate), in order of its first GC`);
  for (const [isolate, s] of byIsolate) {
    console.log(`  ${isolate}: ${s.scavenges} scavenges ${s.scavengeMs.toFixed(0)} ms, ${s.marks} mark-compacts ${s.markMs.toFixed(0)} ms, heap up to ${s.committedMb.toFixed(0)} MB`);
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile | trace-gc log>...');
  process.exit(2);
}
for (const file of files) (file.endsWith('.cpuprofile') ? summariseProfile : summariseGcLog)(file);
