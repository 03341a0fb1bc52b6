import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  confirmPlan,
  emit,
  makeContext,
  parseAccountList,
  parseIntFlag,
  renderTable,
} from '../../src/cli/common';
import { main } from '../../src/cli/main';
import { UsageError } from '../../src/errors';

function capture() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('CLI conventions', () => {
  it('rejects an output format the command does not render, naming the choices', () => {
    expect(() => makeContext({ output: 'xml' }, { formats: ['table', 'json'] })).toThrow(
      /--output must be one of table, json \(got "xml"\)/,
    );
  });

  it('writes --out-file with mode 0600, also over an existing world-readable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-'));
    const path = join(dir, 'out.json');
    writeFileSync(path, 'old', { mode: 0o644 });
    const ctx = makeContext({ output: 'json', outFile: path }, { formats: ['table', 'json'] });
    emit({ a: 1 }, { json: (r) => JSON.stringify(r) }, ctx);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
  });

  it('logs progress only to a TTY or with --verbose, never with --quiet', () => {
    const err = capture();
    makeContext({}, { formats: ['table'] }, { stderr: err.stream }).log('quiet because not a TTY');
    makeContext({ verbose: true }, { formats: ['table'] }, { stderr: err.stream }).log(
      'shown with --verbose',
    );
    makeContext({ verbose: true, quiet: true }, { formats: ['table'] }, { stderr: err.stream }).log('never');
    expect(err.text()).toBe('shown with --verbose\n');
  });

  it('colours only a TTY and honours NO_COLOR and --no-color', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    expect(makeContext({}, { formats: ['table'] }, { stdout: tty, env: {} }).color).toBe(true);
    expect(makeContext({}, { formats: ['table'] }, { stdout: tty, env: { NO_COLOR: '1' } }).color).toBe(
      false,
    );
    expect(makeContext({ color: false }, { formats: ['table'] }, { stdout: tty, env: {} }).color).toBe(false);
    expect(makeContext({}, { formats: ['table'] }, { stdout: new PassThrough(), env: {} }).color).toBe(false);
  });

  it('refuses to change anything without a TTY and without --yes', async () => {
    await expect(confirmPlan('go?', {}, { stdin: new PassThrough() })).rejects.toBeInstanceOf(UsageError);
    expect(await confirmPlan('go?', { dryRun: true, yes: true })).toBe('dry-run');
    expect(await confirmPlan('go?', { yes: true })).toBe('yes');
  });

  it('validates numeric and account-list flags with the flag named', () => {
    expect(parseIntFlag('--days', '7', 1, 90)).toBe(7);
    expect(() => parseIntFlag('--days', '91', 1, 90)).toThrow(/--days must be between 1 and 90/);
    expect(() => parseIntFlag('--days', '7d', 1, 90)).toThrow(/--days must be a whole number/);
    expect(parseAccountList('--accounts', '111111111111, 222222222222')).toEqual([
      '111111111111',
      '222222222222',
    ]);
    expect(() => parseAccountList('--accounts', '1234')).toThrow(/"1234" is not a 12-digit account id/);
  });

  it('aligns table columns', () => {
    expect(renderTable(['A', 'BB'], [['xyz', '1']])).toBe('A    BB\n---  --\nxyz  1');
  });

  it('exits 2 with a one-line message on an unknown command, 0 on --help and --version', async () => {
    const err = capture();
    expect(await main(['no-such-command'], err.stream)).toBe(2);
    expect(err.text()).toMatch(/^bks: /);
    expect(err.text()).not.toMatch(/\n\s+at /);
    expect(await main(['--version'])).toBe(0);
  });
});
