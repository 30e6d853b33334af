/**
 * The `model/tfjs` stage's SavedModel path: `model.uri` naming a directory that holds
 * `saved_model.pb` runs on the tensorflow backend with `signature` and `tags` (see
 * docs/native.md). Kept apart so the stage's TensorFlow.js path stays as it is.
 */
import { createHash } from 'node:crypto';
import type { StageContext } from '../../../src/core/stage.js';
import type { Json } from '../../../src/core/types.js';
import { describeError } from '../../../src/core/errors.js';
import { isStorageFailure } from '../../../src/storage/errors.js';
import { backendReason, resolveBackend, type BackendName } from '../../../src/model/backend.js';
import { nativeProblem } from '../../../src/model/native.js';
import { CONFIG_PATHS } from '../../../src/model/features.js';
import { modelFileStream } from '../../../src/model/cache.js';
import { DEFAULT_SIGNATURE, DEFAULT_TAGS, mapSavedModelFeatures, readSavedModelSignature, savedModelDir } from '../../../src/model/saved-model-signature.js';
import type { TfjsOptions } from './schema.js';

export { isSavedModel } from '../../../src/model/saved-model-signature.js';

/** The signature and tags the options ask for, defaults applied. */
export function savedModelChoice(options: TfjsOptions): { signature: string; tags: string[] } {
  return { signature: options.signature ?? DEFAULT_SIGNATURE, tags: options.tags ?? DEFAULT_TAGS };
}

/** Why `backend` cannot run a SavedModel, or null: only TensorFlow's own runtime can. */
function backendProblem(path: string, backend: BackendName): string | null {
  if (backend === 'wasm' || backend === 'cpu') {
    return `${path}/backend: a SavedModel runs on the tensorflow backend only, not "${backend}"; set backend to "tensorflow" or "auto" (or convert the model to TensorFlow.js)`;
  }
  const problem = nativeProblem();
  return problem ? `${path}/uri: a SavedModel runs on the tensorflow backend only, and ${problem}` : null;
}

/**
 * `check` for a SavedModel: the backend, the MetaGraph of `tags` and its `signature` (read from
 * saved_model.pb alone), and every feature against the signature's inputs (names, dtypes, shapes).
 */
export async function checkSavedModel(options: TfjsOptions, ctx: StageContext): Promise<string[]> {
  const backend = backendProblem(ctx.path, options.backend ?? 'auto');
  if (backend) return [backend];
  const { signature, tags } = savedModelChoice(options);
  let sig;
  try {
    sig = await readSavedModelSignature(ctx.storage, ctx.resolve(options.uri), tags, signature);
  } catch (err) {
    if (isStorageFailure(err)) throw err; // storage down: exit 1, not a config problem
    return [`${ctx.path}/${/signature "/.test(describeError(err)) ? 'signature' : /MetaGraph tagged/.test(describeError(err)) ? 'tags' : 'uri'}: ${describeError(err)}`];
  }
  return mapSavedModelFeatures(sig, ctx.features, { ...CONFIG_PATHS, model: ctx.path }).problems;
}

/** `describe` for a SavedModel: one sha256 over every file of the directory, in URI order. */
export async function describeSavedModel(options: TfjsOptions, ctx: StageContext): Promise<Record<string, Json>> {
  const dir = savedModelDir(ctx.resolve(options.uri));
  const hash = createHash('sha256');
  for (const f of await ctx.storage.list(`${dir}/**`)) {
    hash.update(f.uri.slice(dir.length));
    for await (const chunk of await modelFileStream(ctx.storage, f.uri)) hash.update(chunk as Uint8Array);
  }
  const { signature, tags } = savedModelChoice(options);
  return {
    uri: options.uri,
    format: 'saved-model',
    signature,
    tags,
    sha256: hash.digest('hex'),
    backend: resolveBackend(options.backend ?? 'auto'),
    backendReason: backendReason(options.backend ?? 'auto'),
  };
}
