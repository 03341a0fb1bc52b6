/**
 * A tiny run of the find-keys benchmark (3 MB): every planted key of every format is found and no
 * decoy is reported. Speed is not asserted here (bench/ measures it); recall and precision are.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('the benchmark corpus: 100% recall, zero false positives on the decoys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bks-bench-smoke-'));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/find-keys.ts', '--mb', '3', '--runs', '1', '--dir', dir],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  rmSync(dir, { recursive: true, force: true });
  expect(r.stderr).toBe('');
  const row = r.stdout.split('\n').find((l) => l.startsWith('bks find-keys'));
  expect(row, r.stdout).toBeDefined();
  const cells = row!.split(/\s{2,}/);
  expect(cells[3]).toBe('280/280 (100.0%)');
  expect(cells[4]).toBe('0');
});
