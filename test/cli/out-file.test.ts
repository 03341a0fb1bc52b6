/**
 * `--out-file`: never written through a symbolic link (the link is replaced by a new file, its
 * target left untouched), always mode 0600, and a missing folder is bad input (exit 2) found before
 * any work is done.
 */
import { lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePrivateFile } from '../../src/util/private-file';
import { bks } from './bks-runner';

const dir = () => mkdtempSync(join(tmpdir(), 'bks-out-'));

describe('--out-file', () => {
  it('replaces a symlink with a new 0600 file and leaves the link target as it was', async () => {
    const d = dir();
    const victim = join(d, 'victim.txt');
    writeFileSync(victim, 'keep me', { mode: 0o644 });
    const link = join(d, 'out.json');
    symlinkSync(victim, link);
    const r = await bks(['detections', 'export', '--format', 'sigma', '--out-file', link]);
    expect(r.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(statSync(link).mode & 0o777).toBe(0o600);
    expect(readFileSync(link, 'utf8').length).toBeGreaterThan(1000);
  });

  it('writePrivateFile: through a link never, over an existing file with mode 0600', () => {
    const d = dir();
    const victim = join(d, 'victim');
    writeFileSync(victim, 'x', { mode: 0o644 });
    const link = join(d, 'report.html');
    symlinkSync(victim, link);
    writePrivateFile(link, 'new');
    expect(readFileSync(victim, 'utf8')).toBe('x');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(lstatSync(link).isFile()).toBe(true);
    expect(readFileSync(link, 'utf8')).toBe('new');
    expect(statSync(link).mode & 0o777).toBe(0o600);
    const plain = join(d, 'plain.txt');
    writeFileSync(plain, 'old', { mode: 0o644 });
    writePrivateFile(plain, 'newer');
    expect(statSync(plain).mode & 0o777).toBe(0o600);
    expect(readFileSync(plain, 'utf8')).toBe('newer');
  });

  it('a missing folder is exit 2 with one line', async () => {
    const d = dir();
    const r = await bks([
      'detections',
      'export',
      '--format',
      'sigma',
      '--out-file',
      join(d, 'no', 'such', 'x.yml'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bks: [^\n]*--out-file[^\n]*\n$/);
  });
});
