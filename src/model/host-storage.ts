/**
 * The storage a model host loads a model through: the storage of the worker thread that asked
 * for it, called over that worker's channel. So the host reads exactly what the worker would
 * have (the config's `storage` section, credentials, preload hooks) without a copy of any of
 * it, and whatever run the worker is serving. Loading reads whole files, so `read` is `readAll`
 * as a stream; a model load writes nothing, and writing here is refused.
 */
import { Readable } from 'node:stream';
import type { Storage } from '../storage/types.js';
import type { StorageRead } from './host-wire.js';

/** Sends one storage call to the worker and resolves with its answer. */
export type StorageCall = (method: StorageRead, args: unknown[]) => Promise<unknown>;

export function workerStorage(call: StorageCall): Storage {
  const refused = (method: string) => () => {
    throw new Error(`storage.${method} is not available in the model host (a model load only reads)`);
  };
  return {
    schemes: [],
    list: (pattern) => call('list', [pattern]) as ReturnType<Storage['list']>,
    stat: (uri) => call('stat', [uri]) as ReturnType<Storage['stat']>,
    exists: (uri) => call('exists', [uri]) as ReturnType<Storage['exists']>,
    readAll: (uri) => call('readAll', [uri]) as ReturnType<Storage['readAll']>,
    read: (uri, range) =>
      Readable.from(
        (async function* () {
          const all = (await call('readAll', [uri])) as Uint8Array;
          yield range ? all.subarray(range.start, range.end) : all;
        })(),
      ),
    createWriteStream: refused('createWriteStream'),
    writeAtomic: refused('writeAtomic'),
    createExclusive: refused('createExclusive'),
    stage: refused('stage'),
    commitStaged: refused('commitStaged'),
    abortStaged: refused('abortStaged'),
    remove: refused('remove'),
    children: refused('children'),
  };
}
