/**
 * A resolved stage's methods with its options and context bound: `buildGraph` binds them once,
 * with the options as the schema validated them (defaults applied, once), so the runtime calls
 * `stage.call.create()` or `stage.call.commit(state, partition)` and never handles, casts or
 * mistypes a stage's options. The types follow from each definition's own signatures.
 */
import type { StageContext, StageDefinition } from '../core/stage.js';

/** Called as `(options, ctx, …rest)`. */
const WITH_CONTEXT = ['check', 'describe', 'inputs', 'plan', 'create', 'outputs', 'outputDir', 'outputBase'] as const;
/** Called as `(options)`. */
const OPTIONS_ONLY = ['features', 'forwards'] as const;
/** Sinks' end-of-partition and end-of-run hooks: `(options, state, ctx, …rest)`. */
const WITH_STATE = ['finish', 'commit', 'abort'] as const;
/** Called as `(facts, options)`. */
const OPTIONS_LAST = ['summarizeFacts'] as const;

type Name = (typeof WITH_CONTEXT)[number] | (typeof OPTIONS_ONLY)[number] | (typeof WITH_STATE)[number] | (typeof OPTIONS_LAST)[number];

type BindContext<F> = F extends (options: any, ctx: StageContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
type BindOptions<F> = F extends (options: any) => infer R ? () => R : never;
type BindState<F> = F extends (options: any, state: infer S, ctx: StageContext, ...rest: infer A) => infer R ? (state: S, ...rest: A) => R : never;
type BindLast<F> = F extends (facts: infer X, options: any) => infer R ? (facts: X) => R : never;

type BoundMethod<M, F> = M extends (typeof WITH_CONTEXT)[number]
  ? BindContext<F>
  : M extends (typeof OPTIONS_ONLY)[number]
    ? BindOptions<F>
    : M extends (typeof WITH_STATE)[number]
      ? BindState<F>
      : BindLast<F>;

/** The methods of definition `D` that take options, with them (and the context) bound; optional ones stay optional. */
export type Bound<D> = { readonly [M in keyof D as M extends Name ? M : never]: BoundMethod<M, NonNullable<D[M]>> };

/**
 * `def`'s methods bound to `options` and `ctx`.
 *
 * @example
 * const call = bindStage(roundDef, { digits: 4 }, ctx);
 * await call.create(); // roundDef.create({ digits: 4 }, ctx)
 */
export function bindStage<D extends StageDefinition>(def: D, options: unknown, ctx: StageContext): Bound<D> {
  const methods = def as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  const bind = (names: readonly string[], call: (f: (...args: unknown[]) => unknown, rest: unknown[]) => unknown) => {
    for (const name of names) {
      const f = methods[name];
      if (typeof f === 'function') out[name] = (...rest) => call(f.bind(def), rest);
    }
  };
  bind(WITH_CONTEXT, (f, rest) => f(options, ctx, ...rest));
  bind(OPTIONS_ONLY, (f) => f(options));
  bind(WITH_STATE, (f, [state, ...rest]) => f(options, state, ctx, ...rest));
  bind(OPTIONS_LAST, (f, [facts]) => f(facts, options));
  return Object.freeze(out) as unknown as Bound<D>;
}
