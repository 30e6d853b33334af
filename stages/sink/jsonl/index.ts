import { defineStage, createRowWriter, stringifyExact, type Row } from '../../../src/sdk.js';
import { jsonlSinkMeta, type JsonlSinkOptions } from './schema.js';
import { vertexBase, vertexRow } from './vertex.js';

/**
 * One JSON text per row, each followed by a newline. The batch is joined into one string so a
 * batch costs one stream write.
 *
 * @example
 * jsonlLines([{ key: 'a', prediction: [0.5] }]) // '{"key":"a","prediction":[0.5]}\n'
 */
export function jsonlLines(rows: readonly Row[]): string {
  let text = '';
  for (const row of rows) text += `${stringifyExact(row)}\n`;
  return text;
}

/** `jsonlLines` for Vertex AI's row shapes (see `vertexRow`). */
function vertexLines(rows: readonly Row[]): string {
  let text = '';
  for (const row of rows) text += `${stringifyExact(vertexRow(row))}\n`;
  return text;
}

/**
 * `sink/jsonl`: one JSON object per line, one file per partition (optionally gzip); with
 * `format: "vertex"`, files named and shaped as Vertex AI batch prediction writes them.
 *
 * @example
 * { "type": "jsonl", "uri": "out/predictions", "compression": "gzip" }
 * // out/predictions/part-00000-of-00004.jsonl.gz: {"key":"a","prediction":[0.1,0.9]}
 */
export default defineStage<JsonlSinkOptions>()({
  ...jsonlSinkMeta,
  examples: [
    { uri: 'out/predictions', compression: 'none', format: 'sluice' },
    { uri: 'out/predictions', compression: 'gzip', format: 'sluice' },
    { uri: 'out/vertex', compression: 'none', format: 'vertex' },
  ],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  outputBase: (options, ctx) => (options.format === 'vertex' ? vertexBase(ctx) : 'part'),
  create(options, ctx) {
    const dir = ctx.resolve(options.uri);
    const gzip = options.compression === 'gzip';
    if (options.format === 'vertex') {
      // Vertex's names carry no extension: prediction.results-00000-of-00001.
      const base = vertexBase(ctx);
      return { open: (part) => createRowWriter(part.createOutput(dir, gzip ? 'gz' : '', base), vertexLines, { compression: options.compression }) };
    }
    const ext = gzip ? 'jsonl.gz' : 'jsonl';
    return {
      open: (part) => createRowWriter(part.createOutput(dir, ext), jsonlLines, { compression: options.compression }),
    };
  },
});
