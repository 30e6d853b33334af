/**
 * Maps decode features to model inputs and says, one line per problem, why a feature cannot
 * feed its input. The same mapping drives `validate` (from model.json) and the running stage
 * (which builds one tensor per binding), so what validates is what runs.
 */
import type { FeatureSpec, FeatureSpecMap } from '../core/stage.js';
import { namesInput, showShape, type ModelInput, type ModelSignature } from './signature.js';

/** One model input and the feature that feeds it. */
export interface InputBinding {
  input: ModelInput;
  feature: string;
  spec: FeatureSpec;
  /** The per-instance shape of the tensor fed (the model's dims, unknown ones taken from the feature). */
  instanceShape: number[];
  /** Elements per instance: the product of `instanceShape`. */
  size: number;
}

/** JSON paths that messages start with: the features' (`/decode/features`) and the model stage's (`/model`). */
export interface CheckPaths {
  features: string;
  model: string;
}

/** The config paths of a pipeline built from a config file. */
export const CONFIG_PATHS: CheckPaths = { features: '/decode/features', model: '/model' };

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function describeInput(input: ModelInput): string {
  return `"${input.name}" (${input.dtype} ${showShape(input.shape)})`;
}

function listNames(names: string[]): string {
  return names.length ? names.join(', ') : 'none';
}

/** Feature dtypes a model input dtype accepts; int32 → float32 (and → bool) is a lossless cast. */
function dtypeFits(feature: FeatureSpec['dtype'], input: string): boolean {
  if (input === 'float32') return feature === 'float32' || feature === 'int32';
  if (input === 'int32' || input === 'bool') return feature === 'int32';
  if (input === 'string') return feature === 'string';
  // SavedModel inputs (saved-model.ts): int64 is fed exactly, uint8 range-checked per record.
  if (input === 'int64') return feature === 'int64' || feature === 'int32';
  if (input === 'uint8') return feature === 'int32';
  return false;
}

/**
 * The per-instance tensor shape when a feature of shape `fs` fits an input of full shape
 * `shape`, else null. Dims match exactly, -1 matching anything; a one-element feature also
 * fits an input whose dims are all 1 or -1 (`[1]` feeds `[-1]`, `[]` feeds `[-1,1]`).
 */
function fitShape(fs: readonly number[], shape: readonly number[] | null): number[] | null {
  if (shape === null) return [...fs];
  const dims = shape.slice(1);
  if (fs.length === dims.length && dims.every((d, i) => d === -1 || d === fs[i])) return [...fs];
  if (product(fs) === 1 && dims.every((d) => d === 1 || d === -1)) return dims.map(() => 1);
  return null;
}

/** Which feature feeds `input`: the ones named after it, or the only feature of a single-input model. */
function pick(sig: ModelSignature, input: ModelInput, names: string[], paths: CheckPaths, problems: string[]): string | null {
  const named = names.filter((f) => namesInput(input, f));
  if (named.length > 1) {
    const both = named.length === 2 ? 'both' : 'all';
    problems.push(`${paths.features}: features ${named.map((n) => `"${n}"`).join(' and ')} ${both} name model input "${input.name}"; keep one`);
    return null;
  }
  if (named.length === 1) return named[0]!;
  if (sig.inputs.length === 1 && names.length === 1) return names[0]!;
  if (sig.inputs.length === 1 && names.length > 1) {
    problems.push(
      `${paths.features}: the model has one input ${describeInput(input)} and ${names.length} features (${listNames(names)}), none named after it; ` +
        `name the feature to feed "${input.name}"`,
    );
    return null;
  }
  problems.push(`${paths.features}: no feature for model input ${describeInput(input)}; features: ${listNames(names)}`);
  return null;
}

/**
 * Maps features to the model's inputs by name (a LayersModel's input layer names, a GraphModel's
 * signature inputs, each with or without `:0`); a single-input model takes the single feature
 * whatever its name. Features no input uses are fine (they may be forwarded).
 *
 * @example
 * const { bindings, problems } = mapFeatures(sig, { pixels: { dtype: 'float32', shape: [64, 64, 1] } }, CONFIG_PATHS);
 */
export function mapFeatures(sig: ModelSignature, features: FeatureSpecMap, paths: CheckPaths): { bindings: InputBinding[]; problems: string[] } {
  const problems: string[] = [];
  const bindings: InputBinding[] = [];
  const names = Object.keys(features);
  if (sig.inputs.length === 0) problems.push(`${paths.model}/uri: the model declares no inputs; expected at least one`);
  for (const input of sig.inputs) {
    const feature = pick(sig, input, names, paths, problems);
    if (feature === null) continue;
    const spec = features[feature]!;
    const at = `${paths.features}/${feature}`;
    const before = problems.length;
    if (!dtypeFits(spec.dtype, input.dtype)) {
      problems.push(`${at}: dtype ${spec.dtype} does not fit model input "${input.name}" of dtype ${input.dtype}`);
    }
    if (input.shape !== null && input.shape.length === 0) {
      problems.push(`${paths.model}/uri: model input "${input.name}" has shape [] (no batch dimension); expected a batch dimension first`);
      continue;
    }
    const instanceShape = fitShape(spec.shape, input.shape);
    if (instanceShape === null) {
      problems.push(
        `${at}: shape ${showShape(spec.shape)} does not fit model input "${input.name}" of shape ${showShape(input.shape)} ` +
          `(per instance ${showShape(input.shape!.slice(1))})`,
      );
    }
    if (problems.length === before) bindings.push({ input, feature, spec, instanceShape: instanceShape!, size: product(instanceShape!) });
  }
  return { bindings, problems };
}

/**
 * Checks that the decode features can feed the model's inputs: one line per problem, each
 * starting with the JSON path in the config (empty when everything fits).
 *
 * @example
 * checkFeatures(sig, { pixels: { dtype: 'float32', shape: [784] } }, CONFIG_PATHS)
 * // ['/decode/features/pixels: shape [784] does not fit model input "input_1:0" of shape [-1,64,64,1] (per instance [64,64,1])']
 */
export function checkFeatures(sig: ModelSignature, features: FeatureSpecMap, paths: CheckPaths = CONFIG_PATHS): string[] {
  return mapFeatures(sig, features, paths).problems;
}

/**
 * The batch size a model can take: `batchSize`, or less when an input has a fixed batch
 * dimension (e.g. `[1,256,256,3]`). Results are the same, so this clamps rather than fails;
 * `fixed` is that dimension, to which shorter batches are padded.
 *
 * @example
 * effectiveBatchSize(blazefaceSignature, 256) // { batchSize: 1, fixed: 1 }
 */
export function effectiveBatchSize(sig: ModelSignature, batchSize: number): { batchSize: number; fixed: number | null } {
  const fixed = sig.inputs.map((i) => i.shape?.[0] ?? -1).filter((b) => b > 0);
  if (fixed.length === 0) return { batchSize, fixed: null };
  const b = Math.min(...fixed);
  return { batchSize: Math.min(batchSize, b), fixed: b };
}
