#!/usr/bin/env node
/**
 * The `sluice` command line: `run` and `validate` a pipeline config, `serve` it over HTTP. Every user-caused failure
 * prints one line per problem (a stack trace only with --verbose) and exits 2 (invalid) or 1
 * (the run failed), as CONTRACT.md says.
 */
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SluiceError, describeError, EXIT } from '../core/errors.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { preparePipeline, runPipeline } from '../runtime/pipeline.js';
import type { ProgressStart } from '../runtime/progress.js';
import { versions } from '../runtime/versions.js';
import { joinUri, storageFor, type Storage } from '../storage/index.js';
import { STATUS_FILE, clearStatus, errorBody, formatStopped, jsonOutcome, stoppedRun } from './outcome.js';
import { paint, prefixed, stderrColor } from './style.js';
import { formatSummary } from './summary.js';
import { guardStream } from '../core/redact.js';

// One guard for everything the CLI prints (logs, progress, summaries, errors): no secret leaves (core/redact.ts).
guardStream(process.stdout);
guardStream(process.stderr);

interface CommonOptions {
  set: string[];
  verbose?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const parsePort = (value: string): number => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError(`expected a port number from 0 to 65535, got "${value}"`);
  return port;
};
let verbose = process.argv.includes('--verbose');
const jsonMode = () => process.argv.includes('--json');
const say = (line: string) => void process.stderr.write(`sluice: ${line}\n`);

/** Loads, validates and checks a config: everything before the first record is read. */
async function prepare(file: string, opts: CommonOptions) {
  return preparePipeline(loadConfig(file, opts.set));
}

async function validateCommand(file: string, opts: CommonOptions): Promise<number> {
  const { graph } = await prepare(file, opts);
  if (!opts.quiet) say(`${file}: valid: ${graph.summary}`);
  const { outputDirs } = await import('../graph/build.js');
  if (opts.json) process.stdout.write(jsonOutcome('valid', { name: graph.name, chain: graph.summary, outputs: outputDirs(graph) }));
  return EXIT.ok;
}

type RunOptions = CommonOptions & { overwrite?: boolean; coordinator?: string };

/** `sluice run …` as typed, with `--overwrite`: the command that replaces a failed output. */
function overwriteCommand(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['sluice', ...args, ...(args.includes('--overwrite') ? [] : ['--overwrite'])].join(' ');
}

async function runCommand(file: string, opts: RunOptions): Promise<number> {
  // Distributed runs (src/distributed/): --coordinator is execution.coordinator; no threads here.
  if (opts.coordinator !== undefined) opts.set = [...opts.set, `execution.coordinator=${JSON.stringify(opts.coordinator)}`];
  if (typeof (loadConfig(file, opts.set).config.execution as { coordinator?: unknown } | undefined)?.coordinator === 'string') {
    const { runDistributedCommand } = await import('../distributed/cli.js');
    return runDistributedCommand(await prepare(file, opts), opts);
  }
  // Loaded only for `run`, so `validate` and `--help` start fast.
  const { createProgress } = await import('./progress.js');
  const loaded = loadConfig(file, opts.set);
  const storage = storageFor(loaded.config);
  const interrupt = new AbortController();
  const progress = createProgress(process.stderr, { quiet: opts.quiet });
  let started: ProgressStart | undefined;
  const watched = { ...progress, start: (info: ProgressStart) => progress.start((started = info)) };
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) {
      process.stderr.write(`sluice: ${sig} again: exiting now; run the same command again to resume\n`);
      if (opts.json) process.stdout.write(jsonOutcome('interrupted', { code: 'INTERRUPTED', reason: `${sig} twice: exited at once`, counts: progress.last() ?? null }));
      process.exit(EXIT.runFailed);
    }
    // Nothing is drawn below this line any more (the bar stops here).
    progress.interrupt(`sluice: ${sig}: stopping (committed partitions are kept; press Ctrl-C again to exit at once)`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // The same function the library's `run` calls: worker threads start loading the model at once.
    const summary = await runPipeline(loaded, { overwrite: opts.overwrite, signal: interrupt.signal, progress: watched });
    await clearStatus(summary, storage);
    if (opts.json) process.stdout.write(jsonOutcome('succeeded', summary as unknown as Record<string, unknown>));
    if (!opts.json && !opts.quiet) process.stderr.write(formatSummary(summary));
    return EXIT.ok;
  } catch (err) {
    // A run that started and stopped (exit 1): say why, by kind with samples, and leave _STATUS.json.
    if (err instanceof SluiceError && err.exitCode === EXIT.runFailed && started) {
      const stopped = await stoppedRun(err, progress, started, storage, overwriteCommand());
      process.stderr.write(formatStopped(stopped, paint(stderrColor())));
      if (opts.json) process.stdout.write(jsonOutcome(stopped.status, stopped as unknown as Record<string, unknown>));
      if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    if (err instanceof SluiceError && err.code === 'OUTPUT_CONFLICT') throw await explainConflict(err, loaded, storage);
    throw err;
  }
}

