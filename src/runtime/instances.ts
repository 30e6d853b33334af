import type { SinkInstance, SourceInstance, TransformInstance } from '../core/stage.js';
import type { Graph, GraphStage } from '../graph/build.js';
import { isolateRecords } from '../core/isolate.js';
import { guardSink, guardSource, guardTransform, guarded } from './guard.js';

/** The live stages of one worker: created once per thread (the model loads once), reused per partition. */
export interface Instances {
  source: SourceInstance;
  transforms: { path: string; instance: TransformInstance<any, any> }[];
  sinks: SinkInstance[];
  errors: SinkInstance;
}

type Track = <T extends { close?(): unknown }>(x: T) => T;

/**
 * Creates every stage of a graph (async: models load here). If one fails, those already
 * created are closed, so a failed start leaks nothing.
 */
export async function createInstances(graph: Graph): Promise<Instances> {
  const made: { close?(): unknown }[] = [];
  const track: Track = (x) => {
    made.push(x);
    return x;
  };
  try {
    const source = track(await createStage<SourceInstance>(graph.source, guardSource));
    const transforms = await createTransforms(graph, track);
    const sinks = [];
    for (const s of graph.sinks) sinks.push(track(await createStage<SinkInstance>(s, guardSink)));
    const errors = track(await createStage<SinkInstance>(graph.errors, guardSink));
    return { source, transforms, sinks, errors };
  } catch (err) {
    await closeAll(made);
    throw err;
  }
}

/**
 * Creates the transform stages of a graph (decode, key, model, post*) in chain order: what
 * online prediction runs, with the very `create()` a batch worker calls, so online and batch
 * records pass the same code. Each is handed to `track` as it is made; when one fails, those
 * made here are closed (unless the caller tracks them) and the error is rethrown.
 *
 * One-to-one stages run under the shared poison-record isolation and leak guard
 * (core/isolate.ts); the model batches across chunks and does both itself.
 *
 * @example
 * const transforms = await createTransforms(graph); // the model loads here
 */
export async function createTransforms(graph: Graph, track?: Track): Promise<Instances['transforms']> {
  const made: { close?(): unknown }[] = [];
  const keep: Track = track ?? ((x) => (made.push(x), x));
  const transforms: Instances['transforms'] = [];
  try {
    for (const t of graph.transforms) {
      const instance = keep(await createStage<TransformInstance<any, any>>(t, guardTransform));
      const safe = t.def.kind === 'model' ? instance : isolateRecords({ kind: t.def.kind, path: t.path, type: t.def.type }, instance);
      transforms.push({ path: t.path, instance: safe });
    }
  } catch (err) {
    await closeAll(made);
    throw err;
  }
  return transforms;
}

/** A stage's instance; a user stage's create() and instance are guarded so that its errors name it (guard.ts). */
async function createStage<T>(stage: GraphStage, wrap: (label: string, inst: any) => T): Promise<T> {
  if (!stage.plugin) return (await stage.call.create()) as T;
  const inst = await guarded(stage.label, () => stage.call.create());
  return wrap(stage.label, inst);
}

/** Closes every stage, on failure too; the first error is rethrown after all have run. */
export async function closeInstances(inst: Instances): Promise<void> {
  await closeAll([inst.source, ...inst.transforms.map((t) => t.instance), ...inst.sinks, inst.errors]);
}

async function closeAll(list: { close?(): unknown }[]): Promise<void> {
  let first: unknown;
  for (const x of list) {
    try {
      await x.close?.();
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
