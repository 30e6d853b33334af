// A user post stage for tests: throws for the records whose key is listed in `failKeys`.
import { defineStage, mapRecords, RecordError, type Prediction } from '../../../src/index.js';

interface FlakyOptions {
  failKeys: string[];
}

export default defineStage<FlakyOptions>()({
  kind: 'post',
  type: 'flaky',
  summary: 'Fails the listed keys, passes the rest.',
  optionsSchema: {
    type: 'object',
    properties: { failKeys: { type: 'array', items: { type: 'string' }, default: [], description: 'Keys that fail.' } },
    required: ['failKeys'],
    additionalProperties: false,
  },
  accepts: 'Prediction',
  emits: 'Prediction',
  create(options) {
    const fail = new Set(options.failKeys);
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => {
        if (fail.has(String(p.key))) throw new RecordError('flaky', `refusing ${p.key}`);
        return p;
      }),
    };
  },
});
