/**
 * What a model's `weightsManifest` may name, checked before any weight byte is read: every
 * shard lies inside the model's own directory (or object prefix), and the shards of each group
 * hold exactly the bytes its weights declare. Without this, a model file could name
 * `../../etc/passwd` or `/proc/self/environ` as "weights" and return their bytes as
 * predictions, or declare 10 GB and make every worker try to read it. No tfjs here: the
 * coordinator runs it in `validate`.
 */
import type { Storage } from '../storage/types.js';
import { joinUri } from '../storage/index.js';

/** One group of a weights manifest, as far as these checks read it. */
interface ManifestGroup {
  paths: string[];
  weights?: { name?: string; shape?: number[]; dtype?: string; quantization?: { dtype?: string } }[];
}

/** Bytes per element by dtype (a quantized weight is stored in its quantization dtype). */
const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2, complex64: 8 };

/**
 * Why a manifest path may not be used, or null: it must be a relative path of plain segments
 * below the model's directory. Checked raw and percent-decoded, since object stores and URLs
 * decode `%2e%2e` to `..`.
 *
 * @example
 * weightPathProblem('group1-shard1of1.bin') // null
 * weightPathProblem('../../etc/passwd') // 'it leaves the model\'s directory'
 */
export function weightPathProblem(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'it is not a valid path (a malformed %-escape)';
  }
  for (const p of [path, decoded]) {
    if (p === '' || p.includes('\0')) return 'it is empty or holds a NUL byte';
    if (p.startsWith('/') || p.includes('\\') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(p)) return "it is absolute or names another place (a model's weights lie beside its JSON)";
    if (p.split('/').some((s) => s === '..' || s === '.' || s === '')) return "it leaves the model's directory";
  }
  return null;
}

/**
 * Throws one line naming the model file and the first manifest path that may not be used.
 *
 * @example
 * checkWeightPaths('/m/model.json', json) // throws 'model file /m/model.json: weightsManifest path "../x" …'
 */
export function checkWeightPaths(uri: string, manifest: unknown): void {
  if (!Array.isArray(manifest)) return;
  for (const group of manifest as ManifestGroup[]) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      const problem = typeof p === 'string' ? weightPathProblem(p) : 'it is not a string';
      if (problem) throw new Error(`model file ${uri}: weightsManifest path ${JSON.stringify(p)} is refused: ${problem}`);
    }
  }
}

/** The bytes a group's weights declare, or null when it cannot be known (string weights are length-prefixed). */
export function declaredBytes(group: ManifestGroup): number | null {
  let total = 0;
  for (const w of group.weights ?? []) {
    const per = ELEMENT_BYTES[w.quantization?.dtype ?? w.dtype ?? ''];
    if (per === undefined) return null;
    total += per * (w.shape ?? []).reduce((a, b) => a * b, 1);
  }
  return total;
}

/**
 * One line per manifest group whose shards do not hold the bytes its weights declare (by
 * `stat`, nothing is read), e.g. a 10 GB declaration beside a 1 KB shard.
 *
 * @example
 * await weightSizeProblems(storage, '/m/model.json', json.weightsManifest) // [] when they match
 */
export async function weightSizeProblems(storage: Storage, uri: string, dir: string, manifest: unknown): Promise<string[]> {
  if (!Array.isArray(manifest)) return [];
  const problems: string[] = [];
  for (const [i, group] of (manifest as ManifestGroup[]).entries()) {
    const want = declaredBytes(group);
    if (want === null) continue;
    let have = 0;
    for (const p of group.paths) {
      try {
        have += (await storage.stat(joinUri(dir, p))).size;
      } catch {
        problems.push(`weight file ${joinUri(dir, p)} (listed in ${uri}) does not exist`);
        have = NaN;
      }
    }
    if (!Number.isNaN(have) && have !== want) {
      problems.push(`model file ${uri}: weightsManifest group ${i} declares ${want} bytes of weights but its files hold ${have} (${group.paths.join(', ')})`);
    }
  }
  return problems;
}
