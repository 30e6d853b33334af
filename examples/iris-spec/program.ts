/**
 * The Iris pipeline composed in TypeScript with the spec class: the programmatic twin of
 * pipeline.json. Run it with `node dist/examples/iris-spec/program.js [output dir]`.
 */
import { fileURLToPath } from 'node:url';
import { key, pipeline, run, sink, source, spec, type PipelineDefinition } from '../../src/index.js';

/** The example's directory (this file runs compiled, from dist/examples/iris-spec/). */
export const exampleDir = fileURLToPath(new URL('../../../examples/iris-spec/', import.meta.url));

/** The pipeline, writing predictions and errors under `out` (relative URIs resolve against the example's directory). */
export function irisPipeline(out = 'out'): PipelineDefinition {
  // Worker threads import the spec by this URL; one IrisSpec instance serves decode, model and post in each.
  const iris = spec(new URL('./iris-spec.js', import.meta.url));
  return pipeline(source.jsonl({ uri: 'data/flowers.jsonl' }))
    .pipe(iris.decode)
    .pipe(key.field({ field: 'id', forward: ['species'] }))
    .pipe(iris.model({ batchSize: 32 }))
    .pipe(iris.post)
    .to(sink.jsonl({ uri: `${out}/predictions` }), {
      name: 'iris-spec',
      baseDir: exampleDir,
      errors: sink.jsonl({ uri: `${out}/errors` }),
      execution: { workers: 2 },
    });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const summary = await run(irisPipeline(process.argv[2]), { overwrite: true });
  console.error(`${summary.chain}: ${summary.counts.written} predictions, ${summary.counts.failed} errors`);
}
