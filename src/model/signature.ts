/**
 * A model's inputs and outputs, read from its `model.json` alone (no weights, no tfjs), so that
 * `validate` can check the features against the model before any data or weight is read.
 */

/** The two kinds of TensorFlow.js model, and TensorFlow SavedModels (saved-model.ts). */
export type ModelFormat = 'layers-model' | 'graph-model' | 'saved-model';

/** One model input. Unknown dimensions (`null` in Keras, `-1` in TensorFlow) are `-1`. */
export interface ModelInput {
  /** What the model is fed by: a LayersModel input layer's name, a GraphModel signature key or placeholder name. */
  name: string;
  /** The graph tensor behind a GraphModel signature key (e.g. `input_1:0`), when it differs. */
  tensor?: string;
  /** tfjs dtype: `float32`, `int32`, `bool`, `string` (TensorFlow's int64/uint8 become int32, as in tfjs). */
  dtype: string;
  /** The full shape, batch dimension first; `null` when the rank is unknown. */
  shape: number[] | null;
}

/** One model output; its shape is known for GraphModels with a signature and for a Dense output layer, else `null`. */
export interface ModelOutput {
  name: string;
  shape: number[] | null;
}

/** What a model takes and gives, as read from its JSON by `readSignature`. */
export interface ModelSignature {
  format: ModelFormat;
  inputs: ModelInput[];
  outputs: ModelOutput[];
}

/**
 * A tensor name without TensorFlow's `:0` output-index suffix: how outputs are named in a
 * multi-output prediction.
 *
 * @example
 * shortName('Identity:0') // 'Identity'
 */
export function shortName(name: string): string {
  return name.endsWith(':0') ? name.slice(0, -2) : name;
}

/**
 * Whether a feature name designates a model input: the input's name or its graph tensor's,
 * each with or without the `:0` suffix.
 *
 * @example
 * namesInput({ name: 'input_1:0', dtype: 'float32', shape: [-1, 4] }, 'input_1') // true
 */
export function namesInput(input: ModelInput, feature: string): boolean {
  const f = shortName(feature);
  return f === shortName(input.name) || (input.tensor !== undefined && f === shortName(input.tensor));
}

/**
 * A shape as messages show it.
 *
 * @example
 * showShape([-1, 64, 64, 1]) // '[-1,64,64,1]'
 */
export function showShape(shape: readonly number[] | null): string {
  return shape === null ? 'of unknown rank' : `[${shape.join(',')}]`;
}

const TF_DTYPES: Record<string, string> = {
  DT_FLOAT: 'float32', DT_HALF: 'float32', DT_BFLOAT16: 'float32', DT_DOUBLE: 'float32',
  DT_INT32: 'int32', DT_INT64: 'int32', DT_INT16: 'int32', DT_INT8: 'int32', DT_UINT8: 'int32', DT_UINT16: 'int32',
  DT_BOOL: 'bool', DT_STRING: 'string', DT_COMPLEX64: 'complex64',
};

/** tfjs' dtype for a TensorFlow `DT_*` name, as tfjs-converter maps it. */
function tfDtype(dt: unknown): string {
  return typeof dt === 'string' ? (TF_DTYPES[dt] ?? dt.replace(/^DT_/, '').toLowerCase()) : 'float32';
}

/** Dims of a TensorShapeProto in JSON: sizes are strings (int64); a missing size is unknown. */
function protoShape(shape: any): number[] | null {
  if (!shape || shape.unknownRank) return null;
  const dims: any[] = Array.isArray(shape.dim) ? shape.dim : [];
  return dims.map((d) => {
    const n = Number(d?.size);
    return d?.size === undefined || !Number.isFinite(n) || n < 0 ? -1 : n;
  });
}

/** A Keras shape (`[null, 4]`) with unknown dims as -1. */
function kerasShape(shape: unknown): number[] | null {
  return Array.isArray(shape) ? shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : null;
}

/** The format of a model JSON, from `format` or else the topology's shape. */
function formatOf(json: any): ModelFormat {
  if (json.format === 'layers-model' || json.format === 'graph-model') return json.format;
  const topo = json.modelTopology;
  if (Array.isArray(topo?.node)) return 'graph-model';
  if (topo?.class_name || topo?.model_config) return 'layers-model';
  throw new Error(`expected a LayersModel or GraphModel JSON (format "layers-model" or "graph-model"), got format ${JSON.stringify(json.format ?? null)} and a topology with neither "node" nor "class_name"`);
}

/**
 * Reads the signature of a model from its parsed `model.json`.
 *
 * @example
 * const sig = readSignature(await readModelJson(storage, uri));
 * sig.inputs // [{ name: 'input_1:0', tensor: 'input_1:0', dtype: 'float32', shape: [-1, 64, 64, 1] }]
 */
export function readSignature(json: any): ModelSignature {
  const format = formatOf(json);
  return format === 'graph-model' ? graphSignature(json) : layersSignature(json);
}

// ---- GraphModel ---------------------------------------------------------------------------

