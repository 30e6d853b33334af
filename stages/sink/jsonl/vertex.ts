import type { Row, StageContext } from '../../../src/core/stage.js';
import type { Json } from '../../../src/core/types.js';

/** Vertex AI's file bases: `prediction.results-00000-of-00004` and `prediction.errors_stats-…`. */
export const VERTEX_RESULTS = 'prediction.results';
export const VERTEX_ERRORS = 'prediction.errors_stats';

/** The errors sink (config path `/errors`) writes Vertex's error files, every other sink its results. */
export function vertexBase(ctx: Pick<StageContext, 'path'>): string {
  return ctx.path === '/errors' ? VERTEX_ERRORS : VERTEX_RESULTS;
}

/** google.rpc.Code of a failed record: its input was bad (INVALID_ARGUMENT), or running it failed (INTERNAL). */
const RPC_CODE: Record<string, number> = { source: 3, decode: 3, key: 3, model: 13, post: 13, sink: 13 };

/** The error row's raw text as the instance Vertex echoes: parsed JSON where it is JSON, else the text. */
function rawInstance(raw: Json | undefined): Json {
  if (typeof raw !== 'string') return raw ?? null;
  try {
    return JSON.parse(raw) as Json;
  } catch {
    return raw;
  }
}

/**
 * One output row shaped as Vertex AI batch prediction writes it (`PredictionResult`):
 *
 * - a prediction row: `{"instance": …, "prediction": …}`, the instance being the forwarded
 *   `instance` field (a bare array or value line, see decode/json) or else the object of every
 *   forwarded field; with nothing forwarded (Vertex's `keyField`), `{"key": …, "prediction": …}`;
 * - an error row: `{"instance": …, "error": {"code", "message"}}`, the instance parsed from the
 *   record's raw text, the message naming where the record came from, its stage and its key.
 *
 * @example
 * vertexRow({ key: 'a.jsonl:0', instance: [1, 2], prediction: [0.9] }) // { instance: [1, 2], prediction: [0.9] }
 * vertexRow({ key: 'u1', prediction: [0.9] })                           // { key: 'u1', prediction: [0.9] }
 */
export function vertexRow(row: Row): Row {
  if (!Object.hasOwn(row, 'prediction')) {
    const where = row.index !== null && row.index !== undefined ? `:${row.index}` : row.offset !== null && row.offset !== undefined ? `@${row.offset}` : '';
    // A positional key says what `where` says already.
    const key = row.key !== null && row.key !== undefined && row.key !== `${row.source}${where}` ? ` (key ${JSON.stringify(row.key)})` : '';
    const stage = String(row.stage);
    return { instance: rawInstance(row.raw), error: { code: RPC_CODE[stage] ?? 2, message: `${row.source}${where}: ${stage}: ${row.error}${key}` } };
  }
  const forwarded: Row = {};
  let any = false;
  for (const name of Object.keys(row)) {
    if (name === 'key' || name === 'prediction') continue;
    forwarded[name] = row[name]!;
    any = true;
  }
  if (!any) return { key: row.key!, prediction: row.prediction! };
  return { instance: Object.hasOwn(forwarded, 'instance') ? forwarded.instance! : forwarded, prediction: row.prediction! };
}
