/**
 * `sluice serve <pipeline.json>`: online predictions over HTTP with the pipeline's own stages,
 * until SIGINT/SIGTERM, which drains in-flight requests first (exit 0; 1 when the drain timed out).
 */
import { EXIT } from '../core/errors.js';
import { startServer } from '../serve/server.js';

export interface ServeCommandOptions {
  set: string[];
  port: number;
  host: string;
}

const log = (line: string) => void process.stderr.write(`sluice: ${line}\n`);

export async function serveCommand(file: string, opts: ServeCommandOptions): Promise<number> {
  const started = performance.now();
  const server = await startServer(file, { set: opts.set, port: opts.port, host: opts.host });
  const s = server.settings;
  log(`serving ${server.graph.name} on ${server.url} (POST /v1/predict, GET /healthz /readyz /metrics); loading the model…`);

  let signals = 0;
  let stopping: Promise<boolean> | undefined;
  const stopped = new Promise<boolean>((resolve) => {
    const onSignal = (sig: string) => {
      if (++signals > 1) {
        log(`${sig} again: exiting now`);
        process.exit(EXIT.runFailed);
      }
      log(`${sig}: draining in-flight requests (up to ${s.drainTimeoutMs} ms; again to exit at once)`);
      stopping = server.close();
      stopping.then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    await server.ready;
  } catch (err) {
    await server.close();
    throw err;
  }
  if (!stopping) {
    log(
      `ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${server.graph.summary}; ` +
        `workers ${s.workers}${s.workersNote ? ` (${s.workersNote})` : ''}, maxBatchSize ${s.maxBatchSize}, batchTimeoutMs ${s.batchTimeoutMs}, maxQueue ${s.maxQueue}`,
    );
  }
  const clean = await stopped;
  const cut = server.cutRequests ? `; ${server.cutRequests} connection(s) that had not sent a whole request were closed` : '';
  log(clean ? `stopped: every request received was answered${cut}` : `stopped: requests still in flight after ${s.drainTimeoutMs} ms were cut${cut}`);
  return clean ? EXIT.ok : EXIT.runFailed;
}
