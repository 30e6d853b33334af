// The Python reference environment (scripts/python-ref.sh): TensorFlow, scikit-learn, pyarrow.
// Tests compare Sluice against it; where it is absent they skip with a one-line reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

/** The interpreter: $SLUICE_PYTHON, else the project's .python-ref venv. */
export const PYTHON = process.env.SLUICE_PYTHON || path.join(ROOT, '.python-ref/bin/python');

const checked = new Map<string, string | false>();

/**
 * `skip` for a test that needs these Python modules: false when they import, else a one-line
 * reason (e.g. `needsPython('sklearn', 'numpy')`).
 */
export function needsPython(...modules: string[]): string | false {
  const wanted = modules.join(',');
  if (!checked.has(wanted)) {
    if (!fs.existsSync(PYTHON)) checked.set(wanted, `needs the Python reference environment (run scripts/python-ref.sh; ${PYTHON} is absent)`);
    else {
      const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], { encoding: 'utf8' });
      checked.set(wanted, r.status === 0 ? false : `needs Python modules ${wanted} (not importable from ${PYTHON})`);
    }
  }
  return checked.get(wanted)!;
}

/** Runs a Python script (text) with arguments; throws with its stderr when it fails. */
export function runPython(script: string, args: string[] = [], input?: string): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 30, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}
