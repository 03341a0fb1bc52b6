#!/usr/bin/env node
// Builds dist/ with esbuild.
//
//   node scripts/build.mjs          the `bks` and `bks-sim` executables and the library entries:
//                                   ES modules split so that each command's code (and the AWS SDK
//                                   clients it imports) loads only when that command runs, plus the
//                                   help manifest `bks --help` is served from. Dependencies stay in
//                                   node_modules, except the CLI parser (BUNDLED below), which every
//                                   start needs. Runs on `npm ci` (prepare).
//   node scripts/build.mjs --pack   also what only the published package needs (prepack): every
//                                   Lambda handler prebundled with the settings of infra/bundling.ts
//                                   (dist/handlers/<name>/index.mjs), and the type declarations.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESM_BUNDLE } from './esm-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pack = process.argv.includes('--pack');
const started = Date.now();
const say = (s) => process.stderr.write(`build: ${s}\n`);

// `npm pack` and `npm publish` run prepack (--pack, the whole build) and then prepare (the plain
// build), in that order: prepare would rebuild what prepack has just built, from the same sources.
if (
  !pack &&
  process.env.npm_lifecycle_event === 'prepare' &&
  ['pack', 'publish'].includes(process.env.npm_command)
) {
  say(`dist/ already built by prepack (npm ${process.env.npm_command})`);
  process.exit(0);
}

// The whole build (--pack) starts from an empty dist/; the plain build replaces only its own outputs.
if (pack) rmSync(dist, { recursive: true, force: true });
for (const f of ['bks.mjs', 'bks-sim.mjs', 'cli.mjs', 'bks-help.json', 'externals.json', 'chunks', 'lib'])
  rmSync(join(dist, f), { recursive: true, force: true });
// Bundled rather than loaded from node_modules: commander is read at every start (a CommonJS
// package of 7 files, which the ES module loader reads, wraps and translates one by one); in the
// bundle it is part of the first chunk. Everything else stays external (a dependency or a peer).
const BUNDLED = new Set(['commander']);
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      const pkg = a.path.match(/^(@[^/]+\/[^/]+|[^/]+)/)[1];
      return BUNDLED.has(pkg) ? undefined : { path: a.path, external: true };
    });
  },
};
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    bks: 'src/cli/bin.ts',
    'bks-sim': 'local/bin.ts',
    cli: 'src/cli/main.ts',
    'lib/index': 'src/index.ts',
    'lib/cdk': 'infra/index.ts',
  },
  outdir: dist,
  ...ESM_BUNDLE,
  plugins: [externalPackages],
  metafile: true,
  logLevel: 'warning',
});

// The help manifest: every command's options and arguments, so that help loads no command module.
const cli = await import(pathToFileURL(join(dist, 'cli.mjs')).href);
writeFileSync(join(dist, cli.MANIFEST_FILE), `${JSON.stringify(await cli.helpManifest())}\n`);
// The packages dist/ imports (dependencies or peer dependencies: test/package/package.test.ts).
const externals = new Set();
for (const out of Object.values(result.metafile.outputs))
  for (const i of out.imports)
    if (i.external && !i.path.startsWith('node:')) externals.add(i.path.match(/^(@[^/]+\/[^/]+|[^/]+)/)[1]);
writeFileSync(join(dist, 'externals.json'), `${JSON.stringify([...externals].sort(), null, 1)}\n`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
say(`dist/ ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB`);

if (pack) {
  // The handler lists and bundling settings, from the constructs' own module.
  const settingsFile = join(dist, '.bundling.mjs');
  await build({
    absWorkingDir: root,
    stdin: {
      contents: "export * from './infra/bundling'; export { FUNCTION_NAMES } from './infra/function';",
      resolveDir: root,
      loader: 'ts',
    },
    outfile: settingsFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'warning',
  });
  const s = await import(pathToFileURL(settingsFile).href);
  rmSync(settingsFile);
  const handlers = [
    ...s.FUNCTION_NAMES.map((name) => ({ name, external: s.BUNDLE_EXTERNALS })),
    ...s.COMPLIANCE_HANDLERS.map((name) => ({ name, external: s.COMPLIANCE_BUNDLE_EXTERNALS })),
  ];
  await Promise.all(
    handlers.map(({ name, external }) =>
      build({
        absWorkingDir: root,
        entryPoints: [`handlers/${name}.ts`],
        outfile: join(dist, 'handlers', name, 'index.mjs'),
        bundle: true,
        minify: true,
        platform: 'node',
        format: 'esm',
        target: s.BUNDLE_TARGET,
        mainFields: ['module', 'main'],
        external,
        banner: { js: s.BUNDLE_BANNER },
        logLevel: 'warning',
      }),
    ),
  );
  say(`dist/handlers/ ${handlers.length} Lambda handlers prebundled`);
  // The type declarations of the library entries (tsconfig.build.json) and of every module they
  // import, one source file at a time: the sources give every exported value its type
  // (isolatedDeclarations, which the diagnostics below enforce), so no type checker is needed, nor
  // the million lines of aws-cdk-lib and AWS SDK declarations a whole-program `tsc` reads first
  // (7 s of CPU against 2). `npm test` type-checks the sources (tsc --noEmit).
  const ts = (await import('typescript')).default;
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.formatDiagnostics([d], host));
    },
  });
  const { options } = config;
  const todo = [...config.fileNames];
  const done = new Set();
  const problems = [];
  while (todo.length > 0) {
    const file = todo.pop();
    if (done.has(file)) continue;
    done.add(file);
    const text = readFileSync(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      const found = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule;
      if (found && !found.isExternalLibraryImport && found.extension === '.ts')
        todo.push(found.resolvedFileName);
    }
    const out = ts.transpileDeclaration(text, {
      fileName: file,
      compilerOptions: options,
      reportDiagnostics: true,
    });
    problems.push(...(out.diagnostics ?? []));
    const target = join(options.outDir, relative(options.rootDir, file)).replace(/\.ts$/, '.d.ts');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  if (problems.length > 0) {
    process.stderr.write(ts.formatDiagnostics(problems, host));
    process.exit(1);
  }
  say(`dist/types/ declarations of ${done.size} modules`);
}
say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
