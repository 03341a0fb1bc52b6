/**
 * `bks` and `bks-sim` as executables built from the sources under test, for the tests that start them
 * as processes (a reader's shell running the docs' examples, bks-sim's own process contract): built
 * once per test run with esbuild, in the folder test/setup/bundle.ts names, and shared by every test
 * file of the run. The development launchers bin/bks.mjs and bin/bks-sim.mjs run the same sources
 * through tsx, whose loader costs about a second of CPU per start.
 *
 * Unlike dist/ (whose dependencies stay in node_modules, as an installed package has them: the
 * package tests check that layout), the dependencies are bundled in, so a start reads a few ES
 * modules instead of hundreds of CommonJS files of the AWS SDK (a `bks scp show` 0.44 s -> 0.17 s of
 * CPU). The code that runs is the same: our sources and the same versions of the same packages. The
 * @cloud-copilot IAM packages stay external: they read their data files relative to their modules.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { inject } from 'vitest';
import { ESM_BUNDLE } from '../../scripts/esm-bundle.mjs';

const ROOT = resolve(import.meta.dirname, '../..');

export interface TestBundle {
  /** `bks` (src/cli/bin.ts): run it with `node`. */
  bks: string;
  /** `bks-sim` (local/bin.ts): run it with `node`. */
  bksSim: string;
}

let built: Promise<TestBundle> | undefined;

/** The run's bundles, built by the first test file that asks (the others wait for it). */
export function testBundle(): Promise<TestBundle> {
  built ??= ensure(inject('bundleDir'));
  return built;
}

async function ensure(dir: string): Promise<TestBundle> {
  if (!dir)
    throw new Error('bundleDir is not provided: test/setup/bundle.ts is not a globalSetup of this run');
  const bundle = { bks: join(dir, 'bks.mjs'), bksSim: join(dir, 'bks-sim.mjs') };
  const ready = join(dir, 'ready');
  const failed = join(dir, 'failed');
  let builder = true;
  // node_modules/.cache may not exist yet (a fresh `npm ci`); the folder itself is the lock.
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { recursive: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    builder = false;
  }
  if (builder) {
    try {
      await build({
        absWorkingDir: ROOT,
        entryPoints: { bks: 'src/cli/bin.ts', 'bks-sim': 'local/bin.ts' },
        outdir: dir,
        ...ESM_BUNDLE,
        mainFields: ['module', 'main'],
        external: ['@cloud-copilot/*'],
        logLevel: 'warning',
      });
    } catch (e) {
      writeFileSync(failed, String((e as Error).message));
      throw e;
    }
    writeFileSync(ready, '');
    return bundle;
  }
  // Another test file is building it (a second or two).
  const end = Date.now() + 120_000;
  while (!existsSync(ready)) {
    if (existsSync(failed))
      throw new Error(`building the test bundle failed: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > end) throw new Error(`the test bundle in ${dir} was not ready within 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return bundle;
}
