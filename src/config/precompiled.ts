import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';

/** The file the build writes beside this module: the pipeline validator as ajv standalone code. */
export const PRECOMPILED_FILE = 'pipeline-validator.cjs';

/**
 * V8's code cache of that file, written by the build after one call (so it holds the compiled
 * validator): loading the ~480 KB validator from it and its first call cost ~25 ms instead of
 * ~70 ms, in the CLI and again in every worker thread. A cache that does not fit this Node
 * (another version or flags) is rejected by V8, which then compiles the file as usual.
 */
export const CODE_CACHE_FILE = 'pipeline-validator.cache';

type Precompiled = ValidateFunction & { hash?: string };

/** sha256 of a schema's JSON: ties a precompiled validator to the exact schema it was made from. */
export function schemaHash(schema: unknown): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

let loaded: { validate: Precompiled; script: vm.Script } | null | undefined;

/**
 * Runs the precompiled validator module (CommonJS) once per thread, from V8's code cache when
 * there is one; null when the build wrote none. The script is returned for the build, which
 * makes the cache from it.
 */
export function loadPrecompiled(): { validate: Precompiled; script: vm.Script } | null {
  if (loaded !== undefined) return loaded;
  const file = fileURLToPath(new URL(`./${PRECOMPILED_FILE}`, import.meta.url));
  let code: string;
  try {
    code = fs.readFileSync(file, 'utf8');
  } catch {
    return (loaded = null);
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(fileURLToPath(new URL(`./${CODE_CACHE_FILE}`, import.meta.url)));
  } catch {
    // No cache: V8 compiles the file.
  }
  // The wrapper Node puts around a CommonJS module, so the file runs as `require` would run it.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename: file, cachedData });
  const module = { exports: {} as Precompiled };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  return (loaded = { validate: module.exports, script });
}

/**
 * The validator the build precompiled for `schema`, or undefined when there is none or it was
 * made from another schema (a plugin changes the registry): the caller then compiles with ajv.
 * Compiling the pipeline schema costs ~75 ms, paid by the CLI and again by every worker thread;
 * loading the precompiled one costs ~25 ms (see CODE_CACHE_FILE).
 */
export function precompiledValidator(schema: unknown): ValidateFunction | undefined {
  let mod: Precompiled | undefined;
  try {
    mod = loadPrecompiled()?.validate;
  } catch {
    return undefined;
  }
  return mod?.hash === schemaHash(schema) ? mod : undefined;
}
