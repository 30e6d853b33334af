/**
 * The `index` option of `source/tfrecord`: a record index beside a data file (NVIDIA DALI's
 * `tfrecord2idx` format, see src/core/tfrecord-plan.ts) plans a large file without walking its
 * headers. An index that does not fit its file is a config error, never a silently wrong plan.
 */
import path from 'node:path';
import type { StageContext } from '../../../src/core/stage.js';
import type { FileInfo } from '../../../src/core/storage.js';
import { SluiceError } from '../../../src/core/errors.js';
import { checkIndex, indexCuts, tfrecordBoundaries } from '../../../src/core/tfrecord-plan.js';
import { joinUri, schemeOf } from '../../../src/storage/index.js';

/** `index` when it is not set: `<file>.idx` beside the data file, used when it exists. */
export const AUTO_INDEX = '{file}.idx';
/** `auto` ignores an index larger than this fraction of its data file. */
export const AUTO_INDEX_FRACTION = 32;

/**
 * The URI of the index of `fileUri` under the `index` option, or null for `none`. `{file}`,
 * `{dir}` and `{name}` are the data file, its folder and its file name; a relative result is
 * relative to the data file's folder, so an index travels with its data.
 *
 * @example
 * indexUriOf('auto', 's3://b/d/a.tfrecord')            // 's3://b/d/a.tfrecord.idx'
 * indexUriOf('idx/{name}.idx', '/data/a.tfrecord')     // '/data/idx/a.tfrecord.idx'
 */
export function indexUriOf(option: string, fileUri: string): string | null {
  if (option === 'none') return null;
  const local = schemeOf(fileUri) === '';
  const dir = local ? path.dirname(fileUri) : fileUri.slice(0, fileUri.lastIndexOf('/'));
  const name = local ? path.basename(fileUri) : fileUri.slice(fileUri.lastIndexOf('/') + 1);
  const uri = (option === 'auto' ? AUTO_INDEX : option).replaceAll('{file}', fileUri).replaceAll('{dir}', dir).replaceAll('{name}', name);
  return schemeOf(uri) !== '' || path.isAbsolute(uri) ? uri : joinUri(dir, uri);
}

/**
 * The listed files without the index files of other listed files (a directory holding
 * `a.tfrecord` and `a.tfrecord.idx` has one input, not two).
 *
 * @example
 * dataFiles(await listInput(options.uri, ctx), options.index)
 */
export function dataFiles(files: FileInfo[], option: string): FileInfo[] {
  if (option === 'none') return files;
  const indexes = new Set(files.map((f) => indexUriOf(option, f.uri)));
  return files.filter((f) => !indexes.has(f.uri));
}

/**
 * Cuts of one large plain file (a `BoundaryFinder`): from its index when there is one (`auto`:
 * when `<file>.idx` exists; a named index must exist), checked against the file — every line,
 * the total size, and the headers of the first and last record and of each cut — else by walking
 * its record headers. Both give the same cuts for a sound file, so keys and resume do not depend
 * on which was used.
 *
 * @example
 * (file, bytes) => tfrecordCuts(ctx, options.index, file, bytes)
 */
export async function tfrecordCuts(ctx: StageContext, option: string, file: FileInfo, partitionBytes: number): Promise<number[]> {
  const uri = indexUriOf(option, file.uri);
  if (uri === null) return tfrecordBoundaries(ctx.storage, file, partitionBytes);
  const index = (await ctx.storage.exists(uri)) ? await ctx.storage.stat(uri) : null;
  if (index === null && option !== 'auto') throw new SluiceError('INPUT_MISSING', `${ctx.path}/index: no index ${ctx.displayName(uri)} for ${ctx.displayName(file.uri)}`);
  // `auto` walks past an index above 1/32 of its file (records averaging under ~600 bytes): the
  // walk is cheaper there (1 GiB of 100-byte records: 0.45 s of CPU, its 129 MB index 1.8 s).
  if (index === null || (option === 'auto' && index.size > file.size / AUTO_INDEX_FRACTION)) return tfrecordBoundaries(ctx.storage, file, partitionBytes);
  const got = indexCuts(await ctx.storage.readAll(uri), file.size, partitionBytes);
  const wrong = typeof got === 'string' ? got : await checkIndex(ctx.storage, file.uri, got.checks);
  if (wrong !== null || typeof got === 'string') {
    throw new SluiceError(
      'CONFIG_INVALID',
      `${ctx.path}/index: ${ctx.displayName(uri)} is not the record index of ${ctx.displayName(file.uri)} (stale or wrong: ${wrong}); rebuild it (tfrecord2idx) or set "index": "none" to walk the record headers`,
    );
  }
  return got.cuts;
}
