import type { SinkInstance, SourceInstance, TransformInstance } from '../core/stage.js';
import type { Graph } from '../graph/build.js';

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
  try {
    const source = track(await graph.source.def.create(graph.source.options, graph.source.ctx));
    const transforms = await createTransforms(graph, track);
    const sinks = [];
    for (const s of graph.sinks) sinks.push(track(await s.def.create(s.options, s.ctx)));
    const errors = track(await graph.errors.def.create(graph.errors.options, graph.errors.ctx));
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
 * @example
 * const transforms = await createTransforms(graph); // the model loads here
 */
export async function createTransforms(
  graph: Graph,
  track?: <T extends { close?(): unknown }>(x: T) => T,
): Promise<Instances['transforms']> {
  const made: { close?(): unknown }[] = [];
  const keep = track ?? (<T extends { close?(): unknown }>(x: T): T => (made.push(x), x));
  const transforms: Instances['transforms'] = [];
  try {
    for (const t of graph.transforms) transforms.push({ path: t.path, instance: keep(await t.def.create(t.options, t.ctx)) });
  } catch (err) {
    await closeAll(made);
    throw err;
  }
  return transforms;
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
