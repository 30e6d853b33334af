import h from 'highland';
import type Highland from 'highland';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { defineStage, byteStream, checkInput, listInput, pushChunks, describeError, type Chunk, type ChunkStream, type StageContext, type Failure, type Partition, type RawRecord } from '../../../src/sdk.js';
import { FrameParser, type FrameEvent } from '../../../src/core/tfrecord.js';
import { tfrecordSourceSchema, type TfrecordSourceOptions } from './schema.js';

type Push = (err: Error | null, value?: Chunk<RawRecord> | Highland.Nil) => void;

/** A zlib error (a corrupt or cut gzip stream) rather than a storage error: zlib codes start with `Z_`. */
function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function failure(p: Partition, code: string, index: number, offset: number, error: string, raw: Uint8Array | null): Failure {
  return { failed: true, key: null, source: p.source, index, offset, stage: 'source', code, error: `${p.source}: ${error}`, raw };
}

function toElement(p: Partition, e: FrameEvent): RawRecord | Failure {
  if (e.kind === 'record') return { source: p.source, index: e.index, offset: e.offset, raw: e.data };
  if (e.kind === 'crc') return failure(p, 'crc', e.index, e.offset, e.message, e.data);
  return failure(p, e.code, e.index, e.offset, e.message, null);
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
export function tfrecordRecords(partition: Partition, verifyCrc: boolean): (err: Error, buf: Buffer | Highland.Nil, push: Push, next: () => void) => void {
  const parser = new FrameParser(verifyCrc);
  let done = false;
  const emit = (events: FrameEvent[], push: Push): void => {
    if (events.length === 0) return;
    pushChunks(events.map((e) => toElement(partition, e)), push as (err: Error | null, value?: (RawRecord | Failure)[]) => void);
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
      const where = `record ${parser.index} at byte offset ${parser.offset} of the uncompressed stream`;
      push(null, [failure(partition, 'gzip', parser.index, parser.offset, `${where}: corrupt gzip stream: ${describeError(err)}`, null)]);
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

/** True when the file is gzip: by option, by its `.gz` name, or by its first two bytes (1f 8b). */
async function isGzip(ctx: StageContext, p: Partition, compression: TfrecordSourceOptions['compression']): Promise<boolean> {
  if (compression !== 'auto') return compression === 'gzip';
  if (/\.gz$/i.test(p.uri)) return true;
  if (p.size < 2) return false;
  const head = await readHead(ctx.storage.read(p.uri, { start: 0, end: 2 }));
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function readHead(readable: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of readable as AsyncIterable<Buffer>) parts.push(chunk);
  } finally {
    readable.destroy();
  }
  return Buffer.concat(parts);
}

/** The bytes of the file, gunzipped when compressed; zlib errors reach the handler as stream errors. */
function fileBytes(ctx: StageContext, p: Partition, gzip: boolean): Highland.Stream<Buffer> {
  const readable = ctx.storage.read(p.uri, { start: 0, end: p.size });
  if (!gzip) return byteStream(readable);
  const gunzip = createGunzip();
  // A storage error must stay a storage error (retried), not pass as a gzip corruption.
  readable.once('error', (err) => gunzip.destroy(err));
  // byteStream destroys gunzip when the stream ends or is abandoned; the file must close with it.
  gunzip.once('close', () => readable.destroy());
  readable.pipe(gunzip);
  return byteStream(gunzip);
}

/**
 * `source/tfrecord`: TFRecord files (as TensorFlow and TFX write them), plain or gzip; each file
 * (shard) is one partition. Records are `RawRecord`s whose `raw` is the record's bytes, e.g. a
 * serialized tf.train.Example for `decode/tf-example`.
 *
 * @example
 * { "type": "tfrecord", "uri": "data/train-*.tfrecord.gz" }
 */
export default defineStage<TfrecordSourceOptions>()({
  kind: 'source',
  type: 'tfrecord',
  summary: 'Reads TFRecord files (plain or gzip, CRCs verified), one partition per file; a bad record is a Failure, a corrupt length or cut tail ends that file with one.',
  optionsSchema: tfrecordSourceSchema,
  accepts: 'Partition',
  emits: 'RawRecord',
  examples: [
    { uri: 'data/train-*.tfrecord.gz', compression: 'auto', verifyCrc: true },
    { uri: 'data/mnist.tfrecord', compression: 'none', verifyCrc: true },
  ],
  check: (options, ctx) => checkInput(options.uri, ctx),
  async plan(options, ctx) {
    const files = await listInput(options.uri, ctx);
    // Shards are the unit: a TFRecord file has no sync markers to cut it at.
    return files.map((f) => ({ source: ctx.displayName(f.uri), uri: f.uri, size: f.size, mtimeMs: f.mtimeMs, start: 0, end: f.size, split: false }));
  },
  create(options, ctx) {
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        if (p.size === 0) return h<Chunk<RawRecord>>([]);
        const handler = tfrecordRecords(p, options.verifyCrc);
        return h(isGzip(ctx, p, options.compression))
          .map((gzip) => fileBytes(ctx, p, gzip).consume(handler))
          .sequence() as unknown as ChunkStream<RawRecord>;
      },
    };
  },
});
