#!/usr/bin/env node
/**
 * The `sluice` command line: `run` and `validate` a pipeline config, `serve` it over HTTP. Every user-caused failure
 * prints one line per problem (a stack trace only with --verbose) and exits 2 (invalid) or 1
 * (the run failed), as CONTRACT.md says.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SluiceError, describeError, EXIT } from '../core/errors.js';
import { loadConfig } from '../config/load.js';
import { preparePipeline, runPipeline } from '../runtime/pipeline.js';
import { versions } from '../runtime/versions.js';
import { formatSummary } from './summary.js';
import { guardStream } from '../core/redact.js';

// One guard for everything the CLI prints (logs, progress, summaries, errors): no secret leaves (core/redact.ts).
guardStream(process.stdout);
guardStream(process.stderr);

interface CommonOptions {
  set: string[];
  verbose?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const parsePort = (value: string): number => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError(`expected a port number from 0 to 65535, got "${value}"`);
  return port;
};
let verbose = process.argv.includes('--verbose');

/** Loads, validates and checks a config: everything before the first record is read. */
async function prepare(file: string, opts: CommonOptions) {
  return preparePipeline(loadConfig(file, opts.set));
}

async function validateCommand(file: string, opts: CommonOptions): Promise<number> {
  const { graph } = await prepare(file, opts);
  process.stderr.write(`${file}: valid: ${graph.summary}\n`);
  return EXIT.ok;
}

async function runCommand(file: string, opts: CommonOptions & { overwrite?: boolean; json?: boolean; coordinator?: string }): Promise<number> {
  // Distributed runs (src/distributed/): --coordinator is execution.coordinator; no threads here.
  if (opts.coordinator !== undefined) opts.set = [...opts.set, `execution.coordinator=${JSON.stringify(opts.coordinator)}`];
  if (typeof (loadConfig(file, opts.set).config.execution as { coordinator?: unknown } | undefined)?.coordinator === 'string') {
    const { runDistributedCommand } = await import('../distributed/cli.js');
    return runDistributedCommand(await prepare(file, opts), opts);
  }
  // Loaded only for `run`, so `validate` and `--help` start fast.
  const { createProgress } = await import('../runtime/progress.js');
  const loaded = loadConfig(file, opts.set);
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) {
      process.stderr.write(`sluice: ${sig} again: exiting now; run the same command again to resume\n`);
      process.exit(EXIT.runFailed);
    }
    process.stderr.write(`sluice: ${sig}: stopping (committed partitions are kept; press Ctrl-C again to exit at once)\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The same function the library's `run` calls: worker threads start loading the model at once.
  const summary = await runPipeline(loaded, { overwrite: opts.overwrite, signal: interrupt.signal, progress: createProgress(process.stderr) });
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stderr.write(formatSummary(summary));
  return EXIT.ok;
}

function report(err: unknown): number {
  if (err instanceof SluiceError) {
    for (const line of err.lines) process.stderr.write(`${line}\n`);
    if (err.exitCode === EXIT.invalid && err.code === 'CONFIG_INVALID') {
      process.stderr.write(`sluice: ${err.lines.length} problem${err.lines.length === 1 ? '' : 's'} in the config; nothing was run\n`);
    }
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    if (verbose && err.cause instanceof Error && err.cause.stack) process.stderr.write(`caused by: ${err.cause.stack}\n`);
    return err.exitCode;
  }
  process.stderr.write(`sluice: unexpected error: ${describeError(err)}${verbose ? '' : ' (--verbose shows the stack trace)'}\n`);
  if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return EXIT.runFailed;
}

const program = new Command()
  .name('sluice')
  .description('Batch prediction with TensorFlow.js models: every record in, one keyed prediction (or error row) out.')
  .version(versions().sluice)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const withCommon = (cmd: Command) =>
  cmd
    .argument('<pipeline.json>', 'the pipeline config (relative URIs in it resolve against its directory)')
    .option('--set <path=value>', 'override one config value, e.g. --set model.batchSize=64 (repeatable)', collect, [])
    .option('--verbose', 'show stack traces with errors');

withCommon(program.command('run'))
  .description('run the pipeline: predict every input record, resuming a partial output of the same run')
  .option('--overwrite', 'replace an existing output instead of resuming it')
  .option('--json', 'print the run summary as one JSON object on stdout')
  .option('--coordinator <url>', 'run distributed: queue the partitions on this Redis (redis://host:6379) for `sluice worker` processes (= execution.coordinator)')
  .action(async (file: string, opts) => {
    process.exitCode = await runCommand(file, opts);
  });

// Distributed runs (src/distributed/): a worker process that pulls partitions from the queue.
program
  .command('worker')
  .description('join a distributed run: pull partitions from the queue on Redis, run them on worker threads, commit them; leave on SIGTERM')
  .requiredOption('--coordinator <url>', 'the Redis URL the coordinator (`sluice run --coordinator`) queues partitions on')
  .option('--threads <n>', 'worker threads, each loading the model once (default: CPU cores)')
  .option('--lock-duration <seconds>', "lock on a partition, renewed while it runs: a worker silent this long is presumed dead and its partition redelivered", '30')
  .option('--stalled-interval <seconds>', 'how often to look for partitions whose worker died', '15')
  .option('--max-stalled <n>', 'redeliveries of one partition before it fails the run', '3')
  .option('--redis-timeout <seconds>', 'exit 1 when Redis has been unreachable this long', '30')
  .option('--idle-exit <seconds>', 'leave (exit 0) after this long without a partition (default: stay until SIGTERM)')
  .option('--verbose', 'show stack traces with errors')
  .action(async (opts) => {
    const { workerCommand } = await import('../distributed/cli.js');
    process.exitCode = await workerCommand(opts);
  });

withCommon(program.command('validate'))
  .description("check the config and the features against the model's signature (reads model.json, no weights, no data)")
  .action(async (file: string, opts) => {
    process.exitCode = await validateCommand(file, opts);
  });

withCommon(program.command('serve'))
  .description('serve online predictions over HTTP with the same pipeline: POST /v1/predict, GET /healthz, /readyz, /metrics')
  .option('--port <n>', 'port to listen on (0: any free port, printed at start)', parsePort, 8080)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .action(async (file: string, opts) => {
    const { serveCommand } = await import('./serve.js');
    process.exitCode = await serveCommand(file, opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors (already printed by commander) exit 2.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  } else {
    verbose ||= process.argv.includes('--verbose');
    process.exitCode = report(err);
  }
}
// Everything is reported. A read that never completes (a FIFO as model.json, a hung network
// mount: see model.loadTimeoutMs) would keep the event loop, and so the process, alive: leave
// anyway. Unreferenced, so a normal exit does not wait for it.
setTimeout(() => process.exit(), 1000).unref();
