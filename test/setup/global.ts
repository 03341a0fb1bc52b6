/**
 * Vitest global setup: one scratch folder for the whole run (`inject('runDir')`), removed at the
 * end. When the run includes a test file that needs the packed npm tarball, packing starts here in
 * the background (test/setup/pack.ts), so that no test worker sits idle waiting for it; a run that
 * needs none of it pays nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PACK_USERS, ROOT, startPack } from './pack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder shared by every test file of this run. */
    runDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'bks-test-run-'));
  project.provide('runDir', dir);
  // The files of this run, from the command line's filters (Vitest keeps them as `filenamePattern`,
  // undefined for a whole run). Should Vitest stop keeping them there, nothing starts early: the
  // first file that needs the tarball packs it.
  const vitest = project.vitest as unknown as { filenamePattern?: string[] };
  let needed = false;
  if ('filenamePattern' in vitest) {
    const specs = await project.vitest.globTestSpecifications(vitest.filenamePattern);
    // Each Vitest project (vitest.config.mts) runs this setup with its own folder: only the project
    // that holds a file needing the tarball packs it.
    needed = specs.some(
      (s) => s.project.name === project.name && PACK_USERS.includes(relative(ROOT, s.moduleId)),
    );
  }
  const pack = needed ? startPack(dir) : undefined;
  return async () => {
    pack?.child()?.kill();
    await pack?.finished;
    rmSync(dir, { recursive: true, force: true });
  };
}
