#!/usr/bin/env node
/**
 * The `sluice` command line: `run` and `validate` a pipeline config. Every user-caused failure
 * prints one line per problem (a stack trace only with --verbose) and exits 2 (invalid) or 1
 * (the run failed), as CONTRACT.md says.
 */
import { Command, CommanderError } from 'commander';
import { SluiceError, describeError, EXIT } from '../core/errors.js';
import { loadConfig } from '../config/load.js';
import { buildGraph, checkGraph } from '../graph/build.js';
import { createRegistry } from '../graph/registry.js';
import { createStorage } from '../storage/index.js';
import { builtinStages } from '../../stages/index.js';
import { versions } from '../runtime/versions.js';
import { formatSummary } from './summary.js';

interface CommonOptions {
  set: string[];
  verbose?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
let verbose = process.argv.includes('--verbose');

/** Loads, validates and checks a config: everything before the first record is read. */
async function prepare(file: string, opts: CommonOptions) {
  const loaded = loadConfig(file, opts.set);
  const storage = createStorage();
  const graph = buildGraph(loaded, createRegistry(builtinStages), storage);
  await checkGraph(graph);
  return { loaded, graph, storage };
}

async function validateCommand(file: string, opts: CommonOptions): Promise<number> {
  const { graph } = await prepare(file, opts);
  process.stderr.write(`${file}: valid: ${graph.summary}\n`);
  return EXIT.ok;
}

async function runCommand(file: string, opts: CommonOptions & { overwrite?: boolean; json?: boolean }): Promise<number> {
  // Loaded only for `run`, so `validate` and `--help` start fast.
  const { startPool, requestedWorkers } = await import('../runtime/pool.js');
  const early = loadConfig(file, opts.set);
  // Worker threads start loading the model now, while this thread validates, checks and plans.
  const pool = startPool(early, requestedWorkers(early.config));
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(file, opts);
  } catch (err) {
    await pool.destroy();
    throw err;
  }
  try {
    return await runPrepared(prepared, pool, opts);
  } finally {
    // Whatever happened (a conflict found while planning, a failed run), no thread outlives the run.
    await pool.destroy();
  }
}

async function runPrepared(
  { loaded, graph, storage }: Awaited<ReturnType<typeof prepare>>,
  pool: import('../runtime/pool.js').PartitionPool,
  opts: { overwrite?: boolean; json?: boolean },
): Promise<number> {
  const { run } = await import('../runtime/run.js');
  const { createProgress } = await import('../runtime/progress.js');
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
  const summary = await run(loaded, graph, storage, { overwrite: opts.overwrite, signal: interrupt.signal, progress: createProgress(process.stderr), pool });
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
  .action(async (file: string, opts) => {
    process.exitCode = await runCommand(file, opts);
  });

withCommon(program.command('validate'))
  .description("check the config and the features against the model's signature (reads model.json, no weights, no data)")
  .action(async (file: string, opts) => {
    process.exitCode = await validateCommand(file, opts);
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