function graphSignature(json: any): ModelSignature {
  // tfjs-converter prefers userDefinedMetadata.signature over the top-level one; so do we.
  const sig = json.userDefinedMetadata?.signature ?? json.signature;
  const nodes: any[] = Array.isArray(json.modelTopology?.node) ? json.modelTopology.node : [];
  const hasInputs = sig?.inputs && Object.keys(sig.inputs).length > 0;
  const hasOutputs = sig?.outputs && Object.keys(sig.outputs).length > 0;
  const inputs: ModelInput[] = hasInputs
    ? Object.entries<any>(sig.inputs)
        .filter(([, t]) => t?.resourceId == null) // resource handles are captured, never fed
        .map(([key, t]) => ({ name: key, tensor: String(t?.name ?? key), dtype: tfDtype(t?.dtype), shape: protoShape(t?.tensorShape) }))
    : nodes
        .filter((n) => n?.op === 'Placeholder')
        .map((n) => ({ name: String(n.name), dtype: tfDtype(n.attr?.dtype?.type), shape: protoShape(n.attr?.shape?.shape) }));
  const outputs: ModelOutput[] = hasOutputs
    ? Object.entries<any>(sig.outputs).map(([key, t]) => ({ name: key, shape: protoShape(t?.tensorShape) }))
    : leafNodes(nodes).map((name) => ({ name, shape: null }));
  return { format: 'graph-model', inputs, outputs };
}

/** Nodes no other node reads: tfjs-converter's default outputs when there is no signature. */
function leafNodes(nodes: any[]): string[] {
  const consumed = new Set<string>();
  for (const n of nodes) {
    for (const input of Array.isArray(n?.input) ? n.input : []) {
      consumed.add(String(input).replace(/^\^/, '').split(':')[0]!);
    }
  }
  return nodes.map((n) => String(n?.name)).filter((name) => !consumed.has(name));
}

// ---- LayersModel --------------------------------------------------------------------------

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

function layersSignature(json: any): ModelSignature {
  // Keras-converted models wrap the config in `model_config`, as tfjs-layers' loader accepts.
  const topology = json.modelTopology?.model_config ?? json.modelTopology;
  const { inputs, outputs } = modelIO(topology);
  return { format: 'layers-model', inputs, outputs };
}

function layerName(layer: any): string {
  return String(layer?.name ?? layer?.config?.name ?? '');
}

function layerInputShape(cfg: any): number[] | null {
  // Saved as snake_case by Keras and tfjs; camelCase and Keras 3's batch_shape accepted too.
  const batch = cfg?.batch_input_shape ?? cfg?.batchInputShape ?? cfg?.batch_shape;
  if (batch) return kerasShape(batch);
  const perInstance = cfg?.input_shape ?? cfg?.inputShape;
  return perInstance ? kerasShape([null, ...perInstance]) : null;
}

/** The output shape of a Dense layer (its `units` on the last axis); null for any other layer. */
function layerOutputShape(layer: any): number[] | null {
  const units = layer?.config?.units;
  return layer?.class_name === 'Dense' && Number.isInteger(units) && units > 0 ? [-1, units] : null;
}

function layerDtype(cfg: any): string {
  // Keras 3 may store a dtype policy object; inputs are float32 unless a plain name says otherwise.
  return typeof cfg?.dtype === 'string' ? cfg.dtype : 'float32';
}

/** Inputs and outputs of a Sequential or functional model config (a nested model included). */
function modelIO(model: any): { inputs: ModelInput[]; outputs: ModelOutput[] } {
  const cls = model?.class_name;
  const config = model?.config;
  if (cls === 'Sequential') {
    // Old Keras stores the layer list as the config itself.
    const layers: any[] = Array.isArray(config) ? config : (config?.layers ?? []);
    const first = layers[0];
    if (!first) throw new Error('the Sequential model has no layers');
    const last = layers[layers.length - 1];
    const outputs = [{ name: layerName(last), shape: layerOutputShape(last) }];
    if (MODEL_CLASSES.has(first.class_name)) return { inputs: modelIO(first).inputs, outputs };
    // tfjs-layers (like Keras) names a Sequential model's implicit input `<first layer>_input`.
    const name = first.class_name === 'InputLayer' ? layerName(first) : `${layerName(first)}_input`;
    return { inputs: [{ name, dtype: layerDtype(first.config), shape: layerInputShape(first.config) }], outputs };
  }
  if (cls === 'Model' || cls === 'Functional') {
    const layers: any[] = config?.layers ?? [];
    const byName = new Map(layers.map((l) => [layerName(l), l]));
    const inputs = refs(config?.input_layers).map((name) => {
      const layer = byName.get(name);
      if (!layer) throw new Error(`input layer "${name}" is not among the model's layers`);
      return { name, dtype: layerDtype(layer.config), shape: layerInputShape(layer.config) };
    });
    const outputs = refs(config?.output_layers).map((name) => ({ name, shape: layerOutputShape(byName.get(name)) }));
    return { inputs, outputs };
  }
  throw new Error(`expected a Sequential or functional model topology, got class_name ${JSON.stringify(cls ?? null)}`);
}

/** Layer names of `input_layers`/`output_layers`: `[[name, node, tensor], …]`, or Keras 3's single `[name, node, tensor]`. */
function refs(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  if (typeof list[0] === 'string') return [list[0]];
  return list.map((r) => String(Array.isArray(r) ? r[0] : r));
}
