/**
 * The built executables (dist/, what `npm i -g` installs): built here with the real build script,
 * then run as processes. Start-up work is checked by what they import, not by wall-clock time (the
 * timing is bench/startup.ts): `--version`, help, `decode-key` and `find-keys` load no AWS SDK
 * client, and each AWS command loads only what it uses.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main';
import { encodeLongTermKey, longTermAlias } from '../../src/keys';
import { SERVICES } from '../../src/services';

const ROOT = resolve(import.meta.dirname, '../..');
const BKS = join(ROOT, 'dist/bks.mjs');
// Reports every bare package specifier the process resolves (its own code is in dist/, by path).
const HOOK = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, n) { if (!/^(\\\\.|node:|file:|data:)/.test(s)) process.stderr.write("LOADED " + s + "\\\\n"); return n(s, c); }'));`,
)}`;

const bedrock = SERVICES.find((s) => s.id === 'bedrock')!;
const KEY = encodeLongTermKey(
  bedrock,
  longTermAlias('BedrockAPIKey-d1st', '123456789012', 1),
  's'.repeat(40),
);
let dir = '';

function bks(args: string[], input = '') {
  const p = spawnSync(process.execPath, ['--import', HOOK, BKS, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' },
  });
  const loaded = [...new Set([...p.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1] as string))].sort();
  return { status: p.status, stdout: p.stdout, stderr: p.stderr.replace(/^LOADED .*\n/gm, ''), loaded };
}

beforeAll(() => {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'bks-dist-'));
  writeFileSync(join(dir, 'app.py'), `KEY = "${KEY}"\n`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dist/bks.mjs', () => {
  it('prints its version and help without loading any command', () => {
    const v = bks(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(v.loaded).toEqual(['commander']);
    for (const args of [['--help'], ['help', 'scan'], ['scan', '--help'], ['scp', 'check', '-h']]) {
      const h = bks(args);
      expect(h.status, args.join(' ')).toBe(0);
      expect(h.stdout).toMatch(/^Usage: bks/);
      expect(h.loaded, args.join(' ')).toEqual(['commander']);
    }
  });

  it('prints the same top-level help as the sources', async () => {
    const program = await buildProgram(() => {});
    expect(bks(['--help']).stdout).toBe(program.helpInformation());
  });

  it('decodes a key from stdin and finds one in a file loading no AWS SDK client', () => {
    const d = bks(['decode-key', '-o', 'json'], `${KEY}\n`);
    expect(d.status, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ schema: 'bks.decode-key/v1' });
    expect(d.stdout).not.toContain('s'.repeat(40));
    expect(d.loaded).toEqual(['commander']);
    const f = bks(['find-keys', join(dir, 'app.py'), '-o', 'json']);
    expect(f.status, f.stderr).toBe(1);
    expect(JSON.parse(f.stdout).findings).toHaveLength(1);
    expect(f.loaded).toEqual(['commander']);
  });

  it('loads the AWS SDK clients of the AWS command it runs', () => {
    const s = bks(['scan', '--endpoint-url', 'http://127.0.0.1:9']);
    expect(s.status).toBe(3);
    expect(s.stderr).toMatch(/^bks: /);
    expect(s.loaded).toContain('@aws-sdk/client-iam');
  });

  it('answers an unknown command or flag with one line and exit 2', () => {
    const u = bks(['nosuch']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/^bks: unknown command 'nosuch' \(see --help\)\n$/);
    const f = bks(['decode-key', '--nosuch']);
    expect(f.status).toBe(2);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
  });
});
