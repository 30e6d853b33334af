/**
 * A sink must never write where the source reads: a sink directory that is the source, lies
 * around it, or whose files the source's pattern matches would read its own output on a rerun,
 * and `--overwrite` would delete the input before reading it. Found when the graph is built
 * (`validate` and `run`, exit 2), before anything is read or removed.
 */
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';

/** Names a sink's partition files may take, to test a source pattern against. */
const SAMPLE_EXTS = ['jsonl', 'csv', 'tfrecord', 'parquet', 'json', 'txt', 'jsonl.gz', 'csv.gz', 'tfrecord.gz'];

function normal(uri: string): string {
  const plain = uri.startsWith('file://') ? fileURLToPath(uri) : uri;
  return plain.length > 1 ? plain.replace(/\/+$/, '') : plain;
}

const inside = (a: string, dir: string) => a === dir || a.startsWith(`${dir}/`);

/**
 * Why the source `pattern` (a file, a directory or a glob, resolved) and the sink directory `dir`
 * (resolved) overlap, or undefined when they do not.
 *
 * @example
 * overlap('/p/prev/part-*.jsonl', '/p/prev') // 'the source reads inside it'
 */
export function overlap(pattern: string, dir: string): string | undefined {
  const src = normal(pattern);
  const out = normal(dir);
  const scan = picomatch.scan(src);
  const base = scan.isGlob ? normal(scan.base) : src;
  if (inside(base, out)) return base === out ? 'the source reads it' : 'the source reads inside it';
  if (!scan.isGlob) return undefined; // a directory source reads its own files only, not a sink's folder
  const matches = picomatch(src, { dot: false });
  if (inside(out, base) && SAMPLE_EXTS.some((ext) => matches(`${out}/part-00000-of-00001.${ext}`))) return 'the source pattern matches its files';
  return undefined;
}
