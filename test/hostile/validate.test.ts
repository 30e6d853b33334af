/** Found by `validate`, not by a failed run (issue 16, item 14): a sink at the root of the file system. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUICKSTART_CONFIG } from '../helpers/online.js';
import { sluice } from '../helpers/cli.js';

test('sink "/" (or errors "/") is a config error from validate, exit 2', () => {
  for (const slot of ['sink', 'errors']) {
    const r = sluice(['validate', QUICKSTART_CONFIG, '--set', `${slot}.uri=/`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^/${slot}(/0)?/uri: writes to /, the root of the file system; give the sink a directory of its own$`, 'm'));
  }
});
