/**
 * cleanup (and restore from its backups) against bks-sim: only ORPHANED phantoms go, every
 * DeleteUser blocker is removed first, a backup precedes the first change, a change between plan
 * and action aborts that user, and faults injected mid-way leave a record naming what remains —
 * which the next run finishes.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws';
import { runCleanup } from '../../src/response/cleanup-run';
import { SERVICES } from '../../src/services';
import {
  ACCT,
  ADMIN_KEY,
  ADMIN_SECRET,
  allText,
  baseScenario,
  LIMITED,
  type SimEnv,
  secret,
  simEnv,
  userOf,
} from './sim-helpers';

const OLD = '2025-01-01T00:00:00Z';
const PAST = '2025-06-01T00:00:00Z';

function scenario() {
  return baseScenario({
    accounts: [
      {
        id: ACCT,
        regions: ['us-east-1'],
        groups: [{ name: 'devs', managedPolicies: [] }],
        users: [
          { name: 'secops' },
          {
            // Every DeleteUser blocker there is, on an orphaned phantom.
            name: 'BedrockAPIKey-old1',
            path: '/ml/',
            createdAt: OLD,
            managedPolicies: [LIMITED],
            inlinePolicies: {
              extra: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
              },
            },
            groups: ['devs'],
            tags: { team: 'ml' },
            permissionsBoundary: LIMITED,
            mfaDevices: 1,
            sshPublicKeys: 1,
            signingCertificates: 1,
            accessKeys: [{ status: 'Inactive', secret: secret('old1-ak') }],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('old1'), status: 'Active', expiresAt: PAST },
              { service: 'codecommit.amazonaws.com', secret: secret('old1-cc'), status: 'Inactive' },
            ],
          },
          {
            name: 'BedrockAPIKey-old2',
            createdAt: OLD,
            managedPolicies: [LIMITED],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('old2'), status: 'Inactive' },
            ],
          },
          {
            // An API-created phantom (no name prefix): recognised by its managed policy only.
            name: 'ml-pipeline',
            createdAt: OLD,
            managedPolicies: [LIMITED],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('mlp'), status: 'Inactive' },
            ],
          },
          {
            name: 'BedrockAPIKey-live',
            createdAt: OLD,
            managedPolicies: [LIMITED],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('live'), status: 'Active' },
            ],
          },
          {
            name: 'BedrockAPIKey-risk',
            createdAt: OLD,
            managedPolicies: [LIMITED],
            accessKeys: [{ status: 'Active', secret: secret('risk-ak') }],
          },
          {
            name: 'alice',
            createdAt: OLD,
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('alice'), status: 'Inactive' },
            ],
          },
        ],
      },
    ],
  });
}

let env: SimEnv;
beforeEach(async () => {
  env = await simEnv(scenario());
});
afterEach(async () => {
  await env.close();
});

const ORPHANS = ['BedrockAPIKey-old1', 'BedrockAPIKey-old2', 'ml-pipeline'];
const names = (xs: { userName: string }[]) => xs.map((x) => x.userName).sort();
const userNames = async () => (await env.state()).accounts[0]?.users.map((u) => u.name).sort();
const args = () => [
  '--backup-dir',
  join(env.dir, 'backups'),
  '--record-dir',
  join(env.dir, 'records'),
  '-o',
  'json',
];
const SECRET_TAGS = ['old1', 'old1-ak', 'old1-cc', 'old2', 'mlp', 'live', 'risk-ak', 'alice'];

describe('cleanup (bks-sim)', () => {
  it('plans only fully-read ORPHANED phantoms; --dry-run changes nothing', async () => {
    const r = await env.run(['cleanup', '--dry-run', ...args()]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.schema).toBe('bks.cleanup/v1');
    expect(out.outcome).toBe('dry-run');
    expect(names(out.planned)).toEqual(ORPHANS);
    expect(names(out.skipped)).toEqual(['BedrockAPIKey-live', 'BedrockAPIKey-risk']);
    expect(out.skipped.find((s: { userName: string }) => s.userName === 'BedrockAPIKey-risk').reason).toMatch(
      /AT_RISK/,
    );
    expect(await userNames()).toContain('BedrockAPIKey-old1');
  });

  it('deletes them with every blocker removed, backs each up first (0600, no secrets); a second run changes nothing; restore recreates one', async () => {
    const r1 = await env.run(['cleanup', '-y', ...args()]);
    expect(r1.code).toBe(0);
    const out = JSON.parse(r1.stdout);
    expect(names(out.deleted)).toEqual(ORPHANS);
    expect(out.failed).toEqual([]);
    expect(await userNames()).toEqual(['BedrockAPIKey-live', 'BedrockAPIKey-risk', 'alice', 'secops']);
    const backupDir = join(env.dir, 'backups');
    const files = readdirSync(backupDir);
    expect(files).toHaveLength(3);
    for (const f of files) expect(statSync(join(backupDir, f)).mode & 0o777).toBe(0o600);
    const old1 = out.deleted.find((d: { userName: string }) => d.userName === 'BedrockAPIKey-old1').backup;
    const backup = JSON.parse(readFileSync(old1, 'utf8'));
    expect(backup.user).toMatchObject({
      path: '/ml/',
      groups: ['devs'],
      tags: [{ Key: 'team', Value: 'ml' }],
      loginProfile: false,
    });
    expect(backup.user.mfaDevices).toHaveLength(1);
    expect(backup.user.credentials).toHaveLength(2);

    const r2 = await env.run(['cleanup', '-y', ...args()]);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toMatchObject({ outcome: 'nothing-to-do', deleted: [], failed: [] });

    const r3 = await env.run(['restore', old1, '-y', '-o', 'json', '--record-dir', join(env.dir, 'records')]);
    expect(r3.code).toBe(0);
    const restored = JSON.parse(r3.stdout);
    expect(
      restored.actions
        .filter((a: { status: string }) => a.status === 'done')
        .map((a: { action: string }) => a.action),
    ).toEqual(['iam:CreateUser', 'iam:AttachUserPolicy', 'iam:PutUserPolicy', 'iam:AddUserToGroup']);
    expect(JSON.stringify(restored.actions)).toMatch(
      /credentials cannot be recreated: 2 service-specific credential/,
    );
    const back = userOf(await env.state(), 'BedrockAPIKey-old1');
    expect(back).toMatchObject({ groups: ['devs'], managedPolicies: [LIMITED] });
    const r4 = await env.run(['restore', old1, '-y', '-o', 'json', '--record-dir', join(env.dir, 'records')]);
    expect(JSON.parse(r4.stdout).outcome).toBe('nothing-to-do');

    const everything = allText(r1, r2, r3, r4, ...files.map((f) => readFileSync(join(backupDir, f), 'utf8')));
    for (const tag of SECRET_TAGS) expect(everything).not.toContain(secret(tag));
  });

  it('faults mid-way: the record names what remains for the failed user, the others finish; a rerun completes it', async () => {
    await env.control('PUT', '/_sim/faults', {
      faults: [
        {
          action: 'iam:RemoveUserFromGroup',
          error: 'AccessDenied',
          where: { UserName: 'BedrockAPIKey-old1' },
        },
        { action: 'iam:DeleteUser', error: 'AccessDenied', where: { UserName: 'ml-pipeline' } },
      ],
    });
    const r1 = await env.run(['cleanup', '-y', ...args()]);
    expect(r1.code).toBe(3);
    const out = JSON.parse(r1.stdout);
    expect(names(out.deleted)).toEqual(['BedrockAPIKey-old2']);
    expect(names(out.failed)).toEqual(['BedrockAPIKey-old1', 'ml-pipeline']);
    const mlp = out.failed.find((f: { userName: string }) => f.userName === 'ml-pipeline');
    expect(mlp.remaining).toEqual(['iam:DeleteUser user/ml-pipeline']);
    const old1 = out.failed.find((f: { userName: string }) => f.userName === 'BedrockAPIKey-old1');
    expect(old1.remaining[0]).toMatch(/RemoveUserFromGroup/);
    expect(old1.remaining.at(-1)).toBe('iam:DeleteUser user/BedrockAPIKey-old1');
    const record = JSON.parse(readFileSync(out.record, 'utf8'));
    expect(record.state).toBe('failed');
    expect(record.backups).toHaveLength(3);
    // ml-pipeline lost its managed policy: it no longer looks like a phantom, but the record remembers it.
    expect(userOf(await env.state(), 'ml-pipeline')?.managedPolicies ?? []).toEqual([]);

    await env.control('PUT', '/_sim/faults', { faults: [] });
    const r2 = await env.run(['cleanup', '-y', ...args()]);
    expect(r2.code).toBe(0);
    const out2 = JSON.parse(r2.stdout);
    expect(names(out2.deleted)).toEqual(['BedrockAPIKey-old1', 'ml-pipeline']);
    expect(out2.planned.find((p: { userName: string }) => p.userName === 'ml-pipeline').resumedFrom).toBe(
      out.record,
    );
    expect(await userNames()).toEqual(['BedrockAPIKey-live', 'BedrockAPIKey-risk', 'alice', 'secops']);
  });

  it('a backup that cannot be written (--backup-dir is a file): exit 3 naming the real reason, nothing deleted', async () => {
    const notADir = join(env.dir, 'backups-file');
    writeFileSync(notADir, 'a file, not a folder');
    const r = await env.run([
      'cleanup',
      '-y',
      '--backup-dir',
      notADir,
      '--record-dir',
      join(env.dir, 'records'),
      '-o',
      'json',
    ]);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.outcome).toBe('failed');
    expect(names(out.failed)).toEqual(ORPHANS);
    for (const f of out.failed) expect(f.error).toMatch(/could not write the backup .*EEXIST|ENOTDIR/);
    expect(out.failed[0].error).not.toMatch(/re-read/);
    expect(out.deleted).toEqual([]);
    for (const u of ORPHANS) expect(await userNames()).toContain(u);
  });

  it('a user that changes between the plan and its deletion is aborted, nothing done to it', async () => {
    const aws = createAws({
      region: 'us-east-1',
      endpointUrl: env.sim.url,
      credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET },
    });
    const iam = new IAMClient({
      region: 'us-east-1',
      endpoint: env.sim.url,
      credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET },
    });
    try {
      const result = await runCleanup(aws, {
        services: SERVICES,
        backupDir: join(env.dir, 'backups'),
        recordDir: join(env.dir, 'records'),
        gate: {
          show() {},
          async confirm() {
            // Someone gives old2 an access key while the responder reads the plan.
            await iam.send(new CreateAccessKeyCommand({ UserName: 'BedrockAPIKey-old2' }));
            return 'yes';
          },
        },
      });
      expect(names(result.deleted)).toEqual(['BedrockAPIKey-old1', 'ml-pipeline']);
      expect(result.skipped.find((s) => s.userName === 'BedrockAPIKey-old2')?.reason).toMatch(
        /changed since the plan \(accessKeys\)/,
      );
      expect(userOf(await env.state(), 'BedrockAPIKey-old2')?.managedPolicies).toEqual([LIMITED]);
      expect(readdirSync(join(env.dir, 'backups')).some((f) => f.startsWith('BedrockAPIKey-old2'))).toBe(
        false,
      );
    } finally {
      aws.destroy();
    }
  });

  it('an unreadable user is never deleted (fail closed); --exclude and --older-than', async () => {
    await env.control('PUT', '/_sim/faults', {
      faults: [
        { action: 'iam:ListSSHPublicKeys', error: 'AccessDenied', where: { UserName: 'BedrockAPIKey-old2' } },
      ],
    });
    const r = await env.run(['cleanup', '--dry-run', '--exclude', 'ml-pipeline', ...args()]);
    const out = JSON.parse(r.stdout);
    expect(names(out.planned)).toEqual(['BedrockAPIKey-old1']);
    expect(out.skipped.find((s: { userName: string }) => s.userName === 'BedrockAPIKey-old2').reason).toMatch(
      /could not read it fully/,
    );
    expect(out.skipped.find((s: { userName: string }) => s.userName === 'ml-pipeline').reason).toMatch(
      /excluded/,
    );
    const young = await env.run(['cleanup', '--dry-run', '--older-than', '100000', ...args()]);
    expect(young.code).toBe(2);
    const none = await env.run(['cleanup', '--dry-run', '--older-than', '36000', ...args()]);
    expect(JSON.parse(none.stdout).planned).toEqual([]);
  });
});
