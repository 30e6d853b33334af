import { defineStage, type Json, type StageContext } from '../../../src/sdk.js';
import { joinUri } from '../../../src/storage/index.js';
import { aggregationWriter, mergeCommitted, type Aggregation } from '../aggregation.js';
import { aggregateSinkMeta, type AggregateSinkOptions } from './schema.js';
import { fromUser, loadUserAggregation, requireJson } from './user-aggregation.js';
import type { Row } from '../../../src/sdk.js';

/** A result longer than this is shown in the summary as its file only. */
const SHOWN_CHARS = 160;

/** Writes `<name>.json` in `dir` and returns the summary's report for it. */
export async function reportResult(name: string, dir: string, result: Json, ctx: StageContext): Promise<{ file: string; line: string }> {
  const file = joinUri(dir, `${name}.json`);
  await ctx.storage.writeAtomic(file, JSON.stringify(result, null, 2) + '\n');
  const text = JSON.stringify(result);
  return { file, line: `  ${name}  ${text.length <= SHOWN_CHARS ? text : `(${text.length} chars)`}  → ${ctx.displayName(file)}` };
}

/** The module's aggregation, named by its config value in every error. */
async function load(options: AggregateSinkOptions, ctx: StageContext): Promise<Aggregation<unknown, Row[], Json>> {
  return fromUser(await loadUserAggregation(ctx, options.module), options.module) as Aggregation<unknown, Row[], Json>;
}

/**
 * `sink/aggregate`: a user aggregation over every prediction row. Each partition's state is
 * committed with the partition (a file beside the outputs), so a retried or resumed partition
 * counts once; when the run is complete the states are merged and `result` is written to
 * `<uri>/<name>.json` and printed. The same mechanism as `sink/metrics`. See docs/aggregations.md.
 *
 * @example
 * "sink": [ { "type": "jsonl", "uri": "out/predictions" },
 *           { "type": "aggregate", "uri": "out/aggregates", "module": "./class-counts.js", "name": "class-counts" } ]
 */
export default defineStage<AggregateSinkOptions>()({
  ...aggregateSinkMeta,
  examples: [{ uri: 'out/aggregates', module: './class-counts.js', name: 'class-counts' }],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  // The module loads and its empty state is plain JSON: a config error before any record is read.
  check: async (options, ctx) => {
    try {
      const agg = await load(options, ctx);
      requireJson(options.module, 'init', (agg.init() as { s: unknown }).s);
      return [];
    } catch (err) {
      return [`${ctx.path}/module: ${(err as Error).message}`];
    }
  },
  async create(options, ctx) {
    const agg = await load(options, ctx);
    const dir = ctx.resolve(options.uri);
    return { open: (part) => aggregationWriter(agg, part, dir, `${options.name}-state.json`) };
  },
  async finish(options, refs, ctx) {
    const agg = await load(options, ctx);
    const dir = ctx.resolve(options.uri);
    const result = agg.result(await mergeCommitted(agg, refs, ctx.storage, dir));
    const { file, line } = await reportResult(options.name, dir, result, ctx);
    return { lines: [line], result: { file, [options.name]: result } };
  },
});
