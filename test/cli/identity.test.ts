/**
 * Identity in another account (the CLI contract): a key's account is decoded offline; when it is
 * not the caller's, `timeline`, `report`, `revoke-key` and `restore` assume `--org-role` into it
 * (saying so on stderr) or stop with exit 3 naming both accounts. They never answer "no risk" or
 * "nothing to change" about an account they did not read, `--force` or not. Also: no credentials at
 * all is exit 3 naming where bks looked, and the profile's region is used by every command.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { accessKeyIdForAccount } from '../../src/keys';
import {
  ACCT,
  ADMIN_KEY,
  ADMIN_SECRET,
  baseScenario,
  LIMITED,
  longTermKey,
  OTHER,
  type SimEnv,
  secret,
  simEnv,
  userOf,
} from '../response/sim-helpers';
import { bks } from './bks-runner';

const THIRD = '333333333333';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const OUTSIDER_KEY = ['AKIA', 'SIMOUTSIDER00001'].join('');
const PHANTOM = 'BedrockAPIKey-x7qz';
/** A key of account OTHER (222…), while `secops` is in ACCT (111…, the management account). */
const KEY = () => longTermKey(`${PHANTOM}-at-${OTHER}`, secret('x'));

function scenario() {
  return baseScenario({
    principals: [
      {
        accessKeyId: ADMIN_KEY,
        secretAccessKey: ADMIN_SECRET,
        account: ACCT,
        arn: `arn:aws:iam::${ACCT}:user/secops`,
      },
      {
        accessKeyId: OUTSIDER_KEY,
        secretAccessKey: ADMIN_SECRET,
        account: THIRD,
        arn: `arn:aws:iam::${THIRD}:user/analyst`,
      },
    ],
    organization: {
      managementAccount: ACCT,
      accounts: [
        { id: ACCT, name: 'mgmt', state: 'ACTIVE' },
        { id: OTHER, name: 'prod', state: 'ACTIVE' },
        { id: THIRD, name: 'audit', state: 'ACTIVE' },
      ],
    },
    accounts: [
      { id: ACCT, regions: ['us-east-1'], users: [{ name: 'secops' }] },
      {
        id: OTHER,
        regions: ['us-east-1', 'eu-west-1'],
        roles: [
          { name: 'OrganizationAccountAccessRole', trustedAccounts: [ACCT], managedPolicies: [ADMIN] },
          { name: 'SecurityAudit-IR', trustedAccounts: [ACCT], managedPolicies: [ADMIN] },
        ],
        users: [
          {
            name: PHANTOM,
            managedPolicies: [LIMITED],
            loginProfile: true,
            serviceCredentials: [{ service: 'bedrock.amazonaws.com', secret: secret('x'), status: 'Active' }],
          },
        ],
      },
      { id: THIRD, regions: ['us-east-1'], users: [{ name: 'analyst' }] },
    ],
  } as never);
}

let env: SimEnv;
beforeEach(async () => {
  env = await simEnv(scenario());
});
afterEach(async () => {
  await env.close();
});

function asOutsider() {
  vi.stubEnv('AWS_ACCESS_KEY_ID', OUTSIDER_KEY);
}

describe('a key of another account, from an account that cannot reach it', () => {
  for (const command of ['timeline', 'report'] as const) {
    it(`${command}: exit 3 naming both accounts and how to get there, no "no risk" answer`, async () => {
      expect(await env.invoke(KEY(), 'eu-west-1')).toBe(200);
      asOutsider();
      const r = await env.run([command, KEY(), '-o', 'json']);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`account ${OTHER}`));
      expect(r.stderr).toMatch(new RegExp(`account ${THIRD}`));
      expect(r.stderr).toMatch(/--profile/);
      expect(r.stderr).toMatch(/--org-role/);
      expect(r.stderr).not.toMatch(/no risk/i);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('revoke-key --force: exit 3, never "nothing to change", and the key stays live (nothing was done)', async () => {
    asOutsider();
    const r = await env.run(['revoke-key', KEY(), '--force', '-y', '--record-dir', env.dir]);
    expect(r.code).toBe(3);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/nothing to change/);
    expect(r.stderr).toMatch(
      new RegExp(`account ${OTHER}.*account ${THIRD}|account ${THIRD}.*account ${OTHER}`),
    );
    expect(await env.invoke(KEY())).toBe(200);
  });
});

