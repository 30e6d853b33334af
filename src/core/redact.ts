/**
 * The one redaction every message, log line, summary and error row passes through (issue 16,
 * CONTRACT "No secret ever reaches a message"): a password inside any URL — well-formed or not,
 * of any scheme — and the credentials object stores echo in request headers. It works on text,
 * so it guards messages written by any code (ours, a library's, an SDK's) at the points where
 * text leaves the process: SluiceError lines, describeError, Failure messages, the CLI's
 * stdout/stderr, `_SUCCESS`.
 */

const MASK = '***';

/** Values of these environment variables are masked wherever they appear verbatim (when at least 8 characters long). */
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'REDIS_PASSWORD', 'GOOGLE_APPLICATION_CREDENTIALS_JSON'];

/** Header and query parameters whose values are credentials (AWS SigV4, GCS, HTTP auth). */
const CREDENTIAL_FIELDS = /((?:x-amz-security-token|x-amz-credential|x-amz-signature|authorization|proxy-authorization|x-goog-signature|x-goog-credential|access_token|aws_access_key_id|aws_secret_access_key|aws_session_token)["']?\s*[:=]\s*["']?)([^"'\s,;&}]+(?: [^"'\s,;&}]+)?)/gi;

/** AWS access key ids (long-term AKIA…, temporary ASIA…). */
const ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** Tokens that may hold a URL's user-info: delimited by whitespace and quotes. */
const TOKEN = /[^\s"'`]+/g;

/**
 * Masks the password of a URL-like token: the text between the first `:` of its user-info and
 * its last `@`. Works on malformed URLs too (`redis//:pw@host`, a bad %-escape), which a URL
 * parser would reject before masking anything.
 */
function maskUserInfo(token: string): string {
  const at = token.lastIndexOf('@');
  if (at < 0) return token;
  const slashes = token.indexOf('//');
  const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
  const colon = token.indexOf(':', start);
  if (colon < 0 || colon > at || colon === at - 1) return token;
  return `${token.slice(0, colon + 1)}${MASK}${token.slice(at)}`;
}

/**
 * `text` with every credential masked.
 *
 * @example
 * redact('got "redis://default:s3cret@127.0.0.1:6399"') // 'got "redis://default:***@127.0.0.1:6399"'
 * redact('x-amz-security-token: FwoGZXIvYXdzEJr') // 'x-amz-security-token: ***'
 */
export function redact(text: string): string {
  let out = text.includes('@') ? text.replace(TOKEN, maskUserInfo) : text;
  out = out.replace(CREDENTIAL_FIELDS, (_, name: string) => `${name}${MASK}`).replace(ACCESS_KEY_ID, (_, prefix: string) => `${prefix}${MASK}`);
  for (const name of SECRET_ENV) {
    const value = process.env[name];
    if (value && value.length >= 8 && out.includes(value)) out = out.split(value).join(MASK);
  }
  return out;
}

/**
 * Makes every write to `stream` (the CLI's stdout and stderr) go through `redact`: one guard
 * for every log line, progress line and summary, whoever prints it.
 *
 * @example
 * guardStream(process.stderr);
 */
export function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redact(chunk) : chunk instanceof Uint8Array ? redactBytes(chunk) : chunk, ...rest)) as typeof stream.write;
}

/** Bytes as redacted text when they are whole UTF-8 (lines piped from worker threads), else as they are. */
function redactBytes(chunk: Uint8Array): Uint8Array | string {
  const text = Buffer.from(chunk).toString('utf8');
  return Buffer.byteLength(text) === chunk.byteLength && !text.includes('\uFFFD') ? redact(text) : chunk;
}
