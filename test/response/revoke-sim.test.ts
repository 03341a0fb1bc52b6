/**
 * revoke-key and its restore against bks-sim over real HTTP with the real SDK clients. The test
 * that matters: a bearer call with the leaked key succeeds before and is refused after, while the
 * user's other key keeps working — and restore brings the first back.
 */
import { statSync } from 'node:fs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatedShortTermKey, type SigningCredentials } from '../helpers/bedrock-token';
import { testBundle } from '../helpers/bundle';
import {
  ACCT,
  ADMIN_KEY,
  ADMIN_SECRET,
  allText,
  baseScenario,
  LIMITED,
  longTermKey,
  OTHER,
  readJsonFile,
  type SimEnv,
  secret,
  simEnv,
  userOf,
} from './sim-helpers';

const PHANTOM = 'BedrockAPIKey-h42z';
const KEY_A = () => longTermKey(`${PHANTOM}-at-${ACCT}`, secret('a'));
const KEY_B = () => longTermKey(`${PHANTOM}+1-at-${ACCT}`, secret('b'));
const ALICE_KEY = () => longTermKey(`alice-at-${ACCT}`, secret('alice'));

function scenario() {
  return baseScenario({
    accounts: [
      {
        id: ACCT,
        regions: ['us-east-1', 'eu-west-1'],
        roles: [
          // Roles and users can do only what their policies allow (bks-sim evaluates them).
          { name: 'ml-app', trustedAccounts: [ACCT], managedPolicies: [LIMITED] },
          {
            name: 'AWSReservedSSO_Admin_0123abcd',
            path: '/aws-reserved/sso.amazonaws.com/',
            trustedAccounts: [ACCT],
            managedPolicies: [LIMITED],
          },
        ],
        users: [
          { name: 'secops', managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'] },
          {
            name: PHANTOM,
            managedPolicies: [LIMITED],
            accessKeys: [{ status: 'Active', secret: secret('ak') }],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('a'), status: 'Active' },
              { service: 'bedrock.amazonaws.com', secret: secret('b'), status: 'Active' },
            ],
          },
          {
            name: 'AeaApiKey-k9x2',
            managedPolicies: ['arn:aws:iam::aws:policy/AnthropicLimitedAccess'],
            serviceCredentials: [
              { service: 'aws-external-anthropic.amazonaws.com', secret: secret('claude'), status: 'Active' },
            ],
          },
          {
            name: 'alice',
            managedPolicies: [LIMITED.replace('AmazonBedrockLimitedAccess', 'AdministratorAccess')],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: secret('alice'), status: 'Active' },
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

const json = (r: { stdout: string }) =>
  JSON.parse(r.stdout) as Record<string, unknown> & {
    actions: { action: string; target: string; status: string }[];
    record: string | null;
    outcome: string;
  };

function expectNoSecret(text: string) {
  for (const tag of ['a', 'b', 'ak', 'alice']) expect(text).not.toContain(secret(tag));
  for (const k of [KEY_A(), KEY_B(), ALICE_KEY()]) expect(text).not.toContain(k.slice(4, 40));
}

describe('revoke-key with a long-term key (bks-sim)', () => {
  it('refuses the leaked key after, keeps the sibling working, deactivates the phantom access key; a second run changes nothing; restore undoes it', async () => {
    expect(await env.invoke(KEY_A())).toBe(200);
    expect(await env.invoke(KEY_B())).toBe(200);

    await env.control('POST', '/_sim/stats/reset');
    const r1 = await env.run(['revoke-key', KEY_A(), '-y', '-o', 'json', '--record-dir', env.dir]);
    // Cost: who am I, one full read of the user (GetUser + 10 lists, no inline policy to get), two changes.
    const cost = (await env.control('GET', '/_sim/stats')) as { calls: Record<string, number> };
    expect(cost.calls['sts:GetCallerIdentity']).toBe(1);
    expect(cost.calls['iam:GetUser']).toBe(1);
    expect(
      Object.entries(cost.calls)
        .filter(([k]) => /:(Update|Delete|Put|Create)/.test(k))
        .sort(),
    ).toEqual([
      ['iam:UpdateAccessKey', 1],
      ['iam:UpdateServiceSpecificCredential', 1],
    ]);
    expect(Object.values(cost.calls).reduce((a, b) => a + b, 0)).toBe(14);
    expect(r1.stderr).toMatch(/Plan \(revoke-key, account 111111111111\): 2 call/);
    expect(r1.code).toBe(0);
    const out1 = json(r1);
    expect(out1.schema).toBe('bks.revoke-key/v1');
    expect(out1.outcome).toBe('completed');
    expect(out1.actions.filter((a) => a.status === 'done').map((a) => a.action)).toEqual([
      'iam:UpdateServiceSpecificCredential',
      'iam:UpdateAccessKey',
    ]);

    expect(await env.invoke(KEY_A())).toBe(403);
    expect(await env.invoke(KEY_B())).toBe(200);
    const phantom = userOf(await env.state(), PHANTOM);
    expect(phantom?.accessKeys?.map((k) => k.status)).toEqual(['Inactive']);
    expect(phantom?.serviceCredentials?.map((c) => c.status)).toEqual(['Inactive', 'Active']);

    const record = out1.record as string;
    expect(statSync(record).mode & 0o777).toBe(0o600);
    const rec = readJsonFile<{ state: string; steps: { status: string }[]; subjects: { id: string }[] }>(
      record,
    );
    expect(rec.state).toBe('completed');
    expect(rec.steps.map((s) => s.status)).toEqual(['done', 'done']);
    expect(rec.subjects[0]?.id).toMatch(/^AIDA/);

    // Idempotent: the second run plans nothing, makes no changing call and writes no record.
    await env.control('POST', '/_sim/stats/reset');
    const r2 = await env.run(['revoke-key', KEY_A(), '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r2.code).toBe(0);
    expect(json(r2).outcome).toBe('nothing-to-do');
    expect(json(r2).record).toBeNull();
    const stats = (await env.control('GET', '/_sim/stats')) as { calls: Record<string, number> };
    expect(Object.keys(stats.calls).filter((k) => /:(Update|Delete|Put|Create)/.test(k))).toEqual([]);

    // Restore: the leaked key works again (the responder decided it was a false alarm).
    const r3 = await env.run(['restore', record, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r3.code).toBe(0);
    expect(
      json(r3)
        .actions.filter((a) => a.status === 'done')
        .map((a) => a.action),
    ).toEqual(['iam:UpdateAccessKey', 'iam:UpdateServiceSpecificCredential']);
    expect(await env.invoke(KEY_A())).toBe(200);
    const r4 = await env.run(['restore', record, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(json(r4).outcome).toBe('nothing-to-do');

    expectNoSecret(allText(r1, r2, r3, r4, JSON.stringify(rec)));
  });

  it('a Claude Platform key (AEAA…): its credential, and --all-keys denies aws-external-anthropic:* (from the service table)', async () => {
    const claude = Buffer.concat([
      Buffer.from([0, 0x40, 0]),
      Buffer.from(`AeaApiKey-k9x2-at-${ACCT}:${secret('claude')}`),
    ]).toString('base64');
    expect(claude.startsWith('AEAA')).toBe(true);
    const r = await env.run([
      'revoke-key',
      claude,
      '--all-keys',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r.code).toBe(0);
    const u = userOf(await env.state(), 'AeaApiKey-k9x2');
    expect(u?.serviceCredentials?.map((c) => c.status)).toEqual(['Inactive']);
    expect(JSON.stringify(u?.inlinePolicies?.['bks-revoke-deny'])).toContain('aws-external-anthropic:*');
    expect(JSON.stringify(u?.inlinePolicies?.['bks-revoke-deny'])).not.toContain('bedrock');
    expect(allText(r)).not.toContain(secret('claude'));
  });

  it('the +1 key: only the second credential goes', async () => {
    const r = await env.run(['revoke-key', KEY_B(), '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r.code).toBe(0);
    expect(await env.invoke(KEY_B())).toBe(403);
    expect(await env.invoke(KEY_A())).toBe(200);
  });

  it('--all-keys: both keys refused and the fixed-name deny policy; once only; restore removes it', async () => {
    const r1 = await env.run([
      'revoke-key',
      KEY_A(),
      '--all-keys',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r1.code).toBe(0);
    expect(await env.invoke(KEY_A())).toBe(403);
    expect(await env.invoke(KEY_B())).toBe(403);
    const policies = userOf(await env.state(), PHANTOM)?.inlinePolicies ?? {};
    expect(Object.keys(policies)).toEqual(['bks-revoke-deny']);
    expect(JSON.stringify(policies['bks-revoke-deny'])).toContain('bedrock-mantle:*');

    const r2 = await env.run(['revoke-key', PHANTOM, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(json(r2).outcome).toBe('nothing-to-do');
    expect(Object.keys(userOf(await env.state(), PHANTOM)?.inlinePolicies ?? {})).toEqual([
      'bks-revoke-deny',
    ]);

    const r3 = await env.run([
      'restore',
      json(r1).record as string,
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r3.code).toBe(0);
    expect(Object.keys(userOf(await env.state(), PHANTOM)?.inlinePolicies ?? {})).toEqual([]);
    expect(await env.invoke(KEY_A())).toBe(200);
    expect(await env.invoke(KEY_B())).toBe(200);
  });

  it('restore refuses when the deny policy was edited since, and says why', async () => {
    const r1 = await env.run([
      'revoke-key',
      KEY_A(),
      '--all-keys',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    const { IAMClient, PutUserPolicyCommand } = await import('@aws-sdk/client-iam');
    const iam = new IAMClient({
      endpoint: env.sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET },
    });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: PHANTOM,
        PolicyName: 'bks-revoke-deny',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const r2 = await env.run(['restore', json(r1).record as string, '-y', '--record-dir', env.dir]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/cannot restore safely: inline policy bks-revoke-deny .* was edited/);
    expect(await env.invoke(KEY_A())).toBe(403);
  });

  it('a revoke that replaced an existing bks-revoke-deny: restore puts the old one back, a second restore changes nothing (exit 0)', async () => {
    const { IAMClient, PutUserPolicyCommand, GetUserPolicyCommand } = await import('@aws-sdk/client-iam');
    const iam = new IAMClient({
      endpoint: env.sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET },
    });
    // An earlier revoke (or an analyst) left a deny over bedrock:* only, written with whitespace.
    const before = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'bedrock:*', Resource: '*' }],
    };
    await iam.send(
      new PutUserPolicyCommand({
        UserName: PHANTOM,
        PolicyName: 'bks-revoke-deny',
        PolicyDocument: JSON.stringify(before, null, 2),
      }),
    );
    const r1 = await env.run([
      'revoke-key',
      KEY_A(),
      '--all-keys',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r1.code).toBe(0);
    const record = json(r1).record as string;
    const readDoc = async () =>
      JSON.parse(
        decodeURIComponent(
          (await iam.send(new GetUserPolicyCommand({ UserName: PHANTOM, PolicyName: 'bks-revoke-deny' })))
            .PolicyDocument ?? '',
        ),
      );
    expect(JSON.stringify(await readDoc())).toContain('bedrock-mantle:*');

    const r2 = await env.run(['restore', record, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r2.code).toBe(0);
    expect(await readDoc()).toEqual(before);

    // Nothing changed since the first restore: the second one says so and changes nothing.
    await env.control('POST', '/_sim/stats/reset');
    const r3 = await env.run(['restore', record, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r3.stderr).not.toMatch(/edited since/);
    expect(r3.code).toBe(0);
    expect(json(r3).outcome).toBe('nothing-to-do');
    expect(json(r3).actions.find((a) => a.target.includes('bks-revoke-deny'))).toMatchObject({
      status: 'unchanged',
    });
    const stats = (await env.control('GET', '/_sim/stats')) as { calls: Record<string, number> };
    expect(Object.keys(stats.calls).filter((k) => /:(Update|Delete|Put|Create)/.test(k))).toEqual([]);
    expect(await readDoc()).toEqual(before);

    // A third party editing the restored policy still makes restore refuse (neither state of the record).
    await iam.send(
      new PutUserPolicyCommand({
        UserName: PHANTOM,
        PolicyName: 'bks-revoke-deny',
        PolicyDocument: JSON.stringify({ ...before, Statement: [{ ...before.Statement[0], Action: '*' }] }),
      }),
    );
    const r4 = await env.run(['restore', record, '-y', '--record-dir', env.dir]);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/was edited since the revoke/);
  });

  it('--delete deletes (irreversible, says so) and restore says it cannot bring it back', async () => {
    const r1 = await env.run([
      'revoke-key',
      KEY_A(),
      '--delete',
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r1.code).toBe(0);
    expect(r1.stderr).toMatch(/IRREVERSIBLE/);
    expect(userOf(await env.state(), PHANTOM)?.serviceCredentials).toHaveLength(1);
    expect(await env.invoke(KEY_A())).toBe(403);
    expect(await env.invoke(KEY_B())).toBe(200);
    const r2 = await env.run([
      'restore',
      json(r1).record as string,
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(r2.code).toBe(0);
    expect(json(r2).outcome).toBe('nothing-to-do');
    expect(json(r2).actions.map((a) => a.status)).toEqual(['refused', 'refused']);
    expect(JSON.stringify(json(r2).actions)).toMatch(/cannot be undone \(deleted\)/);
  });

  it('refuses a non-phantom user without --force (exit 2) and a key of an unreachable account (exit 3), nothing changed', async () => {
    const r1 = await env.run(['revoke-key', 'alice', '-y', '--record-dir', env.dir]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/alice is not a phantom.*--force/);
    const foreign = longTermKey(`${PHANTOM}-at-${OTHER}`, secret('a'));
    // A key of an account the caller cannot reach: exit 3 (issue: it is an AWS failure, not bad input).
    const r2 = await env.run(['revoke-key', foreign, '-y', '--record-dir', env.dir]);
    expect(r2.code).toBe(3);
    expect(r2.stderr).toMatch(/belongs to account 222222222222.*account 111111111111/);
    expect(await env.invoke(ALICE_KEY())).toBe(200);
    const r3 = await env.run(['revoke-key', ALICE_KEY(), '--force', '-y', '--record-dir', env.dir]);
    expect(r3.code).toBe(0);
    expect(await env.invoke(ALICE_KEY())).toBe(403);
    expectNoSecret(allText(r1, r2, r3));
  });

  it('without a terminal and without --yes it refuses (exit 2); --dry-run changes nothing', async () => {
    const r1 = await env.run(['revoke-key', KEY_A(), '--record-dir', env.dir]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/stdin is not a terminal/);
    const r2 = await env.run(['revoke-key', KEY_A(), '--dry-run', '-o', 'json', '--record-dir', env.dir]);
    expect(r2.code).toBe(0);
    expect(json(r2).outcome).toBe('dry-run');
    expect(json(r2).actions.map((a) => a.status)).toEqual(['planned', 'planned']);
    expect(await env.invoke(KEY_A())).toBe(200);
  });

  it('a call failing mid-way: exit 3, the record says what was done and what failed; a rerun finishes', async () => {
    await env.control('PUT', '/_sim/faults', {
      faults: [{ action: 'iam:UpdateAccessKey', error: 'AccessDenied', message: 'denied by an SCP' }],
    });
    const r1 = await env.run(['revoke-key', KEY_A(), '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r1.code).toBe(3);
    const rec = readJsonFile<{ state: string; steps: { action: string; status: string; error?: string }[] }>(
      json(r1).record as string,
    );
    expect(rec.state).toBe('failed');
    expect(rec.steps.map((s) => `${s.action}:${s.status}`)).toEqual([
      'UpdateServiceSpecificCredential:done',
      'UpdateAccessKey:failed',
    ]);
    expect(await env.invoke(KEY_A())).toBe(403);
    await env.control('PUT', '/_sim/faults', { faults: [] });
    const r2 = await env.run(['revoke-key', KEY_A(), '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r2.code).toBe(0);
    expect(
      json(r2)
        .actions.filter((a) => a.status === 'done')
        .map((a) => a.action),
    ).toEqual(['iam:UpdateAccessKey']);
  });

  it('bad input: one line, exit 2', async () => {
    const r = await env.run(['revoke-key', 'ABSK!!!notbase64', '-y']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('revoke-key with a short-term key (bks-sim)', () => {
  async function assume(roleName: string, path = '/') {
    const sts = new STSClient({
      endpoint: env.sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET },
    });
    const r = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCT}:role${path}${roleName}`,
        RoleSessionName: 'app',
      }),
    );
    const c = r.Credentials!;
    return {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
  }
  // Keys made by AWS's own generator (a real SigV4 presign) with the session's credentials.
  const keyOf = (creds: SigningCredentials, region: string) =>
    generatedShortTermKey(creds, region, new Date());

  it('finds the signing role in the key region and denies its sessions issued before now; idempotent; restore removes the deny', async () => {
    const creds = await assume('ml-app');
    const key = await keyOf(creds, 'eu-west-1');
    expect(await env.invoke(key)).toBe(200); // leaves its CloudTrail record in eu-west-1
    const r1 = await env.run(['revoke-key', key, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r1.code).toBe(0);
    const out = json(r1);
    expect(out.signer).toEqual({ kind: 'role', arn: `arn:aws:iam::${ACCT}:role/ml-app` });
    expect(out.actions.map((a) => `${a.action}:${a.status}`)).toEqual(['iam:PutRolePolicy:done']);
    expect(await env.invoke(key)).toBe(403);
    const role = (await env.state()).accounts[0]?.roles.find((r) => r.name === 'ml-app');
    expect(JSON.stringify(role?.inlinePolicies)).toContain('aws:TokenIssueTime');

    const r2 = await env.run(['revoke-key', key, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(json(r2).outcome).toBe('nothing-to-do');

    const r3 = await env.run(['restore', out.record as string, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r3.code).toBe(0);
    expect(await env.invoke(key)).toBe(200);
    expect(allText(r1, r2, r3)).not.toContain(key.slice(20, 60));
  });

  it('timeline and report of a short-term key: its calls by access key id, its signer from the key region', async () => {
    const creds = await assume('ml-app');
    const asia = creds.accessKeyId;
    const key = await keyOf(creds, 'eu-west-1');
    expect(await env.invoke(key)).toBe(200);
    expect(await env.invoke(key)).toBe(200);
    const t = await env.run(['timeline', key, '--regions', 'us-east-1,eu-west-1', '-o', 'json']);
    expect(t.code).toBe(0);
    const tl = JSON.parse(t.stdout);
    expect(tl.lookups).toEqual([{ attributeKey: 'AccessKeyId', attributeValue: asia }]);
    expect(
      tl.events.map(
        (e: { eventName: string; region: string; bearerToken: boolean }) =>
          `${e.eventName}@${e.region}:${e.bearerToken}`,
      ),
    ).toEqual(['InvokeModel@eu-west-1:true', 'InvokeModel@eu-west-1:true']);
    const r = await env.run(['report', key, '--regions', 'us-east-1,eu-west-1', '-o', 'json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.signer).toMatchObject({ kind: 'role', arn: `arn:aws:iam::${ACCT}:role/ml-app` });
    expect(rep.commands[0].command).toBe('bks revoke-key "$LEAKED_KEY"');
    expect(allText(t, r)).not.toContain(key.slice(20, 60));
  });

  it('refuses an IAM Identity Center role and says what to do instead', async () => {
    const creds = await assume('AWSReservedSSO_Admin_0123abcd', '/aws-reserved/sso.amazonaws.com/');
    const key = await keyOf(creds, 'eu-west-1');
    expect(await env.invoke(key)).toBe(200);
    const r = await env.run(['revoke-key', key, '-y', '--record-dir', env.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/IAM Identity Center.*Active sessions.*Revoke/);
    expect(await env.invoke(key)).toBe(200);
  });

  it('fails closed when CloudTrail in the key region does not name the signer', async () => {
    const creds = await assume('ml-app');
    const key = await keyOf(creds, 'eu-west-1');
    // never used: no event in eu-west-1
    const r = await env.run(['revoke-key', key, '-y', '--record-dir', env.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no CloudTrail event in eu-west-1/);
  });

  it('an AKIA-signed key: the signing access key of its user is deactivated', async () => {
    const akia = userOf(await env.state(), PHANTOM)?.accessKeys?.[0]?.id as string;
    const key = await keyOf({ accessKeyId: akia, secretAccessKey: secret('ak') }, 'us-west-2');
    expect(await env.invoke(key)).toBe(200);
    const r = await env.run(['revoke-key', key, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r.code).toBe(0);
    expect(json(r).actions.map((a) => `${a.action}:${a.status}`)).toEqual(['iam:UpdateAccessKey:done']);
    expect(await env.invoke(key)).toBe(403);
    expect(await env.invoke(KEY_A())).toBe(200);
  });
});

describe('revoke-key - (the key on stdin, never in the process list)', () => {
  it('reads the key from stdin in a real process and revokes it', async () => {
    const { spawn } = await import('node:child_process');
    // The run's bundle of the sources under test (test/helpers/bundle.ts): a real process, stdin piped.
    const bin = (await testBundle()).bks;
    const child = spawn(
      process.execPath,
      [
        bin,
        'revoke-key',
        '-',
        '-y',
        '-o',
        'json',
        '--record-dir',
        env.dir,
        '--endpoint-url',
        env.sim.url,
        '--region',
        'us-east-1',
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: ADMIN_KEY,
          AWS_SECRET_ACCESS_KEY: ADMIN_SECRET,
          NO_COLOR: '1',
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.stdin.end(`\n  ${KEY_A()}  \n`);
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).target).toBe(`${PHANTOM}-at-${ACCT}`);
    expect(await env.invoke(KEY_A())).toBe(403);
    expect(await env.invoke(KEY_B())).toBe(200);
    expectNoSecret(`${stdout}\n${stderr}`);
  }, 60_000);
});
