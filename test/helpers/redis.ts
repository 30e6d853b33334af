/**
 * A real Redis for tests: each caller starts its own `redis-server` on 127.0.0.1 on a free port,
 * with persistence off, and stops it after. Where redis-server is not installed (a user's
 * machine; CI installs it in .ci/run) the tests that need it skip with a one-line reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** `skip` for tests that need Redis: a one-line reason when redis-server is not installed. */
export const needsRedis: string | false =
  spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0 ? false : 'needs redis-server (apt-get install redis-server; .ci/run installs it)';

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One running redis-server of a test. */
export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts `redis-server --port N --save '' --appendonly no` on 127.0.0.1 and waits until it accepts connections. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server on port ${p} did not start within 10 s: ${output.slice(-500)}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/ready to accept connections/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${p} exited with ${code}: ${output.slice(-500)}`));
    });
  });
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    },
  };
}
