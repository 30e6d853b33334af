/**
 * Type tests: a chain in the wrong order must not compile. Each `@ts-expect-error` below is
 * checked by `tsc` in `npm test`'s build: if the line after it compiled, the build would fail
 * with "Unused '@ts-expect-error' directive". The test itself checks the runtime shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, key, model, pipeline, plugin, post, sink, source, spec } from '../../src/index.js';
import type flakyPost from '../plugins/modules/flaky-post.js';

const src = source.jsonl({ uri: 'in.jsonl' });
const json = decode.json({ features: { x: { dtype: 'float32', shape: [1] } } });
const byId = key.field({ field: 'id' });
const tfjs = model.tfjs({ uri: 'model.json' });
const out = sink.jsonl({ uri: 'out' });

/** Never called: only compiled. */
export function wrongOrders(): void {
  // @ts-expect-error a model needs KeyedInstance, the source emits RawRecord
  pipeline(src).pipe(tfjs);
  // @ts-expect-error the key stage comes after decode
  pipeline(src).pipe(byId);
  // @ts-expect-error a decoder cannot follow a decoder
  pipeline(src).pipe(json).pipe(json);
  // @ts-expect-error post-processing needs Predictions: it comes after the model
  pipeline(src).pipe(json).pipe(byId).pipe(post.round({}));
  // @ts-expect-error a chain ends in a sink only once it emits Predictions
  pipeline(src).pipe(json).pipe(byId).to(out);
  // @ts-expect-error a sink is not a transform
  pipeline(src).pipe(json).pipe(byId).pipe(tfjs).pipe(out);
  // @ts-expect-error a pipeline starts at a source
  pipeline(json);
  // @ts-expect-error required options are required (jsonl needs a uri)
  source.jsonl({});
  // @ts-expect-error options are typed (batchSize is a number)
  model.tfjs({ uri: 'model.json', batchSize: '32' });
  // @ts-expect-error a user post stage is typed by its definition: it goes after the model
  pipeline(src).pipe(json).pipe(plugin<typeof flakyPost, 'failKeys'>('post', './flaky-post.js', {}));
  // @ts-expect-error a spec's model step needs keyed instances
  pipeline(src).pipe(spec('./spec.js').model());
}

test('a chain in the right order compiles and records each step', () => {
  const p = pipeline(src)
    .pipe(json)
    .pipe(byId)
    .pipe(tfjs)
    .pipe(post.softmax({}))
    .pipe(plugin<typeof flakyPost, 'failKeys'>('post', new URL('file:///plugins/flaky-post.js'), { failKeys: ['a'] }))
    .pipe(post.map({ module: new URL('file:///fns/label.js') }))
    .to([out, sink.csv({ uri: 'csv' })], { baseDir: '/data', name: 'typed' });
  assert.deepEqual(p.config.post, [
    { type: 'softmax' },
    { type: 'file:///plugins/flaky-post.js', failKeys: ['a'] },
    { type: 'map', module: 'file:///fns/label.js' },
  ]);
  assert.deepEqual(p.config.sink, [
    { type: 'jsonl', uri: 'out' },
    { type: 'csv', uri: 'csv' },
  ]);
  assert.equal(p.baseDir, '/data');
});