/**
 * An output refused as another run's: when that run failed by its error budget (its
 * `_STATUS.json` says so), nothing of it is a result, so say so and give the exact command that
 * replaces it.
 */
async function explainConflict(err: SluiceError, loaded: LoadedConfig, storage: Storage): Promise<SluiceError> {
  try {
    const { graph } = await preparePipeline(loaded, storage);
    const { outputDirs } = await import('../graph/build.js');
    for (const dir of outputDirs(graph)) {
      const text = await storage.readAll(joinUri(dir, STATUS_FILE)).catch(() => undefined);
      if (!text) continue;
      const status = JSON.parse(Buffer.from(text).toString('utf8')) as { status?: string; reason?: string; code?: string; time?: string };
      if (status.status !== 'failed' || (status.code !== 'ERROR_BUDGET' && status.code !== 'NOTHING_SUCCEEDED')) continue;
      return new SluiceError('OUTPUT_CONFLICT', [
        ...err.lines,
        `sluice: ${dir} holds a run that failed (${status.reason ?? status.code}) at ${status.time ?? '?'}; none of it is a result: replace it with: ${overwriteCommand()}`,
      ]);
    }
  } catch {
    // The plain conflict message is right already.
  }
  return err;
}

/** Lines of a config that failed: one per problem, then what it amounts to. */
function problemLines(err: SluiceError): string[] {
  if (err.exitCode !== EXIT.invalid || err.code !== 'CONFIG_INVALID') return err.lines;
  // A file the config names that cannot be read (weights without permission) is not a mistake in the config.
  const io = err.lines.filter((l) => /\b(EACCES|EPERM|EISDIR|ELOOP|EIO)\b|permission denied/.test(l));
  if (io.length === err.lines.length) {
    return [...err.lines, `sluice: cannot read ${io.length === 1 ? 'a file' : `${io.length} files`} the config names (see above); nothing was run`];
  }
  return [...err.lines, `sluice: ${err.lines.length} problem${err.lines.length === 1 ? '' : 's'} in the config; nothing was run`];
}

