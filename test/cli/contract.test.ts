/**
 * The CLI contract (docs/commands/README.md), swept over every registered command and subcommand
 * (walked from `buildProgram`, so a new command is covered without touching this file):
 * `--help` exits 0; an unknown flag exits 2 with one `bks: …` line and no stack; `-o` with an
 * unknown format exits 2 naming the valid ones; a command that talks to AWS, pointed at an
 * unreachable endpoint, exits 3 with one line; the changing commands refuse without `-y` and
 * without a TTY (exit 2) before any change. Runs in-process through `main()`; one real process
 * checks the same through `bin/bks.mjs`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main';
import { BACKUP_SCHEMA, type UserBackup } from '../../src/response/restore';
import { ACCT, baseScenario, LIMITED, type SimEnv, secret, simEnv } from '../response/sim-helpers';
import { type BksRun, bks, bksProcess } from './bks-runner';

interface Leaf {
  path: string[];
  cmd: Command;
}

function walk(c: Command, path: string[] = []): Leaf[] {
  return c.commands.flatMap((s) => [{ path: [...path, s.name()], cmd: s }, ...walk(s, [...path, s.name()])]);
}

const ALL = walk(await buildProgram(() => {}));
const LEAVES = ALL.filter((l) => l.cmd.commands.length === 0);
const has = (l: Leaf, long: string) => l.cmd.options.some((o) => o.long === long);
const name = (l: Leaf) => l.path.join(' ');

const dir = mkdtempSync(join(tmpdir(), 'bks-contract-'));
const backupOf = (userName: string): string => {
  const backup: UserBackup = {
    schema: BACKUP_SCHEMA,
    takenAt: '2026-01-01T00:00:00.000Z',
    accountId: ACCT,
    partition: 'aws',
    user: {
      userName,
      userId: 'AIDAEXAMPLECONTRACT1',
      arn: `arn:aws:iam::${ACCT}:user/${userName}`,
      path: '/',
      tags: [],
      credentials: [],
      accessKeys: [],
      attachedPolicies: [{ arn: LIMITED, name: 'AmazonBedrockLimitedAccess' }],
      inlinePolicies: [],
      groups: [],
      loginProfile: false,
      mfaDevices: [],
      sshPublicKeys: [],
      signingCertificates: [],
    },
  };
  const path = join(dir, `${userName}.json`);
  writeFileSync(path, JSON.stringify(backup));
  return path;
};
const GONE_BACKUP = backupOf('BedrockAPIKey-gone');

/** Positional arguments (and required options) that get each command past its own argument checks. */
function argsFor(l: Leaf): string[] {
  const required = l.cmd.options
    .filter((o) => o.mandatory && o.long)
    .flatMap((o) => [o.long as string, o.description.match(/one of ([\w-]+)/)?.[1] ?? 'x']);
  return [...required, ...positional(l)];
}

function positional(l: Leaf): string[] {
  return (
    l.cmd.registeredArguments
      // restore's RECORD is optional (--finding / --execution name one instead): give it one.
      .filter((a) => a.required || a.name() === 'RECORD')
      .map((a) => {
        const n = a.name();
        if (n === 'RECORD') return GONE_BACKUP;
        if (n === 'paths') return dir;
        if (n === 'name') return 'bks-deny-key-creation';
        return 'BedrockAPIKey-live';
      })
  );
}

/** Exactly one line, `bks: …`, and no stack frame. */
function expectOneLine(r: BksRun): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.split('\n').filter((x) => x.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^bks: /);
}

