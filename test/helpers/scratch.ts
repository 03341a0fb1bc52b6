/**
 * Scratch folders of one test file, removed after its tests: CDK writes a cloud assembly (templates,
 * bundled handlers) for every synthesized app, and an `App` without an `outdir` writes it to a new
 * folder of the system's temp dir that nobody removes.
 *
 *   const scratch = scratchDirs('bks-cdk-');   // at the file's top level
 *   const app = new App({ outdir: scratch() });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function scratchDirs(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/** Runs `build` with a scratch folder that is removed as soon as it returns (or throws). */
export function withScratchDir<T>(prefix: string, build: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return build(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