function report(err: unknown): number {
  if (jsonMode()) process.stdout.write(jsonOutcome(err instanceof SluiceError && err.code === 'INTERRUPTED' ? 'interrupted' : err instanceof SluiceError && err.exitCode === EXIT.invalid ? 'invalid' : 'failed', errorBody(err)));
  if (err instanceof SluiceError) {
    for (const line of problemLines(err)) process.stderr.write(`${prefixed(line)}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    if (verbose && err.cause instanceof Error && err.cause.stack) process.stderr.write(`caused by: ${err.cause.stack}\n`);
    return err.exitCode;
  }
  process.stderr.write(`sluice: unexpected error: ${describeError(err)}${verbose ? '' : ' (--verbose shows the stack trace)'}\n`);
  if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return EXIT.runFailed;
}

/** Commander's "error: unknown command 'rnu'\n(Did you mean run?)" as one problem line. */
const usageProblem = (message: string) => message.trim().replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)$/, '; did you mean "$1"?');

const program = new Command()
  .name('sluice')
  .description('Batch prediction with TensorFlow.js models: every record in, one keyed prediction (or error row) out.')
  .version(versions().sluice)
  .exitOverride()
  // One prefix for every message: commander's own "error: …" lines become "sluice: …", its
  // "(Did you mean run?)" line joins them as our suggestions read; help shown for a usage error
  // stays as it is.
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `${prefixed(usageProblem(s))}\n` : s) })
  .addHelpText(
    'after',
    `
Examples:
  $ sluice init data/rows.csv model/model.json        write a starting pipeline.json for your data and model
  $ sluice validate pipeline.json                     check config, features and model signature (no data read)
  $ sluice run pipeline.json                          predict every record (resumes a partial output)
  $ sluice run pipeline.json --set model.batchSize=64 --set sink.uri=out/2026-11-24
  $ sluice run pipeline.json --json > result.json     one JSON object on stdout: {"status": …}
  $ sluice run pipeline.json --overwrite              replace an output instead of resuming it

Exit codes:
  0  done (or valid)
  1  the run failed: error budget exceeded, no record predicted, storage failure, interrupted
     (the output keeps what was committed, with _STATUS.json saying why)
  2  invalid config, command line, missing input or model, or an output of another run

Docs: README.md and docs/ (docs/cli.md: commands, --json, progress, failures).
`,
  );

const withCommon = (cmd: Command) =>
  cmd
    .argument('<pipeline.json>', 'the pipeline config (relative URIs in it resolve against its directory)')
    .option('--set <path=value>', 'override one config value, e.g. --set model.batchSize=64 (repeatable)', collect, [])
    .option('--verbose', 'show stack traces with errors')
    .option('--quiet', 'print only problems: no progress, no summary');

withCommon(program.command('run'))
  .description('run the pipeline: predict every input record, resuming a partial output of the same run')
  .option('--overwrite', 'replace an existing output instead of resuming it')
  .option('--json', 'print one JSON object on stdout whatever happens: {"status": "succeeded"|"failed"|"invalid"|"interrupted", …}')
  .option('--coordinator <url>', 'run distributed: queue the partitions on this Redis (redis://host:6379) for `sluice worker` processes (= execution.coordinator)')
  .action(async (file: string, opts) => {
    process.exitCode = await runCommand(file, opts);
  });

// Distributed runs (src/distributed/): a worker process that pulls partitions from the queue.
program
  .command('worker')
  .description('join a distributed run: pull partitions from the queue on Redis, run them on worker threads, commit them; leave on SIGTERM')
  .requiredOption('--coordinator <url>', 'the Redis URL the coordinator (`sluice run --coordinator`) queues partitions on')
  .option('--threads <n>', 'worker threads, each loading the model once (default: CPU cores; on tensorflow one fewer, at least 1, beside the model host thread: docs/native.md)')
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

program
  .command('init')
  .description("write a starting pipeline.json for your data and model: features from the model's signature and a sample of the data; then validates it")
  .argument('<data-file>', 'a .jsonl or .csv file of your records')
  .argument('<model>', "your TensorFlow.js model's JSON (model.json)")
  .option('-o, --output <file>', 'where to write the config', 'pipeline.json')
  .option('--force', 'replace an existing file')
  .option('--verbose', 'show stack traces with errors')
  .action(async (data: string, model: string, opts: { output: string; force?: boolean }) => {
    const { writeStarterConfig } = await import('./init.js');
    const { file, notes } = writeStarterConfig(data, model, opts);
    say(`wrote ${path.relative(process.cwd(), file) || file}`);
    for (const note of notes) process.stderr.write(`  ${note}\n`);
    const { graph } = await prepare(file, { set: [] });
    say(`${path.relative(process.cwd(), file)}: valid: ${graph.summary}`);
    say(`next: sluice run ${path.relative(process.cwd(), file)}`);
    process.exitCode = EXIT.ok;
  });

withCommon(program.command('validate'))
  .description("check the config and the features against the model's signature (reads model.json, no weights, no data)")
  .option('--json', 'print one JSON object on stdout: {"status": "valid"|"invalid", …}')
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
    if (process.exitCode === EXIT.invalid && jsonMode()) process.stdout.write(jsonOutcome('invalid', { code: 'USAGE', problems: [usageProblem(err.message)] }));
  } else {
    verbose ||= process.argv.includes('--verbose');
    process.exitCode = report(err);
  }
}
// Everything is reported. A read that never completes (a FIFO as model.json, a hung network
// mount: see model.loadTimeoutMs) would keep the event loop, and so the process, alive: leave
// anyway. Unreferenced, so a normal exit does not wait for it.
setTimeout(() => process.exit(), 1000).unref();
