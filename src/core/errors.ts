import { redact } from './redact.js';

/**
 * One table of error codes for everything a user can cause before or around a run
 * (fastify's `lib/errors.js` pattern). Each entry says what was expected and what was found;
 * record-level problems are not here: they become Failure rows (see `core/failure.ts`).
 */

/** Exit codes of the CLI, as CONTRACT.md fixes them. */
export const EXIT = { ok: 0, runFailed: 1, invalid: 2 } as const;

/**
 * An error the user can act on. `exitCode` 2 for config/usage/missing input, 1 for a run that
 * failed. `lines` holds one line per problem (config validation reports all problems at once).
 *
 * @example
 * throw new SluiceError('CONFIG_INVALID', ['/model/batchSize: must be an integer >= 1, got "256"']);
 */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly lines: string[];

  constructor(code: ErrorCode, lines: string | string[], options?: { cause?: unknown }) {
    // Every user-facing error line is redacted here, whoever wrote it (core/redact.ts).
    const list = (Array.isArray(lines) ? lines : [lines]).map(redact);
    super(list.join('\n'), options);
    this.name = 'SluiceError';
    this.code = code;
    this.lines = list;
    this.exitCode = ERROR_CODES[code];
  }
}

/** Every code with its exit status. */
export const ERROR_CODES = {
  /** The config failed schema validation or graph checks. */
  CONFIG_INVALID: EXIT.invalid,
  /** The config file cannot be read or is not JSON. */
  CONFIG_UNREADABLE: EXIT.invalid,
  /** A command-line argument is wrong (e.g. a malformed `--set`). */
  USAGE: EXIT.invalid,
  /** The source URI matches no file. */
  INPUT_MISSING: EXIT.invalid,
  /** The model URI does not exist or its JSON is not a TensorFlow.js model. */
  MODEL_INVALID: EXIT.invalid,
  /** The decode features do not fit the model's inputs. */
  SIGNATURE_MISMATCH: EXIT.invalid,
  /** The output directory holds a run of another plan or config. */
  OUTPUT_CONFLICT: EXIT.invalid,
  /** Another live run holds the output's lease (src/runtime/lease.ts). */
  OUTPUT_BUSY: EXIT.invalid,
  /** This run's lease on its output was taken over while it ran: it commits nothing more. */
  LEASE_LOST: EXIT.runFailed,
  /** The error budget was exceeded. */
  ERROR_BUDGET: EXIT.runFailed,
  /** No record at all was predicted. */
  NOTHING_SUCCEEDED: EXIT.runFailed,
  /** Storage failed after retries, a worker died, or a partition failed for good. */
  RUN_FAILED: EXIT.runFailed,
  /** A bucket named by a URI does not exist (an input, model or output that cannot be there). */
  STORAGE_MISSING: EXIT.invalid,
  /** Storage cannot be reached or refused a request after the client's retries. */
  STORAGE_FAILED: EXIT.runFailed,
  /** SIGINT/SIGTERM stopped the run. */
  INTERRUPTED: EXIT.runFailed,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A short description of any thrown value, for one-line messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return redact(err.message.split('\n')[0] || err.name);
  return redact(String(err));
}

const IO_HINTS: Record<string, string> = {
  ENOTDIR: 'a parent of that path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
};

/**
 * `describeError` for a storage error, with what its errno code means for the user.
 *
 * @example
 * describeIoError(enotdir) // "ENOTDIR: not a directory, mkdir 'out/x/_manifest' (a parent of that path is a file, not a directory)"
 */
export function describeIoError(err: unknown): string {
  // An error from a worker thread arrives without its `code`, but its message starts with it.
  const code = (err as { code?: unknown } | null)?.code ?? /^(E[A-Z]+)\b/.exec(describeError(err))?.[1];
  const hint = typeof code === 'string' ? IO_HINTS[code] : undefined;
  const text = describeError(err);
  // Node's own EACCES message already says "permission denied": not twice.
  return hint && !text.includes(hint) ? `${text} (${hint})` : text;
}

/** JSON text of a value cut to `max` characters, for "got …" parts of messages. */
export function shown(value: unknown, max = 60): string {
  let text: string;
  try {
    // A number JSON cannot hold (1e400 parses to Infinity) would stringify as "null": say what it is.
    text = typeof value === 'number' && !Number.isFinite(value) ? `${value} (beyond float64)` : typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
