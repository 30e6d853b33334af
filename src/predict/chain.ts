import h from 'highland';
import type { Chunk, ChunkStream, PartitionContext, TransformInstance } from '../core/stage.js';
import type { Failure, Prediction, RawRecord } from '../core/types.js';
import { isFailure } from '../core/failure.js';
import type { Graph } from '../graph/build.js';
import { createTransforms } from '../runtime/instances.js';
import { errorRow, predictionRow } from '../runtime/rows.js';
import { MEMORY_SOURCE, toRawRecord } from './records.js';
import type { BatchResult, OutputRow } from './rows.js';

/** The live transform stages of one pipeline (decode → key → model → post*), created once. */
export interface Chain {
  transforms: { path: string; instance: TransformInstance<any, any> }[];
  /** Releases the model; the chain is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * Creates a pipeline's transforms with the batch engine's own `createTransforms` (the same
 * `create()` of every stage a batch worker calls): the model loads here, once.
 *
 * @example
 * const chain = await createChain(graph);
 * const { rows } = await runChain(chain, [{ id: 'a', measurements: [5.1, 3.5, 1.4, 0.2] }]);
 */
export async function createChain(graph: Graph): Promise<Chain> {
  const transforms = await createTransforms(graph);
  return {
    transforms,
    async close() {
      // Every stage closes even when one throws; the first error is rethrown after.
      const results = await Promise.allSettled(transforms.map(async (t) => t.instance.close?.()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** In-memory records belong to no file: a stage that asks to write one is a bug, said plainly. */
const MEMORY_PARTITION: PartitionContext = {
  partition: { id: 0, of: 1, source: MEMORY_SOURCE, uri: MEMORY_SOURCE, start: 0, end: 0, size: 0, mtimeMs: 0, split: false },
  signal: new AbortController().signal,
  createOutput() {
    throw new Error('online prediction writes no files: a decode, key, model or post stage cannot open an output');
  },
};

/**
 * Runs in-memory records through the chain exactly as a partition's records run in a batch
 * worker (one chunk through the same highland transforms; the model stage cuts it into
 * `batchSize` batches) and returns one row per record, in order: a prediction row, or the
 * record's error row with its Failure code beside it. `indexes[i]` is record i's index (its
 * position in its request; default i).
 */
export async function runChain(chain: Chain, values: unknown[], indexes?: number[]): Promise<BatchResult> {
  if (values.length === 0) return { rows: [], codes: [] };
  const records: RawRecord[] = values.map((v, i) => toRawRecord(v, indexes?.[i] ?? i));
  let stream = h([records as Chunk<unknown>]) as ChunkStream<unknown>;
  for (const t of chain.transforms) stream = t.instance.transform(stream, MEMORY_PARTITION);
  const chunks = await new Promise<Chunk<unknown>[]>((resolve, reject) => {
    stream.stopOnError(reject).toArray(resolve);
  });
  const items = chunks.flat() as Array<Prediction | Failure>;
  // Every stage maps records one to one; anything else would misalign rows and requests.
  if (items.length !== values.length) throw new Error(`the chain returned ${items.length} results for ${values.length} records`);
  const rows: OutputRow[] = new Array(items.length);
  const codes: (string | null)[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (isFailure(item)) {
      rows[i] = errorRow(item) as unknown as OutputRow;
      codes[i] = item.code;
    } else {
      rows[i] = predictionRow(item) as unknown as OutputRow;
      codes[i] = null;
    }
  }
  return { rows, codes };
}
