/**
 * The Lambda bundles hold the core and the handler, never a front end: every handler of handlers/
 * is bundled here as infra/function.ts bundles it (esbuild, minified, ESM, AWS SDK external) and
 * no bundle may contain the CLI (src/cli/, commander, readline prompts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BANNER, BUNDLE_EXTERNALS, BUNDLE_TARGET } from '../../infra/bundling';

const ROOT = join(import.meta.dirname, '../..');
const HANDLERS = readdirSync(join(ROOT, 'handlers'))
  .filter((f) => f.endsWith('.ts'))
  .sort();

async function bundle(file: string) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [`handlers/${file}`],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    external: BUNDLE_EXTERNALS,
    banner: { js: BUNDLE_BANNER },
    metafile: true,
    logLevel: 'silent',
  });
  return { inputs: Object.keys(result.metafile.inputs), text: result.outputFiles[0]!.text };
}

describe('Lambda bundles of handlers/', () => {
  it('finds the handlers', () => {
    expect(HANDLERS).toContain('revoke.ts');
    expect(HANDLERS.length).toBeGreaterThan(5);
  });

  it.each(HANDLERS)('%s contains no front end (commander, src/cli/, readline)', async (file) => {
    const { inputs, text } = await bundle(file);
    expect(inputs.filter((i) => /node_modules\/commander\//.test(i))).toEqual([]);
    expect(inputs.filter((i) => i.startsWith('src/cli/'))).toEqual([]);
    expect(text).not.toMatch(/\bcommander\b/);
    expect(text).not.toMatch(/node:readline/);
  });
});
