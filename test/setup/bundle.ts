/**
 * Vitest global setup: names the folder where test/helpers/bundle.ts builds, at most once per run and
 * only when a test file asks for it, `bks` and `bks-sim` bundled from the sources under test; removes
 * it at the end. The folder sits under the repository's node_modules (the bundles find the package's
 * own files, detections/ and scps/, by walking up to its package.json, and their external packages
 * resolve as they do for dist/). Each Vitest project gets a folder of its own.
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
  const dir = join(
    ROOT,
    'node_modules',
    '.cache',
    `bks-test-bundle-${process.pid}-${project.name || 'default'}`,
  );
  rmSync(dir, { recursive: true, force: true });
  project.provide('bundleDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
