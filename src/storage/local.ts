import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { FileInfo, StorageBackend } from './types.js';
import { isPipe, isPipeSync, pipeStream, readPipe } from './pipe.js';

/** A local path from a plain path or a `file://` URI. */
export function localPath(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : uri;
}

function hidden(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

async function info(file: string): Promise<FileInfo> {
  const st = await fsp.stat(file);
  return { uri: file, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
}

/** Local files: plain paths and `file://` URIs. Commits are `rename(2)`, atomic on one filesystem. */
export const localStorage: StorageBackend = {
  schemes: ['file', ''],

  async list(pattern) {
    const p = localPath(pattern);
    if (isDynamicPattern(p)) {
      const files = await glob(p, { absolute: true, onlyFiles: true, dot: false, expandDirectories: false });
      const infos = await Promise.all(files.filter((f) => !hidden(path.basename(f))).map(info));
      return infos.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    }
    let st: fs.Stats;
    try {
      st = await fsp.stat(p);
    } catch {
      return [];
    }
    if (st.isFile()) return [{ uri: p, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) }];
    const names = (await fsp.readdir(p, { withFileTypes: true }))
      .filter((d) => d.isFile() && !hidden(d.name))
      .map((d) => path.join(p, d.name))
      .sort();
    return Promise.all(names.map(info));
  },

  stat: (uri) => info(localPath(uri)),

  async exists(uri) {
    try {
      await fsp.access(localPath(uri));
      return true;
    } catch {
      return false;
    }
  },

  read(uri, range) {
    // end is exclusive here, inclusive for fs; an empty range reads nothing. 64 KiB reads: with
    // 256 KiB ones, dead read buffers piled up between collections (+20 MB RSS at 1M rows).
    if (range && range.end <= range.start) return Readable.from([]);
    if (!range && isPipeSync(localPath(uri))) return pipeStream(localPath(uri));
    return fs.createReadStream(localPath(uri), range ? { start: range.start, end: range.end - 1, highWaterMark: 64 * 1024 } : { highWaterMark: 64 * 1024 });
  },

  async readAll(uri) {
    const file = localPath(uri);
    // A FIFO is read through the event loop, so a time limit can abandon it (see pipe.ts).
    if (await isPipe(file)) return readPipe(file);
    // The whole file in one read where it can: fsp.readFile reads 512 KiB at a time, one
    // thread-pool round trip each (a 17 MB model's weights: ~140 ms of a loaded worker's start).
    const handle = await fsp.open(file, 'r');
    try {
      const out = new Uint8Array((await handle.stat()).size);
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await handle.read(out, at, out.length - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return at === out.length ? out : out.subarray(0, at);
    } finally {
      await handle.close();
    }
  },

  createWriteStream(uri) {
    const file = localPath(uri);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A large buffer lets the disk write of one chunk overlap the compute of the next.
    return fs.createWriteStream(file, { highWaterMark: 1 << 20 });
  },

  async writeAtomic(uri, data) {
    const file = localPath(uri);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await fsp.writeFile(tmp, data);
      await fsp.rename(tmp, file);
    } catch (err) {
      // A full disk (or a failed rename) must not leave `_SUCCESS.*.tmp` behind.
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  },

  async createExclusive(uri, data) {
    const file = localPath(uri);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    // Written whole first, then linked: a reader never sees a half-written object, and link(2)
    // fails with EEXIST when the name exists, atomically (O_EXCL would expose a partial file).
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await fsp.writeFile(tmp, data);
      await fsp.link(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  },

  // A staged output is a file under `_temporary/`; its commit is rename(2), atomic on one filesystem.
  stage(staging) {
    return localStorage.createWriteStream(staging);
  },

  async commitStaged(staging, final) {
    const dest = localPath(final);
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.rename(localPath(staging), dest);
  },

  async abortStaged(staging) {
    await fsp.rm(localPath(staging), { force: true });
  },

  async remove(uri, options) {
    await fsp.rm(localPath(uri), { recursive: options?.recursive ?? false, force: true });
  },

  async children(uri) {
    try {
      return (await fsp.readdir(localPath(uri))).sort();
    } catch {
      return [];
    }
  },
};
