import { defineStage, isFailure, toFailure, mapAsync, describeError, importExport, type Chunk, type Failure, type Json, type Key, type Prediction } from '../../../src/sdk.js';
import { mapMeta, type MapOptions } from './schema.js';

/** What a map function gets beside the prediction. */
export interface MapContext {
  key: Key;
  /** The forwarded input fields of the record. */
  forward: Record<string, unknown>;
  /** `args` from the stage's options ({} when absent). */
  args: Record<string, unknown>;
}

/** A user function for `post/map`: the new prediction (JSON), or a promise of it. */
export type MapFunction = (prediction: Json, context: MapContext) => Json | Promise<Json>;

async function loadFunction(options: MapOptions, ctx: Parameters<typeof importExport>[0]): Promise<MapFunction> {
  const fn = await importExport(ctx, options.module, options.export);
  if (typeof fn !== 'function') throw new Error(`${JSON.stringify(options.module)} export "${options.export}" is a ${typeof fn}, not a function`);
  return fn as MapFunction;
}

/**
 * `post/map`: runs a user function on every prediction. What it throws (or a promise it
 * rejects) becomes a Failure of that record naming the stage, e.g.
 * `/post/1 (map ./to-stars.js): rating out of range`; the run goes on.
 *
 * @example
 * { "type": "map", "module": "./to-stars.js", "args": { "max": 5 } }
 * // to-stars.js: export default (p, { args }) => Math.round(p[0] * args.max)
 */
export default defineStage<MapOptions>()({
  ...mapMeta,
  examples: [{ module: './to-stars.js', export: 'default', args: { max: 5 } }],
  async check(options, ctx) {
    try {
      await loadFunction(options, ctx);
      return [];
    } catch (err) {
      return [`${ctx.path}/module: ${describeError(err)}`];
    }
  },
  async create(options, ctx) {
    const fn = await loadFunction(options, ctx);
    const label = `${ctx.path} (map ${options.module})`;
    const args = options.args ?? {};
    const fail = (p: Prediction, err: unknown): Failure => {
      const f = toFailure('post', p, err);
      return { ...f, error: `${label}: ${f.error}` };
    };
    const apply = (p: Prediction, value: unknown): Prediction | Failure =>
      value === undefined ? fail(p, new Error('the function returned undefined; return the new prediction')) : { ...p, prediction: value as Json };
    // One chunk at a time, in order: synchronous results cost no promise per record; async ones
    // run concurrently within the chunk (a chunk is bounded, so memory stays bounded).
    const mapChunk = async (chunk: Chunk<Prediction>): Promise<Chunk<Prediction>> => {
      const out: (Prediction | Failure | Promise<Prediction | Failure>)[] = new Array(chunk.length);
      let pending = false;
      for (let i = 0; i < chunk.length; i++) {
        const p = chunk[i]!;
        if (isFailure(p)) {
          out[i] = p;
          continue;
        }
        try {
          const r = fn(p.prediction, { key: p.key, forward: p.forward, args });
          if (r && typeof (r as Promise<Json>).then === 'function') {
            pending = true;
            out[i] = Promise.resolve(r).then((v) => apply(p, v), (err) => fail(p, err));
          } else {
            out[i] = apply(p, r);
          }
        } catch (err) {
          out[i] = fail(p, err);
        }
      }
      return pending ? Promise.all(out) : (out as Chunk<Prediction>);
    };
    return { transform: (input) => input.through(mapAsync(mapChunk, { concurrency: 1, ordered: true })) };
  },
});
