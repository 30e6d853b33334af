import path from 'node:path';
import type { StorageBackend, Storage, StorageSettings } from './types.js';
import { localStorage } from './local.js';
import { lazyBackend } from './lazy.js';
import { hookedStorage } from '../core/hooks.js';

export type { Storage, StorageBackend, FileInfo, StorageSettings, S3Settings, GcsSettings } from './types.js';

/** The scheme of a URI (`s3`, `gs`, `file`), or '' for a plain path. */
export function schemeOf(uri: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  return m ? m[1]!.toLowerCase() : '';
}

/**
 * Resolves a URI from a config against the config file's directory: plain relative paths
 * become absolute; absolute paths and URIs with a scheme are kept.
 */
export function resolveUri(uri: string, baseDir: string): string {
  if (schemeOf(uri) !== '') return uri;
  return path.resolve(baseDir, uri);
}

/**
 * How an input file is named in keys and error rows: relative to `baseDir` (the config's
 * folder), also when outside it (`../shared/data.tfrecord`), so position keys do not depend on
 * where the project is checked out; as given where no relative path exists (another drive).
 */
export function displayName(uri: string, baseDir: string): string {
  if (schemeOf(uri) !== '') return uri;
  const rel = path.relative(baseDir, uri);
  return rel && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : uri;
}

/** Joins a child name onto a directory URI of any scheme. */
export function joinUri(dir: string, ...names: string[]): string {
  if (schemeOf(dir) === '' ) return path.join(dir, ...names);
  return [dir.replace(/\/+$/, ''), ...names].join('/');
}

/**
 * The built-in backends: local files, and S3 and GCS loaded on first use (a run over local files
 * never imports their SDKs), configured by the pipeline's `storage` section.
 *
 * @example
 * const storage = createStorage(defaultBackends({ s3: { endpoint: 'http://127.0.0.1:4568', forcePathStyle: true } }));
 */
export function defaultBackends(settings: StorageSettings = {}): StorageBackend[] {
  return [
    localStorage,
    lazyBackend(['s3'], async () => (await import('./s3.js')).createS3Backend(settings.s3)),
    lazyBackend(['gs'], async () => (await import('./gcs.js')).createGcsBackend(settings.gcs)),
  ];
}

/**
 * The `storage` section of a config as loaded, before validation. The backends read it only when
 * first used, which is after `buildGraph` has validated the config.
 */
export function storageSettings(config: Record<string, unknown>): StorageSettings {
  const s = config.storage;
  return s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as StorageSettings) : {};
}

/**
 * The storage a pipeline config asks for (its `storage` section applied to the built-in
 * backends), seen through the storage wrappers preload modules install (core/hooks.ts).
 */
export function storageFor(config: Record<string, unknown>): Storage {
  return hookedStorage(createStorage(defaultBackends(storageSettings(config))));
}

/**
 * A Storage that dispatches each call to the backend for the URI's scheme.
 * Backends are an explicit list (tests build their own); the default is `defaultBackends()`.
 */
export function createStorage(backends: StorageBackend[] = defaultBackends()): Storage {
  const byScheme = new Map<string, StorageBackend>();
  for (const b of backends) for (const s of b.schemes) byScheme.set(s, b);
  const pick = (uri: string): StorageBackend => {
    const scheme = schemeOf(uri);
    const backend = byScheme.get(scheme);
    if (!backend) throw new Error(`no storage for "${scheme}://" URIs (known: ${[...byScheme.keys()].filter(Boolean).join(', ')})`);
    return backend;
  };
  return {
    schemes: [...byScheme.keys()],
    list: (p) => pick(p).list(p),
    stat: (u) => pick(u).stat(u),
    exists: (u) => pick(u).exists(u),
    read: (u, r) => pick(u).read(u, r),
    readAll: (u) => pick(u).readAll(u),
    createWriteStream: (u) => pick(u).createWriteStream(u),
    writeAtomic: (u, d) => pick(u).writeAtomic(u, d),
    createExclusive: (u, d) => pick(u).createExclusive(u, d),
    stage: (s, f) => pick(f).stage(s, f),
    commitStaged: (s, f) => pick(f).commitStaged(s, f),
    abortStaged: (s, f) => pick(f).abortStaged(s, f),
    remove: (u, o) => pick(u).remove(u, o),
    children: (u) => pick(u).children(u),
  };
}
