// The quick build that `npm ci` (prepare) and `npm run quickstart` use. It compiles everything
// but the tests and benchmarks (src/, stages/, examples/, scripts/) file by file with
// TypeScript's transpileModule: the same compiler and options as `npm run build`, without the
// type check that is most of tsc's time (the AWS, GCS and TensorFlow declarations alone are
// ~180k lines), so a fresh clone's first run starts in seconds. Only files whose output is
// missing or older than the source are compiled: a second call costs about a second.
// `npm run build` (what `npm test` and `npm pack` run) still type-checks everything and emits
// the declarations; the code is isolatedModules-clean, so each file's output is byte for byte
// the one tsc emits (test/structure/quick-build.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const outFlag = process.argv.indexOf('--out');

// Nothing to do (the usual second call): said without loading TypeScript, ~1 s of CPU by itself.
if (outFlag < 0 && upToDate()) process.exit(0);

const { default: ts } = await import('typescript');
const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
// The tests and benchmarks only ever run after `npm run build`.
const skipped = ['test', 'bench'].map((d) => path.join(root, d) + path.sep);
const sources = config.fileNames.filter((f) => !skipped.some((d) => path.normalize(f).startsWith(d)) && !f.endsWith('.d.ts'));
const { rootDir } = config.options;
// `--out <dir>`: the same files written elsewhere than tsconfig's outDir (the test compares the two builds).
const outDir = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : config.options.outDir;

let compiled = 0;
for (const source of sources) {
  const cjs = source.endsWith('.cts');
  const name = path.relative(rootDir, source).replace(/\.c?ts$/, cjs ? '.cjs' : '.js');
  const out = path.join(outDir, name);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(source).mtimeMs) continue;
  const relSource = path.relative(path.dirname(path.join(config.options.outDir, name)), source).split(path.sep).join('/');
  const result = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    fileName: source,
    reportDiagnostics: true,
    // transpileModule cannot read package.json ("type": "module"), so under NodeNext a .ts file
    // would come out as CommonJS: ESM is said explicitly (a .cts file is CommonJS by its name).
    compilerOptions: { ...config.options, ...(cjs ? {} : { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }), declaration: false, incremental: false, tsBuildInfoFile: undefined },
  });
  const errors = result.diagnostics ?? [];
  if (errors.length > 0) {
    for (const d of errors) console.error(`sluice: ${path.relative(root, source)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // tsc names the source relative to the map; transpileModule only knows the file's base name.
  const map = JSON.parse(result.sourceMapText);
  map.sources = [relSource];
  fs.writeFileSync(out + '.map', JSON.stringify(map));
  fs.writeFileSync(out, result.outputText);
  compiled++;
}
// The precompiled validator and the CLI's mode bit (post-build.mjs), when anything changed.
if (outFlag < 0 && (compiled > 0 || !fs.existsSync(path.join(outDir, 'src/config/pipeline-validator.cjs')))) {
  await import('./post-build.mjs');
}

/** Every .ts/.cts file of the compiled folders has an output in dist/ at least as new as itself. */
function upToDate() {
  const dist = path.join(root, 'dist');
  if (!fs.existsSync(path.join(dist, 'src/config/pipeline-validator.cjs'))) return false;
  for (const dir of ['src', 'stages', 'examples', 'scripts']) {
    for (const f of fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!/\.c?ts$/.test(f) || f.endsWith('.d.ts') || f.split(path.sep).includes('node_modules')) continue;
      const out = path.join(dist, dir, f.replace(/\.ts$/, '.js').replace(/\.cts$/, '.cjs'));
      if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(path.join(root, dir, f)).mtimeMs) return false;
    }
  }
  return true;
}
