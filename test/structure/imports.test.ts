/**
 * The source tree's layering, checked on the TypeScript sources (not the build): no two files
 * under src/ import each other, directly or around a longer cycle (issue 15), and src/core/,
 * the kernel, imports nothing above it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const SRC = path.join(ROOT, 'src');

/** Every .ts file under src/, and the src/ files each one imports (relative imports, `import type` too). */
function importGraph(): Map<string, string[]> {
  const files = fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(SRC, f));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm), ...text.matchAll(/import\('(\.{1,2}\/[^']+)'\)/g)]
      .map((m) => path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')))
      .filter((t) => t.startsWith(SRC + path.sep));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(path.relative(ROOT, w));
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('no two files under src/ import each other (no import cycle)', () => {
  assert.deepEqual(cycles(importGraph()), []);
});

test('src/core/ imports nothing above it', () => {
  const core = path.join(SRC, 'core') + path.sep;
  const above = [...importGraph()].flatMap(([file, targets]) =>
    file.startsWith(core) ? targets.filter((t) => !t.startsWith(core)).map((t) => `${path.relative(ROOT, file)} → ${path.relative(ROOT, t)}`) : [],
  );
  assert.deepEqual(above, []);
});
