import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The absolute file a module named in a config (a stage `type`, a preload) is, resolved against the config's directory. */
export function modulePath(type: string, baseDir: string): string {
  return type.startsWith('file:') ? fileURLToPath(type) : path.resolve(baseDir, type);
}
