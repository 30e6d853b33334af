/**
 * Secrets never printed (issue 16, item 11): URL passwords in malformed or wrong-scheme
 * `--coordinator` URLs, `${VAR}`-interpolated endpoints and a bad %-escape in a Redis password
 * (a proper exit 2, not "unexpected error"); object-store credentials echoed in error text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { QUICKSTART_CONFIG } from '../helpers/online.js';
import { sluice } from '../helpers/cli.js';
import { redact } from '../../src/core/redact.js';
import { SluiceError, describeError } from '../../src/core/errors.js';
import { toFailure } from '../../src/core/failure.js';

const SECRET = 's3cr3tPassw0rd';

test('redact masks URL passwords (well-formed or not), access key ids, session tokens and signatures', () => {
  const cases: [string, string][] = [
    [`got "redis://default:${SECRET}@127.0.0.1:6399"`, 'got "redis://default:***@127.0.0.1:6399"'],
    [`redis://:${SECRET}@h:1/0`, 'redis://:***@h:1/0'],
    [`redis//:${SECRET}@x`, 'redis//:***@x'],
    [`redis://:p%zz${SECRET}@h`, 'redis://:***@h'],
    [`redis://:p@ss:${SECRET}@h`, 'redis://:***@h'],
    [`u:${SECRET}@host`, 'u:***@host'],
    ['mail me at someone@example.com:8080', 'mail me at someone@example.com:8080'],
    ['Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261205/us-east-1/s3/aws4_request', 'Authorization: ***'],
    ['x-amz-security-token: FwoGZXIvYXdzEJr//////////wEaDLfakeToken', 'x-amz-security-token: ***'],
    ['?X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F2026&X-Amz-Signature=abcdef', '?X-Amz-Credential=***&X-Amz-Signature=***'],
    ['key id AKIAIOSFODNN7EXAMPLE was refused', 'key id AKIA*** was refused'],
    ['<AWSAccessKeyId>ASIAIOSFODNN7EXAMPLE</AWSAccessKeyId>', '<AWSAccessKeyId>ASIA***</AWSAccessKeyId>'],
  ];
  for (const [input, expected] of cases) assert.equal(redact(input), expected, input);
});

test('SluiceError lines, describeError and Failure messages are redacted where they are made', () => {
  assert.equal(new SluiceError('USAGE', `x got "redis://:${SECRET}@h"`).message, 'x got "redis://:***@h"');
  assert.equal(describeError(new Error(`connect to https://u:${SECRET}@s3.local failed`)), 'connect to https://u:***@s3.local failed');
  const f = toFailure('sink', { source: 's', index: 0, offset: 0 }, new Error(`POST http://a:${SECRET}@h/x: 500`));
  assert.equal(f.error, 'POST http://a:***@h/x: 500');
});

test('the CLI never prints a URL password: malformed, wrong-scheme and %-escaped coordinators, interpolated endpoints (exit 2)', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = sluice(args, { env });
    assert.equal(r.status, 2, r.stderr);
    assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET), r.stderr);
    assert.doesNotMatch(r.stderr, /unexpected error/);
    return r.stderr.split('\n')[0];
  };
  assert.equal(run(['run', QUICKSTART_CONFIG, '--coordinator', `redis://:${SECRET}%zz@127.0.0.1:6399`]), 'sluice: /execution/coordinator: its user name or password holds a malformed %-escape (write % as %25), got "redis://:***@127.0.0.1:6399"');
  assert.equal(run(['run', QUICKSTART_CONFIG, '--coordinator', `http://u:${SECRET}@127.0.0.1:6399`]), 'sluice: /execution/coordinator: must match ^rediss?://, got "http://u:***@127.0.0.1:6399"');
  assert.equal(run(['worker', '--coordinator', `redis//:${SECRET}@x`]), 'sluice: --coordinator: must be a Redis URL (redis://host:6379 or rediss://…), got "redis//:***@x"');
  assert.equal(run(['worker', '--coordinator', `redis://:${SECRET}%zz@127.0.0.1:6399`]), 'sluice: --coordinator: its user name or password holds a malformed %-escape (write % as %25), got "redis://:***@127.0.0.1:6399"');
  assert.equal(
    run(['validate', QUICKSTART_CONFIG, '--set', 'storage.s3.endpoint="${SLUICE_TEST_EP}"'], { SLUICE_TEST_EP: `ftp://default:${SECRET}@127.0.0.1:6399` }),
    'sluice: /storage/s3/endpoint: must match ^https?://, got "ftp://default:***@127.0.0.1:6399"',
  );
});

test('a GCS 500 gives its reasons, not "see the errors array" (issue 16, item 14)', async () => {
  // The SDK's own ApiError (not exported by the package: reached beside its entry point).
  const require = createRequire(import.meta.url);
  const { ApiError } = require(path.join(path.dirname(require.resolve('@google-cloud/storage')), 'nodejs-common/util.js'));
  const { gcsError } = await import('../../src/storage/gcs.js');
  const api = new ApiError({ code: 500, message: 'Internal Server Error', response: { body: 'backend exploded' } });
  assert.match(api.message, /see the `errors` array/);
  const err = gcsError(api, 'gs://b/out/part-00000');
  assert.doesNotMatch(err.message, /errors. array/);
  assert.match(err.message, /HTTP 500: Internal Server Error; backend exploded/);
});
