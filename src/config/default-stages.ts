import { joinUri } from '../storage/index.js';
import type { RawConfig } from './load.js';

/**
 * `config` with the stages it may leave out filled in: `key` (position) and `errors` (jsonl
 * under `<first sink uri>/_errors`). Validation applies them, and `loadRegistry` reads them to
 * know which built-in stages a run needs. Changes and returns `config`.
 *
 * @example
 * withDefaultStages({ sink: { type: 'jsonl', uri: 'out' } }).errors // { type: 'jsonl', uri: 'out/_errors' }
 */
export function withDefaultStages(config: RawConfig): RawConfig {
  const c = config as Record<string, any>;
  if (c.key === undefined) c.key = { type: 'position' };
  const firstSink = Array.isArray(c.sink) ? c.sink[0] : c.sink;
  if (c.errors === undefined && firstSink && typeof firstSink.uri === 'string') {
    c.errors = { type: 'jsonl', uri: joinUri(firstSink.uri, '_errors') };
  }
  return config;
}
