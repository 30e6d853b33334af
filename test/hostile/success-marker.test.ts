/**
 * `_SUCCESS` on a failing disk (issue 16, item 14): a write of `_SUCCESS` that fails leaves no
 * `_SUCCESS.*.tmp`, and when the primary output's `_SUCCESS` cannot be written, the errors
 * output's `_SUCCESS` (written first) is taken back: no output claims a run that failed.
 * The failure is real: the primary's `_SUCCESS` name is taken by a directory, so the temporary
 * file is written and its rename fails, as a full disk fails the write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStorage } from '../../src/storage/index.js';
import { OutputCommitter } from '../../src/runtime/commit.js';

test('a _SUCCESS that cannot be written leaves no temporary file and no _SUCCESS in the errors output', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-success-'));
  try {
    const primary = path.join(root, 'predictions');
    const errors = path.join(root, 'errors');
    fs.mkdirSync(path.join(primary, '_SUCCESS', 'taken'), { recursive: true });
    fs.mkdirSync(errors, { recursive: true });
    const committer = new OutputCommitter(createStorage(), [primary, errors], { check: async () => {} });
    await assert.rejects(committer.succeed({ status: 'succeeded' }), /EISDIR|ENOTEMPTY|EEXIST|directory/i);
    assert.deepEqual(fs.readdirSync(errors), [], 'the errors output has no _SUCCESS and no temporary file');
    assert.deepEqual(fs.readdirSync(primary), ['_SUCCESS'], 'no _SUCCESS.*.tmp beside the primary output');
    assert.ok(fs.statSync(path.join(primary, '_SUCCESS')).isDirectory());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
