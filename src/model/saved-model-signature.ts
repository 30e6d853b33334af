/**
 * A TensorFlow SavedModel's signature, read from its `saved_model.pb` alone (no variables, no
 * TensorFlow runtime): `validate` checks features against it before any data is read, and the
 * running stage maps features to inputs with the same code (features.ts), so what validates runs.
 *
 * The protobuf classes are tfjs-node's own (generated from TensorFlow's protos, what
 * `tf.node.getMetaGraphsFromSavedModel` uses); they need google-protobuf only, never the native
 * library, so reading a signature costs the coordinator no TensorFlow start-up.
 */
import { createRequire } from 'node:module';
import { joinUri } from '../storage/index.js';
import type { Storage } from '../storage/types.js';
import { readModelFile } from './cache.js';
import type { ModelInput, ModelOutput, ModelSignature } from './signature.js';
import type { FeatureSpecMap } from '../core/stage.js';
import { CONFIG_PATHS, mapFeatures, type CheckPaths } from './features.js';
import { nativeProblem, TFJS_NODE } from './native.js';

export const SAVED_MODEL_FILE = 'saved_model.pb';
export const DEFAULT_SIGNATURE = 'serving_default';
export const DEFAULT_TAGS = ['serve'];

/** A SavedModel input or output: the signature key, the graph tensor, TensorFlow's dtype. */
export interface SavedModelTensor extends ModelInput {
  /** The graph tensor the signature key stands for, e.g. `serving_default_x:0`. */
  tensor: string;
  /** TensorFlow's dtype name, e.g. `DT_INT64`. */
  tfDtype: string;
}

export interface SavedModelSignature extends ModelSignature {
  inputs: SavedModelTensor[];
  outputs: Array<ModelOutput & { tensor: string; tfDtype: string }>;
  /** The signature's name and the MetaGraph's tags, as loaded. */
  signatureName: string;
  tags: string[];
}

/** Sluice's dtype for each TensorFlow dtype a SavedModel input may have. */
const INPUT_DTYPES: Record<string, string> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_INT64: 'int64', DT_UINT8: 'uint8', DT_STRING: 'string', DT_BOOL: 'bool' };
/** Output dtypes the tfjs-node binding can read back. */
const OUTPUT_DTYPES = new Set(['DT_FLOAT', 'DT_INT32', 'DT_INT64', 'DT_BOOL', 'DT_STRING', 'DT_UINT8']);

/** The directory of a SavedModel URI, without a trailing slash. */
export function savedModelDir(uri: string): string {
  return uri.replace(/\/+$/, '');
}

/**
 * Whether `uri` names a SavedModel: a directory (or prefix) holding `saved_model.pb`. A URI
 * ending in `.json` is a TensorFlow.js model and is not asked about.
 *
 * @example
 * await isSavedModel(storage, 'models/ratings') // true when models/ratings/saved_model.pb exists
 */
export async function isSavedModel(storage: Storage, uri: string): Promise<boolean> {
  if (/\.json$/i.test(uri)) return false;
  return storage.exists(joinUri(savedModelDir(uri), SAVED_MODEL_FILE));
}

/** tfjs-node's generated protobuf classes (TensorFlow's SavedModel protos). */
function protoMessages(): any {
  const problem = nativeProblem();
  if (problem) throw new Error(`a SavedModel runs on the tensorflow backend only, and ${problem}`);
  const require = createRequire(import.meta.url);
  return require(`${TFJS_NODE}/dist/proto/api_pb.js`);
}

function dtypeName(messages: any, value: number): string {
  return Object.keys(messages.DataType).find((k) => messages.DataType[k] === value) ?? `DT_${value}`;
}

function shapeOf(info: any): number[] | null {
  const shape = info.getTensorShape();
  if (!shape || shape.getUnknownRank()) return null;
  return shape.getDimList().map((d: any) => Number(d.getSize()));
}

/**
 * Reads the signature `name` of the MetaGraph tagged exactly `tags` from `saved_model.pb`.
 * Throws a one-line Error naming what is missing (the tag set or the signature, with what the
 * file has instead) or an unsupported input dtype.
 *
 * @example
 * await readSavedModelSignature(storage, 's3://m/ratings', ['serve'], 'serving_default')
 * // { format: 'saved-model', inputs: [{ name: 'userId', tensor: 'serving_default_userId:0', dtype: 'int32', shape: [-1, 1] }, …], … }
 */
export async function readSavedModelSignature(storage: Storage, uri: string, tags: string[], name: string): Promise<SavedModelSignature> {
  const messages = protoMessages();
  const file = joinUri(savedModelDir(uri), SAVED_MODEL_FILE);
  let model: any;
  try {
    model = messages.SavedModel.deserializeBinary(await readModelFile(storage, file));
  } catch (err) {
    throw new Error(`${file} is not a SavedModel protobuf (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
  const graphs: any[] = model.getMetaGraphsList();
  const tagSets = graphs.map((g) => [...g.getMetaInfoDef().getTagsList()].sort());
  const wanted = [...tags].sort().join(',');
  const graph = graphs.find((_, i) => tagSets[i]!.join(',') === wanted);
  const show = (t: string[]) => `[${t.map((x) => JSON.stringify(x)).join(', ')}]`;
  if (!graph) throw new Error(`no MetaGraph tagged ${show(tags)} in ${file}; its tag sets: ${tagSets.map(show).join(', ') || 'none'}`);
  const defs = graph.getSignatureDefMap();
  const def = defs.get(name);
  if (!def) {
    const names: string[] = [];
    defs.forEach((_: unknown, key: string) => key !== '__saved_model_init_op' && names.push(key));
    throw new Error(`no signature "${name}" in the MetaGraph tagged ${show(tags)} of ${file}; its signatures: ${names.join(', ') || 'none'}`);
  }
  const inputs: SavedModelTensor[] = [];
  def.getInputsMap().forEach((info: any, key: string) => {
    const tfDtype = dtypeName(messages, info.getDtype());
    const dtype = INPUT_DTYPES[tfDtype];
    if (!dtype) throw new Error(`signature "${name}" input "${key}" has dtype ${tfDtype}, which Sluice cannot feed (float32, int32, int64, uint8, string, bool)`);
    inputs.push({ name: key, tensor: info.getName(), dtype, tfDtype, shape: shapeOf(info) });
  });
  const outputs: SavedModelSignature['outputs'] = [];
  def.getOutputsMap().forEach((info: any, key: string) => {
    const tfDtype = dtypeName(messages, info.getDtype());
    if (!OUTPUT_DTYPES.has(tfDtype)) throw new Error(`signature "${name}" output "${key}" has dtype ${tfDtype}, which the tensorflow backend cannot read back (float32, int32, int64, uint8, bool, string)`);
    outputs.push({ name: key, tensor: info.getName(), tfDtype, shape: shapeOf(info) });
  });
  // Both maps iterate in key order; outputs are reported by signature key, in that order.
  return { format: 'saved-model', inputs, outputs, signatureName: name, tags };
}
/**
 * The features' mapping onto the signature's inputs, one line per problem (what `validate`
 * reports, exit 2): the same rules as for TensorFlow.js models (features.ts), with int64 fed by
 * int64 or int32 features and uint8 by int32 ones.
 */
export function mapSavedModelFeatures(sig: SavedModelSignature, features: FeatureSpecMap, paths: CheckPaths = CONFIG_PATHS) {
  return mapFeatures(sig, features, paths);
}

