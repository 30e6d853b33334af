import h from 'highland';
import type Highland from 'highland';
import { defineStage, type Chunk, type ChunkStream } from '../../../src/core/stage.js';
import type { Failure, Partition, RawRecord } from '../../../src/core/types.js';
import { byteStream, checkInput, listInput, planFileRanges, pushChunks } from '../../../src/core/partitioning.js';
import { describeError } from '../../../src/core/errors.js';
import { FrameParser, type FrameEvent } from '../../../src/core/tfrecord.js';
import { dataFiles, tfrecordCuts } from './index-file.js';
import { isGzip, isZlibError, maybeGunzip } from '../shared/compression.js';
import { DEFAULT_MAX_RECORD_BYTES, recordLimit, tooLarge } from '../shared/limits.js';
import { tfrecordSourceMeta, type TfrecordSourceOptions } from './schema.js';

type Push = (err: Error | null, value?: Chunk<RawRecord> | Highland.Nil) => void;

function failure(p: Partition, code: string, index: number | null, offset: number, error: string, raw: Uint8Array | null): Failure {
  return { failed: true, key: null, source: p.source, index, offset, stage: 'source', code, error: `${p.source}: ${error}`, raw };
}

function toElement(p: Partition, e: FrameEvent, limit: number): RawRecord | Failure {
  // A range of a split file does not know its records' indexes: they are keyed by offset.
  const index = p.split ? null : e.index;
  if (e.kind === 'record') return { source: p.source, index, offset: e.offset, raw: e.data };
  if (e.kind === 'crc') return failure(p, 'crc', index, e.offset, e.message, e.data);
  if (e.kind === 'too-large') return tooLarge({ source: p.source, index, offset: e.offset }, e.size, limit, null);
  return failure(p, e.code, index, e.offset, e.message, null);
}

/**
 * A highland `consume` handler that cuts the (uncompressed) bytes of one TFRecord file into
 * records: one RawRecord per record (`raw` its data bytes, `index` from 0, `offset` of its
 * header), a Failure for a record whose data CRC fails, and one Failure that ends the file for
 * a corrupt length, a truncated tail or a corrupt gzip stream. A storage error stays a stream
 * error, so the engine retries the partition.
 *
 * @example
 * byteStream(readable).consume(tfrecordRecords(partition, true))
 */
export function tfrecordRecords(
  partition: Partition,
  verifyCrc: boolean,
  limit: number = DEFAULT_MAX_RECORD_BYTES,
): (err: Error, buf: Buffer | Highland.Nil, push: Push, next: () => void) => void {
  const parser = new FrameParser(verifyCrc, limit);
  // A range of a split file starts at a record boundary found at plan time.
  parser.offset = partition.start;
  parser.indexed = !partition.split;
  let done = false;
  const emit = (events: FrameEvent[], push: Push): void => {
    if (events.length === 0) return;
    pushChunks(events.map((e) => toElement(partition, e, limit)), push as (err: Error | null, value?: (RawRecord | Failure)[]) => void);
  };
  return (err, buf, push, next) => {
    if (done) {
      // After the file's reading ended, drain what is left without looking at it.
      if (h.isNil(buf)) push(null, h.nil);
      else next();
      return;
    }
    if (err) {
      if (!isZlibError(err)) {
        push(err);
        push(null, h.nil);
        return;
      }
      // Records decompressed before the corruption are real; the rest of the file is unreadable.
      done = true;
      const where = `record ${parser.index} at byte offset ${parser.offset} of the uncompressed stream`; // gzip files are never split
      push(null, [failure(partition, 'gzip', partition.split ? null : parser.index, parser.offset, `${where}: corrupt gzip stream: ${describeError(err)}`, null)]);
      push(null, h.nil);
      return;
    }
    if (h.isNil(buf)) {
      emit(parser.end(), push);
      push(null, h.nil);
      return;
    }
    emit(parser.push(buf), push);
    if (parser.stopped) {
      done = true;
      push(null, h.nil);
      return;
    }
    next();
  };
}

/**
 * `source/tfrecord`: TFRecord files (as TensorFlow and TFX write them), plain or gzip. A gzip
 * file (shard) is one partition; a plain file larger than the partition size is cut into byte
 * ranges at record starts, keyed by offset (`source@offset`). Records are `RawRecord`s whose `raw` is the record's bytes, e.g. a
 * serialized tf.train.Example for `decode/tf-example`.
 *
 * @example
 * { "type": "tfrecord", "uri": "data/train-*.tfrecord.gz" }
 */
export default defineStage<TfrecordSourceOptions>()({
  ...tfrecordSourceMeta,
  examples: [
    { uri: 'data/train-*.tfrecord.gz', compression: 'auto', verifyCrc: true, index: 'auto' },
    { uri: 'data/mnist.tfrecord', compression: 'none', verifyCrc: true, index: 'auto' },
    { uri: 'data/train-*.tfrecord', compression: 'none', verifyCrc: true, index: 'idx/{name}.idx' },
  ],
  check: (options, ctx) => checkInput(options.uri, ctx),
  plan: async (options, ctx) =>
    // A plain file larger than a partition is cut at record starts, found from its index or by
    // walking its headers (no payload is read); a gzip file cannot be cut and stays whole.
    planFileRanges(
      dataFiles(await listInput(options.uri, ctx), options.index ?? 'auto'),
      ctx,
      (file, bytes) => tfrecordCuts(ctx, options.index ?? 'auto', file, bytes),
      (file) => isGzip(ctx.storage, file, options.compression),
    ),
  create(options, ctx) {
    const limit = recordLimit(options);
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        if (p.end <= p.start) return h<Chunk<RawRecord>>([]);
        const handler = tfrecordRecords(p, options.verifyCrc, limit);
        if (p.split) return byteStream(ctx.storage.read(p.uri, { start: p.start, end: p.end })).consume(handler);
        return h(isGzip(ctx.storage, p, options.compression))
          .map((gzip) => maybeGunzip(ctx.storage.read(p.uri, { start: 0, end: p.size }), gzip).consume(handler))
          .sequence() as unknown as ChunkStream<RawRecord>;
      },
    };
  },
});
