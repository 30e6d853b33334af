import type * as tfc from '@tensorflow/tfjs-core';
import type { io } from '@tensorflow/tfjs-core';
import type { Storage } from '../storage/types.js';
import { joinUri } from '../storage/index.js';
import { isStorageFailure } from '../storage/errors.js';
import { readModelFile } from './cache.js';
import { checkWeightPaths, weightSizeProblems } from './weights.js';
import { tfjsCore } from './tfjs-packages.js';

/**
 * tfjs-core is imported when a handler runs, not when this module loads: the CLI's coordinator
 * imports this module (through the model stage's `check`) and must validate a config without
 * loading tfjs.
 */
const tfjsIo = async (): Promise<typeof io> => tfjsCore().io;

/** The directory part of a URI of any scheme (`s3://b/m/model.json` → `s3://b/m`). */
export function dirOf(uri: string): string {
  const i = uri.lastIndexOf('/');
  return i <= 0 ? '.' : uri.slice(0, i);
}

/**
 * Reads and parses a model's JSON file (no weights): what `validate` and signature checks need.
 * Throws with a one-line message when the file is missing or not JSON.
 *
 * @example
 * const json = await readModelJson(storage, '/models/m/model.json'); // json.modelTopology, json.weightsManifest
 */
export async function readModelJson(storage: Storage, uri: string): Promise<io.ModelJSON> {
  let bytes: Uint8Array;
  try {
    bytes = await storage.readAll(uri);
  } catch (err: any) {
    // Storage that is down is not a problem of the model file: the caller fails the command (exit 1).
    if (isStorageFailure(err)) throw err;
    throw new Error(err?.code === 'ENOENT' ? `model file ${uri} does not exist` : `cannot read model file ${uri}: ${err?.message ?? err}`);
  }
  let json: any;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error(`model file ${uri} is not JSON`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new Error(`model file ${uri} is not a TensorFlow.js model (no "modelTopology")`);
  }
  // Every reader of a model comes through here: a weight path leaving the model's directory is refused before anything uses it.
  checkWeightPaths(uri, json.weightsManifest);
  return json as io.ModelJSON;
}

/**
 * A tfjs IOHandler that loads `model.json` and its weight shards through Sluice's Storage, so a
 * model loads from local disk (and later S3/GCS) without tfjs-node. Shard paths are resolved
 * against the model JSON's directory, as tfjs' own loaders do.
 *
 * @example
 * const model = await tfl.loadLayersModel(storageLoadHandler(storage, '/models/m/model.json'));
 */
export function storageLoadHandler(storage: Storage, uri: string): tfc.io.IOHandler {
  return {
    async load() {
      const tfio = await tfjsIo();
      const modelJson = await readModelJson(storage, uri);
      const dir = dirOf(uri);
      return tfio.getModelArtifactsForJSON(modelJson, async (manifest) => {
        // Sizes by stat before any byte is read: a shard that is not what the manifest declares is never loaded.
        const sizes = await weightSizeProblems(storage, uri, dir, manifest);
        if (sizes.length) throw new Error(sizes[0]);
        const specs = tfio.getWeightSpecs(manifest);
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            // Weight shards sit beside the model JSON; from object storage, fetched once per process.
            const bytes = await readModelFile(storage, joinUri(dir, p));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tfio.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/**
 * A tfjs IOHandler that saves a model as `<dir>/<name>` plus one weights file `weights.bin`
 * beside it: the layout `tf.loadLayersModel` and Sluice's loader read back. Used by the
 * examples' training scripts.
 *
 * @example
 * await model.save(storageSaveHandler(storage, 'examples/quickstart/model'));
 */
export function storageSaveHandler(storage: Storage, dir: string, name = 'model.json'): tfc.io.IOHandler {
  return {
    async save(artifacts) {
      const tfio = await tfjsIo();
      const weightsFile = 'weights.bin';
      const weightData = artifacts.weightData ? tfio.CompositeArrayBuffer.join(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new ArrayBuffer(0);
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.signature) modelJson.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      await storage.writeAtomic(joinUri(dir, weightsFile), new Uint8Array(weightData));
      await storage.writeAtomic(joinUri(dir, name), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tfio.getModelArtifactsInfoForJSON(modelJson) };
    },
  };
}