describe('an access key id of another account (its account as sts:GetAccessKeyInfo says)', () => {
  // Found by the docs examples test: an access key id was searched in the caller's account, which
  // answered "0 events" (exit 0) about an account it never read.
  const ID = accessKeyIdForAccount('ASIA', OTHER, new Uint8Array([1, 2, 3, 4, 5, 6]));
  it('timeline reaches its account through --org-role, saying so', async () => {
    const r = await env.run(['timeline', ID, '--regions', 'us-east-1', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`${OTHER}.*not the caller's \\(${ACCT}\\).*assumed OrganizationAccountAccessRole`),
    );
  });
  it('from an account that cannot reach it: exit 3 naming both accounts, no "0 events" answer', async () => {
    asOutsider();
    const r = await env.run(['timeline', ID, '--regions', 'us-east-1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`account ${OTHER}.*account ${THIRD}|account ${THIRD}.*account ${OTHER}`),
    );
  });
});

describe('--org-role: from the management account into the key’s account', () => {
  it('timeline assumes OrganizationAccountAccessRole into the key’s account and finds its events; says so on stderr', async () => {
    expect(await env.invoke(KEY(), 'eu-west-1')).toBe(200);
    const r = await env.run(['timeline', KEY(), '-o', 'json', '--regions', 'us-east-1,eu-west-1']);
    expect(r.stderr).toMatch(
      new RegExp(`${OTHER}.*not the caller's \\(${ACCT}\\).*assumed OrganizationAccountAccessRole`),
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { events: { eventName: string; region: string }[] };
    expect(out.events.some((e) => e.region === 'eu-west-1' && e.eventName === 'InvokeModel')).toBe(true);
  });

  it('report reads the key’s account: the user, its console password and a risk other than "no risk"', async () => {
    expect(await env.invoke(KEY(), 'eu-west-1')).toBe(200);
    const r = await env.run(['report', KEY(), '-o', 'json', '--regions', 'us-east-1,eu-west-1']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      accountId: string;
      risk: { level: string };
      user?: { userName: string };
    };
    expect(out.accountId).toBe(OTHER);
    expect(out.user?.userName).toBe(PHANTOM);
    expect(out.risk.level).not.toBe('info');
    expect(r.stderr).toMatch(/assumed OrganizationAccountAccessRole/);
  });

  it('revoke-key with --org-role NAME revokes in the key’s account, and restore goes back there too', async () => {
    const r = await env.run([
      'revoke-key',
      KEY(),
      '--org-role',
      'SecurityAudit-IR',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r.stderr).toMatch(/assumed SecurityAudit-IR/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { accountId: string; record: string };
    expect(out.accountId).toBe(OTHER);
    expect(await env.invoke(KEY())).toBe(403);
    const back = await env.run([
      'restore',
      out.record,
      '--org-role',
      'SecurityAudit-IR',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(back.stderr).toMatch(/assumed SecurityAudit-IR/);
    expect(back.code).toBe(0);
    expect(await env.invoke(KEY())).toBe(200);
    expect(userOf(await env.state(), PHANTOM, OTHER)?.serviceCredentials?.[0]?.status).toBe('Active');
  });

  it('a role the caller may not assume: exit 3 naming the role and both accounts', async () => {
    const r = await env.run(['timeline', KEY(), '--org-role', 'NoSuchRole']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/NoSuchRole/);
    expect(r.stderr).toMatch(new RegExp(`${OTHER}`));
    expect(r.stderr).toMatch(new RegExp(`${ACCT}`));
  });
});

describe('no credentials', () => {
  it('scan: says no credentials were found and where it looked, exit 3, no summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-nocreds-'));
    writeFileSync(join(dir, 'config'), '');
    writeFileSync(join(dir, 'credentials'), '');
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', '');
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', '');
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', '');
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const r = await env.run(['scan']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no AWS credentials found/);
    expect(r.stderr).toContain(join(dir, 'credentials'));
    expect(r.stderr).toContain(join(dir, 'config'));
    expect(r.stderr).toMatch(/AWS_ACCESS_KEY_ID/);
    expect(r.stderr).not.toMatch(/account|users|API calls/);
  });
});

describe('one region resolver: the profile’s region, for every command', () => {
  it('a GovCloud profile is used by timeline, report, revoke-key, cleanup and restore (never us-east-1)', async () => {
    await env.close();
    const gov = 'aws-us-gov';
    env = await simEnv({
      partition: gov,
      principals: [
        {
          accessKeyId: ADMIN_KEY,
          secretAccessKey: ADMIN_SECRET,
          account: ACCT,
          arn: `arn:${gov}:iam::${ACCT}:user/secops`,
        },
      ],
      accounts: [
        {
          id: ACCT,
          regions: ['us-gov-west-1', 'us-gov-east-1'],
          users: [
            { name: 'secops' },
            {
              name: 'BedrockAPIKey-g0v1',
              managedPolicies: [LIMITED.replace(':aws:', `:${gov}:`)],
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', secret: secret('g'), status: 'Active' },
              ],
            },
          ],
        },
      ],
      // Any call signed for a commercial region means the profile's region was ignored.
      faults: [
        { action: '*', region: 'us-east-1', error: 'InvalidClientTokenId', message: 'REGION-IGNORED' },
      ],
    } as never);
    const dir = mkdtempSync(join(tmpdir(), 'bks-gov-'));
    writeFileSync(
      join(dir, 'config'),
      `[profile gov]\nregion = us-gov-west-1\naws_access_key_id = ${ADMIN_KEY}\naws_secret_access_key = ${ADMIN_SECRET}\n`,
    );
    writeFileSync(join(dir, 'credentials'), '');
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const run = (args: string[]) => bks([...args, '--profile', 'gov', '--endpoint-url', env.sim.url]);
    const key = longTermKey(`BedrockAPIKey-g0v1-at-${ACCT}`, secret('g'));

    const t = await run(['timeline', key, '-o', 'json']);
    expect(t.stderr).not.toMatch(/REGION-IGNORED/);
    expect(t.code).toBe(0);
    const regions = (JSON.parse(t.stdout) as { regions: { region: string }[] }).regions.map((x) => x.region);
    expect(regions.sort()).toEqual(['us-gov-east-1', 'us-gov-west-1']);

    const rep = await run(['report', key, '-o', 'json']);
    expect(rep.stderr).not.toMatch(/REGION-IGNORED/);
    expect(rep.code).toBe(0);
    expect((JSON.parse(rep.stdout) as { partition: string }).partition).toBe(gov);

    const rev = await run(['revoke-key', key, '-y', '-o', 'json', '--record-dir', dir]);
    expect(rev.stderr).not.toMatch(/REGION-IGNORED/);
    expect(rev.code).toBe(0);
    const record = (JSON.parse(rev.stdout) as { record: string }).record;

    const res = await run(['restore', record, '-y', '-o', 'json', '--record-dir', dir]);
    expect(res.stderr).not.toMatch(/REGION-IGNORED/);
    expect(res.code).toBe(0);

    const cl = await run(['cleanup', '--dry-run', '-o', 'json', '--backup-dir', dir]);
    expect(cl.stderr).not.toMatch(/REGION-IGNORED/);
    expect(cl.code).toBe(0);
  });
});
