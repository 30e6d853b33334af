import type { StageMeta } from '../../../src/core/stage.js';
import { tfExampleDecodeSchema } from '../tf-example/schema.js';

/** `decode/tf-sequence-example` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const tfSequenceExampleDecodeMeta: StageMeta<'decode'> = {
  kind: 'decode',
  type: 'tf-sequence-example',
  summary: 'Parses each record as a tf.train.SequenceExample and decodes its context features as decode/tf-example does; feature lists are forwardable.',
  optionsSchema: tfExampleDecodeSchema,
};
