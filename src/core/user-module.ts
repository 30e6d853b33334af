import { pathToFileURL } from 'node:url';
import { describeError } from './errors.js';
import type { StageContext } from './stage.js';

/**
 * Imports a user module named in a config (`"module": "./fn.js"`, resolved against the config's
 * directory, or a `file:` URL) and returns the export `name`. Throws one line saying what is
 * wrong: the module does not load, or does not export `name`.
 *
 * @example
 * const fn = await importExport(ctx, './normalise.js', 'default');
 */
export async function importExport(ctx: StageContext, module: string, name: string): Promise<unknown> {
  const resolved = ctx.resolve(module);
  const url = resolved.startsWith('file:') ? resolved : pathToFileURL(resolved).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (err: any) {
    const why = err?.code === 'ERR_MODULE_NOT_FOUND' ? `no such module ${resolved}` : describeError(err);
    throw new Error(`cannot load ${JSON.stringify(module)}: ${why}`, { cause: err });
  }
  if (!(name in mod)) throw new Error(`${JSON.stringify(module)} has no export "${name}" (it exports ${Object.keys(mod).join(', ') || 'nothing'})`);
  return mod[name];
}
