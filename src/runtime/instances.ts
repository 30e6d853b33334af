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

/**
 * Creates every stage of a graph (async: models load here). If one fails, those already
 * created are closed, so a failed start leaks nothing.
 */
export async function createInstances(graph: Graph): Promise<Instances> {
  const made: { close?(): unknown }[] = [];
  const track = <T extends { close?(): unknown }>(x: T): T => {
    made.push(x);
    return x;
  };
  // A user stage's create() and instance are guarded so that its errors name it (guard.ts).
  const create = async <T>(stage: GraphStage, wrap: (label: string, inst: any) => T): Promise<T> => {
    if (!stage.plugin) return (await stage.def.create(stage.options as any, stage.ctx)) as T;
    const inst = await guarded(stage.label, () => stage.def.create(stage.options as any, stage.ctx));
    return wrap(stage.label, inst);
  };
  try {
    const source = track(await create<SourceInstance>(graph.source, guardSource));
    const transforms = [];
    for (const t of graph.transforms) {
      const instance = track(await create<TransformInstance<any, any>>(t, guardTransform));
      // One-to-one stages run under the shared poison-record isolation and leak guard; the model
      // batches across chunks and does both itself.
      const safe = t.def.kind === 'model' ? instance : isolateRecords({ kind: t.def.kind, path: t.path, type: t.def.type }, instance);
      transforms.push({ path: t.path, instance: safe });
    }
    const sinks = [];
    for (const s of graph.sinks) sinks.push(track(await create<SinkInstance>(s, guardSink)));
    const errors = track(await create<SinkInstance>(graph.errors, guardSink));
    return { source, transforms, sinks, errors };
  } catch (err) {
    await closeAll(made);
    throw err;
  }
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
