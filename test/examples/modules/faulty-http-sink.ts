// A test stage: the example http sink (examples/http-sink/http-sink.js) with faults a test
// installs by config: `failAtRow` makes `write` throw once that many rows of a partition were
// written; `delayMs` stretches every write (so a test can kill the run mid-partition).
import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkDefinition } from '../../../src/index.js';
// @ts-expect-error plain JavaScript without declarations: the example as users write it
import httpSink from '../../../../examples/http-sink/http-sink.js';

const inner = httpSink as SinkDefinition;
const schema = inner.optionsSchema as { properties: Record<string, unknown>; required: string[] };

const faulty: SinkDefinition = {
  ...inner,
  type: 'faulty-http',
  summary: 'The example http sink with test faults (failAtRow, delayMs).',
  optionsSchema: {
    ...schema,
    properties: {
      ...schema.properties,
      failAtRow: { type: 'integer', minimum: 0, description: 'write throws once this many rows of a partition were written.' },
      delayMs: { type: 'integer', minimum: 0, default: 0, description: 'Wait before each write.' },
    },
  },
  async create(options, ctx) {
    const { failAtRow, delayMs, ...rest } = options as { failAtRow?: number; delayMs: number };
    const sink = await inner.create(rest, ctx);
    return {
      open(part) {
        const writer = sink.open(part);
        let rows = 0;
        return {
          ...writer,
          async write(batch) {
            if (delayMs) await sleep(delayMs);
            rows += batch.length;
            if (failAtRow !== undefined && rows >= failAtRow) throw new Error(`injected: write failed at row ${rows}`);
            await writer.write(batch);
          },
        };
      },
    };
  },
};
export default faulty;