describe('CLI contract sweep', () => {
  it('walks every command and subcommand', () => {
    expect(LEAVES.map(name)).toEqual(
      expect.arrayContaining(['scan', 'scp list', 'scp show', 'scp check', 'detections build', 'cleanup']),
    );
  });

  it.each(ALL.map((l) => [name(l), l] as const))('%s --help exits 0', async (_, l) => {
    const r = await bks([...l.path, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bks /);
  });

  it.each(LEAVES.map((l) => [name(l), l] as const))(
    '%s: an unknown flag exits 2 with one line, no stack',
    async (_, l) => {
      const r = await bks([...l.path, ...argsFor(l), '--no-such-flag']);
      expect(r.code).toBe(2);
      expectOneLine(r);
      expect(r.stderr).toMatch(/--no-such-flag/);
    },
  );

  const withOutput = LEAVES.filter((l) => has(l, '--output'));
  it.each(withOutput.map((l) => [name(l), l] as const))(
    '%s -o no-such-format exits 2 naming the valid formats',
    async (_, l) => {
      const r = await bks([...l.path, ...argsFor(l), '-o', 'no-such-format']);
      expect(r.code).toBe(2);
      expectOneLine(r);
      const help = l.cmd.options.find((o) => o.long === '--output')?.description ?? '';
      const formats = help.replace(/^output format: /, '').split(', ');
      for (const f of formats) expect(r.stderr).toContain(f);
      expect(r.stderr).toMatch(/no-such-format/);
    },
  );

  describe('unreachable AWS endpoint', () => {
    beforeAll(() => {
      vi.stubEnv('AWS_ACCESS_KEY_ID', ['AKIA', 'CONTRACTDUMMY01'].join(''));
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', ['dummy', 'secret'].join('-'));
      vi.stubEnv('AWS_SESSION_TOKEN', '');
      vi.stubEnv('AWS_PROFILE', '');
      vi.stubEnv('AWS_ENDPOINT_URL', '');
      vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    });
    afterAll(() => {
      vi.unstubAllEnvs();
    });
    const aws = LEAVES.filter((l) => has(l, '--endpoint-url'));
    it('every AWS command is in the sweep', () => {
      expect(aws.map(name).sort()).toEqual(
        expect.arrayContaining([
          'cleanup',
          'report',
          'restore',
          'revoke-key',
          'scan',
          'scp check',
          'timeline',
        ]),
      );
    });
    it.each(aws.map((l) => [name(l), l] as const))(
      '%s exits 3 with one line',
      async (_, l) => {
        const extra = has(l, '--yes') ? ['-y'] : [];
        const regions = has(l, '--regions') ? ['--regions', 'us-east-1'] : [];
        const r = await bks([
          ...l.path,
          ...argsFor(l),
          ...extra,
          ...regions,
          '--endpoint-url',
          'http://127.0.0.1:9',
          '--region',
          'us-east-1',
        ]);
        expect(r.code, r.stderr).toBe(3);
        const lines = r.stderr.split('\n').filter((x) => x.trim() !== '');
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(lines.at(-1)).toMatch(/^bks: /);
        expect(lines, r.stderr).toHaveLength(1);
      },
      30_000,
    );
  });

  describe('changing commands without -y and without a TTY', () => {
    let env: SimEnv;
    beforeAll(async () => {
      env = await simEnv(
        baseScenario({
          accounts: [
            {
              id: ACCT,
              regions: ['us-east-1'],
              users: [
                { name: 'secops' },
                {
                  name: 'BedrockAPIKey-live',
                  managedPolicies: [LIMITED],
                  serviceCredentials: [
                    { service: 'bedrock.amazonaws.com', secret: secret('c-live'), status: 'Active' },
                  ],
                },
                {
                  name: 'BedrockAPIKey-old',
                  createdAt: '2025-01-01T00:00:00Z',
                  managedPolicies: [LIMITED],
                  serviceCredentials: [
                    { service: 'bedrock.amazonaws.com', secret: secret('c-old'), status: 'Inactive' },
                  ],
                },
              ],
            },
          ],
        }),
      );
    });
    afterAll(async () => {
      await env.close();
    });
    const changing = LEAVES.filter((l) => has(l, '--yes'));
    it('they are revoke-key, restore, cleanup and selftest', () => {
      expect(changing.map(name).sort()).toEqual(['cleanup', 'restore', 'revoke-key', 'selftest']);
    });
    it.each(changing.map((l) => [name(l), l] as const))(
      '%s refuses with exit 2, nothing changed',
      async (_, l) => {
        const before = JSON.stringify(await env.state());
        const r = await env.run([
          ...l.path,
          ...argsFor(l),
          '--record-dir',
          join(dir, 'records'),
          '-o',
          'json',
        ]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/^bks: refusing to change the account/m);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(JSON.stringify(await env.state())).toBe(before);
      },
    );
  });

  it('through the real binary: unknown flag → exit 2, one line', async () => {
    // The development launcher itself (the other process tests run the run's bundle of the same sources).
    const r = await bksProcess(['scan', '--no-such-flag'], '', undefined, { launcher: true });
    expect(r.code).toBe(2);
    expectOneLine(r);
  }, 30_000);
});
