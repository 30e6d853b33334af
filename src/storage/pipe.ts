/**
 * Reading a named pipe (FIFO) or socket file without tying up a libuv threadpool thread. A plain
 * `open()` of a FIFO blocks until a writer appears, inside the threadpool, where it cannot be
 * cancelled: a model.json that is a FIFO nobody writes would hang the read *and* keep the process
 * from ever exiting (Node joins the threadpool at exit). Opened non-blocking and read through
 * the event loop instead, the read still waits for a writer, but a time limit can abandon it
 * (model.loadTimeoutMs) and the process exits normally.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import type { Readable } from 'node:stream';

/** True when `file` exists and is a FIFO or a socket (not a regular file). */
export async function isPipe(file: string): Promise<boolean> {
  try {
    const st = await fsp.stat(file);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/** `isPipe` for a caller that must answer at once (a missing file is not a pipe). */
export function isPipeSync(file: string): boolean {
  try {
    const st = fs.statSync(file);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/** A readable stream of a FIFO, read through the event loop (see above). */
export function pipeStream(file: string): Readable {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  return new net.Socket({ fd, readable: true, writable: false });
}

/** The whole content of a FIFO, once its writer closes it. */
export function readPipe(file: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pipeStream(file)
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
      .on('error', reject);
  });
}
