import { defineStage, createRowWriter, type Row } from '../../../src/sdk.js';
import { jsonlSinkSchema, type JsonlSinkOptions } from './schema.js';

/**
 * One JSON text per row, each followed by a newline. The batch is joined into one string so a
 * batch costs one stream write.
 *
 * @example
 * jsonlLines([{ key: 'a', prediction: [0.5] }]) // '{"key":"a","prediction":[0.5]}\n'
 */
export function jsonlLines(rows: readonly Row[]): string {
  let text = '';
  for (const row of rows) text += `${JSON.stringify(row)}\n`;
  return text;
}

/**
 * `sink/jsonl`: one JSON object per line, one file per partition (optionally gzip).
 *
 * @example
 * { "type": "jsonl", "uri": "out/predictions", "compression": "gzip" }
 * // out/predictions/part-00000-of-00004.jsonl.gz: {"key":"a","prediction":[0.1,0.9]}
 */
export default defineStage<JsonlSinkOptions>()({
  kind: 'sink',
  type: 'jsonl',
  summary: 'Writes one JSON object per line ({"key", <forwarded fields…>, "prediction"}), one file per partition, optionally gzip.',
  optionsSchema: jsonlSinkSchema,
  accepts: 'Prediction',
  emits: 'Rows',
  examples: [{ uri: 'out/predictions', compression: 'none' }, { uri: 'out/predictions', compression: 'gzip' }],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  create(options, ctx) {
    const dir = ctx.resolve(options.uri);
    const ext = options.compression === 'gzip' ? 'jsonl.gz' : 'jsonl';
    return {
      open: (part) => createRowWriter(part.createOutput(dir, ext), jsonlLines, { compression: options.compression }),
    };
  },
});
