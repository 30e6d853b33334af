import type { Row } from '../core/stage.js';
import type { Failure, Json, Prediction } from '../core/types.js';
import { rawText } from '../core/failure.js';

/**
 * A prediction row: `{"key", <forwarded fields…>, "prediction"}` in that order (CONTRACT).
 *
 * @example
 * predictionRow({ key: 'a', forward: { species: 'setosa' }, prediction: [0.1, 0.9], ... })
 * // { key: 'a', species: 'setosa', prediction: [0.1, 0.9] }
 */
export function predictionRow(p: Prediction): Row {
  const row: Row = { key: p.key };
  for (const name in p.forward) row[name] = (p.forward[name] ?? null) as Json;
  row.prediction = p.prediction;
  return row;
}

/** An error row: `{"key","source","index","offset","stage","code","error","raw"}` (CONTRACT, plus `code`: the kind of failure). */
export function errorRow(f: Failure): Row {
  return {
    key: f.key,
    source: f.source,
    index: f.index,
    offset: f.offset,
    stage: f.stage,
    code: f.code,
    error: f.error,
    raw: rawText(f.raw),
  };
}
