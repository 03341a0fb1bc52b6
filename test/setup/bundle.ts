/**
 * Vitest global setup: names the folder where test/helpers/bundle.ts builds, at most once per run and
 * only when a test file asks for it, `bks` and `bks-sim` bundled from the sources under test; removes
 * it at the end. The folder sits under the repository's node_modules (the bundles find the package's
 * own files, detections/ and scps/, by walking up to its package.json, and their external packages
 * resolve as they do for dist/). Every Vitest project of the run shares the one folder: Vitest runs
 * all the projects' global setups before the first test file and their teardowns after the last.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test/helpers/bundle.ts builds this run's bundles (created by the first file that needs them). */
    bundleDir: string;
  }
}

const ROOT = resolve(import.meta.dirname, '../..');

export default function setup(project: TestProject): () => void {
  // One name per run (the projects' setups run in this one process), never an earlier run's folder.
  const run = globalThis as { bksTestBundleDir?: string };
  run.bksTestBundleDir ??= join(
    ROOT,
    'node_modules',
    '.cache',
    `bks-test-bundle-${process.pid}-${Date.now()}`,
  );
  const dir = run.bksTestBundleDir;
  project.provide('bundleDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
