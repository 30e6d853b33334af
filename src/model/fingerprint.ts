/**
 * What identifies a model for the run summary and the config fingerprint: the sha256 of its
 * files (model.json, then each weight shard in manifest order), read as streams so a large
 * model is never held in memory. No tfjs: this runs in the CLI's coordinator.
 */
import { createHash } from 'node:crypto';
import { modelFileStream } from './cache.js';
import type { Storage } from '../storage/types.js';
import { joinUri } from '../storage/index.js';
import { dirOf } from './io-handler.js';

/**
 * The URIs of a model's files: its JSON, then every weight shard in manifest order.
 *
 * @example
 * modelFiles('/m/model.json', json) // ['/m/model.json', '/m/group1-shard1of2.bin', '/m/group1-shard2of2.bin']
 */
export function modelFiles(uri: string, json: { weightsManifest?: { paths: string[] }[] }): string[] {
  const dir = dirOf(uri);
  return [uri, ...(json.weightsManifest ?? []).flatMap((group) => group.paths.map((p) => joinUri(dir, p)))];
}

/**
 * One sha256 over all of a model's files (each file's bytes in order), so a changed weight
 * shard changes the model's identity and blocks a resume over an older output.
 *
 * @example
 * await hashModel(storage, '/m/model.json', json) // '3f1c…' (64 hex digits)
 */
export async function hashModel(storage: Storage, uri: string, json: { weightsManifest?: { paths: string[] }[] }): Promise<string> {
  const hash = createHash('sha256');
  for (const file of modelFiles(uri, json)) {
    // Through the per-process cache: the worker threads loading the model reuse this download.
    for await (const chunk of await modelFileStream(storage, file)) hash.update(chunk as Uint8Array);
  }
  return hash.digest('hex');
}
