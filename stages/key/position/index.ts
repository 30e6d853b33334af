import { defineStage, RecordError, isFailure, toFailure, type Chunk, type ChunkStream, type StageContext, type Failure, type Instance, type Key, type KeyedInstance, type Origin } from '../../../src/sdk.js';
import { positionKeyMeta, type PositionKeyOptions } from './schema.js';
import { forwarder, forwardNames, forwardProblems, type Forward } from './forward.js';

export { forwarder, forwardProblems } from './forward.js';

/**
 * The stream transform of a key stage: keys each Instance with `keyOf` (a throw becomes a
 * Failure at stage `key`, with its fields) and copies its forwarded fields; a Failure from
 * upstream without a key gets one from `failureKey` where it can be computed, so every
 * Failure of a parsed record carries its key.
 *
 * @example
 * transform: keyTransform((r) => positionKey(r), (f) => positionKeyOrNull(f), options.forward)
 */
export function keyTransform(
  keyOf: (record: Instance) => Key,
  failureKey: (failure: Failure) => Key | null,
  forward: Forward,
): (input: ChunkStream<Instance>) => ChunkStream<KeyedInstance> {
  const copy = forwarder(forward);
  return (input) =>
    input.map((chunk: Chunk<Instance>) => {
      const out: Chunk<KeyedInstance> = new Array(chunk.length);
      for (let i = 0; i < chunk.length; i++) {
        const r = chunk[i]!;
        if (isFailure(r)) {
          const key = r.key === null ? failureKey(r) : null;
          out[i] = key === null ? r : { ...r, key };
          continue;
        }
        let key: Key | undefined;
        try {
          key = keyOf(r);
          out[i] = { source: r.source, index: r.index, offset: r.offset, raw: r.raw, fields: r.fields, features: r.features, key, forward: copy(r.fields) };
        } catch (err) {
          // A record that has its key but cannot be forwarded (forward "*" conflict) keeps the key.
          out[i] = toFailure('key', key === undefined ? r : { ...r, key }, err);
        }
      }
      return out;
    });
}

/**
 * The positional key of a record: `<source>:<index>`, or `<source>@<offset>` when the index is
 * not counted (a split file); null when neither is known.
 *
 * @example
 * positionKey({ source: 'data/a.jsonl', index: 7, offset: 120 })    // 'data/a.jsonl:7'
 * positionKey({ source: 'data/a.jsonl', index: null, offset: 120 }) // 'data/a.jsonl@120'
 */
export function positionKey(origin: Origin): string | null {
  if (origin.index !== null && origin.index !== undefined) return `${origin.source}:${origin.index}`;
  if (origin.offset !== null && origin.offset !== undefined) return `${origin.source}@${origin.offset}`;
  return null;
}

/**
 * `key/position`: the key is the record's position, stable across reruns: `<source>:<index>`,
 * or `<source>@<offset>` for a byte range of a split file.
 *
 * @example
 * { "type": "position", "forward": ["city"] }
 */
export default defineStage<PositionKeyOptions>()({
  ...positionKeyMeta,
  examples: [{ forward: [] }, { forward: ['city', 'age'] }, { forward: '*' }],
  forwards: (options) => forwardNames(options.forward),
  check: async (options, ctx: StageContext) => forwardProblems(options.forward, ctx.path),
  create(options) {
    const keyOf = (r: Instance): Key => {
      const key = positionKey(r);
      if (key === null) throw new RecordError('bad-key', `position key: the record from "${r.source}" has neither an index nor an offset`);
      return key;
    };
    return { transform: keyTransform(keyOf, positionKey, options.forward) };
  },
});
