/**
 * The layer classes of a LayersModel topology that tfjs-layers does not know (a custom layer
 * never registered): `loadLayersModel` would fail on them in every worker, three attempts each,
 * so the model check finds them first, from `model.json` alone (no weights read). Users register
 * custom layers with `NODE_OPTIONS=--require`, which runs in the main thread too, into the same
 * (CommonJS) tfjs registry this module reads.
 */

import { createRequire } from 'node:module';
import { tfjsCore, tfjsLayers } from './tfjs-packages.js';

const require = createRequire(import.meta.url);

/** Every `class_name` of a topology's layers, nested models and wrapped layers included, walked without recursion. */
function layerClasses(topology: unknown): Set<string> {
  const out = new Set<string>();
  const stack: unknown[] = [topology];
  while (stack.length > 0) {
    const node = stack.pop() as { class_name?: unknown; config?: any } | null;
    if (node === null || typeof node !== 'object') continue;
    if (typeof node.class_name === 'string') out.add(node.class_name);
    const config = node.config;
    // Old Keras stores a Sequential's layers as its config; others under config.layers; wrappers (Bidirectional, TimeDistributed) under config.layer.
    const children = Array.isArray(config) ? config : [...(Array.isArray(config?.layers) ? config.layers : []), config?.layer];
    for (const child of children) stack.push(child);
  }
  return out;
}

/** The file the build writes beside this module: the classes tfjs-layers registers, for its version. */
export const LAYER_CLASSES_FILE = 'layer-classes.json';

/**
 * The classes tfjs-layers registers when imported, as the build listed them
 * (scripts/post-build.mjs), or undefined without the list or when it was made for another
 * version of tfjs-layers than the one installed.
 */
function builtinClasses(): Set<string> | undefined {
  try {
    const list = require(`./${LAYER_CLASSES_FILE}`) as { version?: string; classes?: string[] };
    const { version } = require('@tensorflow/tfjs-layers/package.json') as { version: string };
    return list.version === version && Array.isArray(list.classes) ? new Set(list.classes) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The layer classes of a LayersModel `model.json` that tfjs-layers has not registered, in order
 * of first appearance. A model made only of classes tfjs-layers registers itself needs no import:
 * the check then costs the coordinator no TensorFlow.js (~0.4 s of CPU, taken from the worker
 * threads loading the model). Otherwise imports tfjs-layers and reads its registry, which holds
 * the custom layers a preload or `--require` module registered in this thread.
 *
 * @example
 * await unknownLayerClasses(json) // ['MyAttention']
 */
export async function unknownLayerClasses(json: any): Promise<string[]> {
  const topology = json?.modelTopology?.model_config ?? json?.modelTopology;
  const builtin = builtinClasses();
  if (builtin && [...layerClasses(topology)].every((name) => builtin.has(name))) return [];
  const { serialization } = tfjsCore();
  tfjsLayers(); // registers its classes
  const known = serialization.SerializationMap.getMap().classNameMap;
  return [...layerClasses(topology)].filter((name) => !Object.hasOwn(known, name));
}
