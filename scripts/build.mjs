#!/usr/bin/env node
// Builds dist/: the `bks` and `bks-sim` executables as ES modules bundled by esbuild, split so that
// each command's code (and the AWS SDK clients it imports) loads only when that command runs, plus
// the help manifest `bks --help` is served from. Dependencies stay in node_modules (`packages:
// external`). Runs on `npm ci` (prepare) and `npm pack` (prepack); takes about a second.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const started = Date.now();

rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    bks: 'src/cli/bin.ts',
    'bks-sim': 'local/bin.ts',
    cli: 'src/cli/main.ts',
  },
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  define: { __BKS_BUNDLE__: 'true' },
  metafile: true,
  logLevel: 'warning',
});

// The help manifest: every command's options and arguments, so that help loads no command module.
const cli = await import(pathToFileURL(join(dist, 'cli.mjs')).href);
writeFileSync(join(dist, cli.MANIFEST_FILE), `${JSON.stringify(await cli.helpManifest())}\n`);

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
const files = Object.keys(result.metafile.outputs).length;
process.stderr.write(
  `build: dist/ ${files} files, ${(bytes / 1024).toFixed(0)} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
