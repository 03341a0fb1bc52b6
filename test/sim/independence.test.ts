/**
 * bks-sim judges the project's code, so it must not share the project's logic: no file under sim/
 * imports anything from src/ (statically, dynamically or through a re-export).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIM = join(ROOT, 'sim');
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|mts|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

describe('bks-sim is independent of src/', () => {
  it('no file under sim/ imports from src/', () => {
    const all = files(SIM);
    expect(all.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const f of all) {
      for (const m of readFileSync(f, 'utf8').matchAll(SPECIFIER)) {
        const spec = m[1] as string;
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec);
        if (target === SRC || target.startsWith(`${SRC}/`))
          offenders.push(`${relative(ROOT, f)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check itself sees an import from src/', () => {
    const line = "import { decodeKey } from '../src/keys';";
    const spec = [...line.matchAll(SPECIFIER)][0]?.[1] as string;
    expect(resolve(SIM, spec).startsWith(SRC)).toBe(true);
  });
});
