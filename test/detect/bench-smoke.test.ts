/** A tiny run of bench/hunt.ts (2 MB) so the benchmark keeps working; its figures are not asserted. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('bench/hunt.ts runs end to end on a small generated set and prints its table', () => {
  const bench = fileURLToPath(new URL('../../bench/hunt.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', bench, '--mb', '2', '--file-mb', '1'], {
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/2 file\(s\), 2 MB uncompressed/);
  expect(r.stdout).toMatch(/\| bks hunt \(the above \+ \d+ rules\) +\| 2 +\| \d+ +\|/);
  expect(r.stdout).toMatch(
    /hunt time \/ JSON\.parse time: [\d.]+x vs whole files, [\d.]+x vs per-record parse/,
  );
});
