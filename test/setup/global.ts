/**
 * Vitest global setup: one scratch folder for the whole run (`inject('runDir')`), removed at the
 * end. Test files that would otherwise repeat an expensive step (packing the npm tarball) do it once
 * per run there, whichever file gets to it first (test/package/packed.ts). Nothing is built here:
 * a run that needs none of it pays nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder shared by every test file of this run. */
    runDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bks-test-run-'));
  project.provide('runDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
