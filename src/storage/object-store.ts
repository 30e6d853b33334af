/**
 * What the object-store backends (S3, GCS) share: parsing `scheme://bucket/key` URIs and the
 * listing rules of `StorageBackend.list` (a file, a "directory", or a glob with the picomatch
 * semantics the local backend gets from tinyglobby), written once over two primitives each store
 * provides: a HEAD of one key and a paginated listing of a prefix.
 */
import { isNotFound } from './errors.js';
import picomatch from 'picomatch';
import type { FileInfo } from './types.js';

/** An object URI split into its parts: `s3://bucket/a/b.jsonl` → `{ scheme: 's3', bucket: 'bucket', key: 'a/b.jsonl' }`. */
export interface ObjectUri {
  scheme: string;
  bucket: string;
  key: string;
}

/**
 * Parses `s3://bucket/key` or `gs://bucket/key`; throws a one-line error naming the URI when it
 * has no bucket.
 *
 * @example
 * parseObjectUri('gs://b/data/*.csv') // { scheme: 'gs', bucket: 'b', key: 'data/*.csv' }
 */
export function parseObjectUri(uri: string): ObjectUri {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!m) throw new Error(`${uri}: expected <scheme>://<bucket>/<key>`);
  return { scheme: m[1]!.toLowerCase(), bucket: m[2]!, key: m[3]! };
}

/** The URI of `key` in `bucket`. */
export function objectUri(scheme: string, bucket: string, key: string): string {
  return `${scheme}://${bucket}/${key}`;
}

/** One object as a store lists it. */
export interface ObjectEntry {
  key: string;
  size: number;
  mtimeMs: number;
  etag?: string;
}

/** One page of a listing: objects, and with a delimiter the "folders" (prefixes ending in `/`). */
export interface ListPage {
  objects: ObjectEntry[];
  prefixes: string[];
}

/** The two primitives a store provides for listing. */
export interface ObjectLister {
  /** The object at exactly `key`, or undefined. */
  head(key: string): Promise<ObjectEntry | undefined>;
  /** Every page of the objects under `prefix` (all depths, or one level with `delimiter: '/'`). */
  pages(prefix: string, delimiter?: '/'): AsyncIterable<ListPage>;
}

const hidden = (name: string) => name.startsWith('_') || name.startsWith('.');
const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);
const byUri = (a: FileInfo, b: FileInfo) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0);

/**
 * `StorageBackend.list` for an object store: a glob lists everything under its static prefix
 * and keeps the keys picomatch matches (`dot: false`) whose names do not start with `_` or `.`;
 * a plain key is one object when it exists, else a "directory" whose direct children are listed
 * (one level, hidden names skipped). Keys ending in `/` (folder markers) are never files.
 *
 * @example
 * await listObjects({ scheme: 's3', bucket: 'b', key: 'data/**\/*.jsonl' }, lister)
 */
export async function listObjects(at: ObjectUri, lister: ObjectLister): Promise<FileInfo[]> {
  const info = (o: ObjectEntry): FileInfo => ({ uri: objectUri(at.scheme, at.bucket, o.key), size: o.size, mtimeMs: o.mtimeMs, etag: o.etag });
  const scan = picomatch.scan(at.key);
  const out: FileInfo[] = [];
  if (scan.isGlob) {
    const matches = picomatch(at.key, { dot: false });
    const prefix = scan.base ? `${scan.base}/` : '';
    for await (const page of lister.pages(prefix)) {
      for (const o of page.objects) if (!o.key.endsWith('/') && matches(o.key) && !hidden(baseName(o.key))) out.push(info(o));
    }
    return out.sort(byUri);
  }
  if (at.key !== '' && !at.key.endsWith('/')) {
    const one = await lister.head(at.key);
    if (one) return [info(one)];
  }
  const prefix = at.key === '' || at.key.endsWith('/') ? at.key : `${at.key}/`;
  for await (const page of lister.pages(prefix, '/')) {
    for (const o of page.objects) if (!o.key.endsWith('/') && !hidden(baseName(o.key))) out.push(info(o));
  }
  return out.sort(byUri);
}

/**
 * `StorageBackend.children` for an object store: the names one level under `key` (objects and
 * folders), sorted, without duplicates; [] when there is nothing.
 */
export async function childNames(key: string, lister: ObjectLister): Promise<string[]> {
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const names = new Set<string>();
  for await (const page of lister.pages(prefix, '/')) {
    for (const o of page.objects) if (o.key.length > prefix.length) names.add(o.key.slice(prefix.length));
    for (const p of page.prefixes) names.add(p.slice(prefix.length).replace(/\/$/, ''));
  }
  return [...names].filter(Boolean).sort();
}

/** Every key under `key/` (all depths) and `key` itself: what a recursive remove deletes. */
export async function keysUnder(key: string, lister: ObjectLister): Promise<string[]> {
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const keys: string[] = [];
  if (key !== '' && !key.endsWith('/') && (await lister.head(key))) keys.push(key);
  for await (const page of lister.pages(prefix)) for (const o of page.objects) keys.push(o.key);
  return keys;
}

/** `exists` through `stat`: false for a missing object; any other failure is rethrown. */
export async function existsByStat(stat: (uri: string) => Promise<unknown>, uri: string): Promise<boolean> {
  try {
    await stat(uri);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
