import { once } from 'node:events';
import { finished } from 'node:stream';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { defineStage, type Row, type RowWriter } from '../../../src/core/stage.js';
import { shown } from '../../../src/core/errors.js';
import { cellValue, errorColumns, parquetSchema, predictionColumns, unplaced, type Column } from './layout.js';
import { parquetSinkMeta, type ParquetSinkOptions } from './schema.js';

/**
 * A hyparquet-writer byte writer that hands each encoded row group to `out` and forgets it:
 * the file never sits whole in memory. `flush` (called by ParquetWriter after each row group)
 * waits for `drain`, so a slow disk paces the encoder.
 */
class StreamByteWriter extends ByteWriter {
  constructor(private readonly out: NodeJS.WritableStream) {
    super(64 * 1024);
  }

  flush(): Promise<void> | void {
    if (this.index === 0) return;
    const bytes = Buffer.from(this.buffer.slice(0, this.index)); // a copy: the buffer is reused
    this.index = 0;
    if (this.out.write(bytes)) return;
    // once() rejects on 'error', so a broken stream cannot leave the writer waiting.
    return once(this.out as unknown as NodeJS.EventEmitter, 'drain').then(() => undefined);
  }

  override finish(): Promise<void> | void {
    return this.flush();
  }
}

/**
 * A RowWriter of one Parquet file: rows are buffered up to `groupRows`, then encoded as one row
 * group and written out. The first row group fixes the columns (`columnsOf`); `end` writes the
 * last row group and the footer, then ends the stream.
 */
export function createParquetWriter(
  out: NodeJS.WritableStream,
  columnsOf: (rows: readonly Row[]) => Column[],
  options: { groupRows: number; codec: 'SNAPPY' | 'UNCOMPRESSED' },
): RowWriter {
  const bytes = new StreamByteWriter(out);
  let error: Error | undefined;
  const done = new Promise<void>((resolve, reject) =>
    finished(out, (err) => {
      if (err) reject((error ??= err));
      else resolve();
    }),
  );
  done.catch(() => undefined); // reported by write/end

  let columns: Column[] | undefined;
  let parquet: ParquetWriter | undefined;
  let pending: Row[] = [];

  const writeGroup = async (rows: Row[]): Promise<void> => {
    if (!columns) {
      columns = columnsOf(rows);
      parquet = new ParquetWriter({ writer: bytes, schema: parquetSchema(columns), codec: options.codec, createdBy: 'sluice' });
    }
    const cols = columns;
    for (const row of rows) {
      const extra = unplaced(cols, row);
      if (extra !== undefined) {
        throw new Error(`parquet sink: the row with key ${shown(row.key ?? null)} has "${extra}", which the file's columns (from its first row group) lack: ${cols.map((c) => c.name).join(', ')}`);
      }
    }
    const columnData = cols.map((c) => ({ name: c.name, data: rows.map((row) => cellValue(c, c.get(row), row)) }));
    await parquet!.write({ columnData, rowGroupSize: rows.length });
  };

  let ending: Promise<void> | undefined;
  return {
    async write(rows) {
      if (error) throw error;
      if (ending) throw new Error('write after end: the partition output is already closed');
      pending.push(...rows);
      while (pending.length >= options.groupRows) {
        const group = pending.slice(0, options.groupRows);
        pending = pending.slice(options.groupRows);
        await writeGroup(group);
      }
    },
    end() {
      ending ??= (async () => {
        try {
          if (pending.length || !columns) await writeGroup(pending);
          pending = [];
          await parquet!.finish();
        } finally {
          // End the stream on failure too (the engine discards the attempt), so no descriptor leaks.
          out.end();
        }
        await done;
      })();
      return ending;
    },
  };
}

/**
 * `sink/parquet`: one Parquet file per partition: `key`, the forwarded fields with their types,
 * and `prediction` as a list column (or one column per output of an object prediction); as the
 * errors sink, the error row's columns. Written in row groups of `rowGroupRows`, committed like
 * every sink (staged under `_temporary/`, renamed or completed on commit).
 *
 * @example
 * { "type": "parquet", "uri": "out/predictions" }
 * // out/predictions/part-00000-of-00004.parquet: key: string, prediction: list<double>
 */
export default defineStage<ParquetSinkOptions>()({
  ...parquetSinkMeta,
  examples: [
    { uri: 'out/predictions', rowGroupRows: 10000, compression: 'snappy' },
    { uri: 'out/predictions', rowGroupRows: 1000, compression: 'none' },
  ],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  runtimeOptions: ['rowGroupRows'],
  create(options, ctx) {
    const dir = ctx.resolve(options.uri);
    // The errors sink's files share one fixed schema, empty ones included.
    const columnsOf = ctx.path === '/errors' ? () => errorColumns() : (rows: readonly Row[]) => predictionColumns(rows, ctx.forward);
    const codec = options.compression === 'none' ? 'UNCOMPRESSED' : 'SNAPPY';
    return {
      open: (part) => createParquetWriter(part.createOutput(dir, 'parquet'), columnsOf, { groupRows: options.rowGroupRows, codec }),
    };
  },
});
