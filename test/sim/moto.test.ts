/**
 * Differential test: the same IAM call sequence against moto (`moto_server` from the machine's
 * python3, on a free loopback port) and against bks-sim, through the JS SDK v3, comparing the
 * answers where moto implements the operation. Where the two disagree and AWS's documentation
 * says otherwise than moto, the difference is named below and the sim is held to AWS.
 * Needs moto_server (skipped without it, failing on CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { skipWithout, TOOLS } from '../helpers/tools';

const ACCOUNT = '123456789012'; // moto's default account
const POLICY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
});

/**
 * Where moto and AWS differ, AWS's documentation wins. Each entry: the step, what AWS does (and
 * the sim must do), and why moto's answer is not AWS's.
 */
const KNOWN_DIFFERENCES: Record<string, { aws: unknown; why: string }> = {
  'list-users-page': {
    aws: { first: ['alice', 'bob'], truncated: true, rest: ['carol'], restTruncated: false },
    why: 'AWS ListUsers honours MaxItems and answers IsTruncated + Marker; moto returns every user in one page',
  },
  'user-id': {
    aws: { idPrefix: 'AIDA' },
    why: 'AWS user ids start with AIDA (IAM identifiers reference); moto makes random lowercase ids',
  },
  'create-ssc': {
    aws: { alias: `alice-at-${ACCOUNT}`, status: 'Active', hasSecret: true },
    why: 'moto has no service-specific credentials for Bedrock (ServiceCredentialAlias)',
  },
};

type Obs = Record<string, unknown>;

async function observe(p: () => Promise<Obs>): Promise<Obs> {
  try {
    return await p();
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { error: err.name };
  }
}

/** The sequence: each step's observation, normalised to what both should agree on. */
async function sequence(iam: IAMClient): Promise<Record<string, Obs>> {
  const out: Record<string, Obs> = {};
  const step = async (name: string, p: () => Promise<Obs>) => {
    out[name] = await observe(p);
  };
  await step('create-user', async () => {
    const u = (await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/team/' }))).User!;
    return { name: u.UserName, path: u.Path, arn: u.Arn };
  });
  await step('user-id', async () => ({
    idPrefix: (await iam.send(new GetUserCommand({ UserName: 'alice' }))).User?.UserId?.slice(0, 4),
  }));
  await step('create-user-again', async () => ({
    ok: !!(await iam.send(new CreateUserCommand({ UserName: 'alice' }))),
  }));
  await step('get-user', async () => {
    const u = (await iam.send(new GetUserCommand({ UserName: 'alice' }))).User!;
    return { name: u.UserName, path: u.Path };
  });
  await step('get-missing-user', async () => ({
    ok: !!(await iam.send(new GetUserCommand({ UserName: 'ghost' }))),
  }));
  await iam.send(new CreateUserCommand({ UserName: 'bob' }));
  await iam.send(new CreateUserCommand({ UserName: 'carol' }));
  await step('list-users-page', async () => {
    const first = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
    const rest = await iam.send(new ListUsersCommand({ Marker: first.Marker }));
    return {
      first: first.Users?.map((u) => u.UserName),
      truncated: first.IsTruncated,
      rest: rest.Users?.map((u) => u.UserName),
      restTruncated: rest.IsTruncated ?? false,
    };
  });
  await step('tags', async () => {
    await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'ml' }] }));
    return { tags: (await iam.send(new ListUserTagsCommand({ UserName: 'alice' }))).Tags };
  });
  let keyId = '';
  await step('create-access-key', async () => {
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    keyId = k.AccessKeyId!;
    return {
      user: k.UserName,
      status: k.Status,
      hasSecret: (k.SecretAccessKey ?? '').length > 0,
      prefix: keyId.slice(0, 4),
    };
  });
  await step('list-access-keys', async () => {
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: keyId, Status: 'Inactive' }));
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }))).AccessKeyMetadata ?? [];
    return { keys: keys.map((k) => [k.AccessKeyId === keyId, k.Status, k.UserName]) };
  });
  await step('access-key-last-used', async () => {
    const r = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }));
    return { user: r.UserName };
  });
  await step('attach-policy', async () => {
    await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: POLICY }));
    const r = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
    return { attached: r.AttachedPolicies?.map((p) => [p.PolicyName, p.PolicyArn]) };
  });
  await step('inline-policy', async () => {
    await iam.send(
      new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'list-buckets', PolicyDocument: DOC }),
    );
    const names = (await iam.send(new ListUserPoliciesCommand({ UserName: 'alice' }))).PolicyNames;
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'list-buckets' }));
    return { names, doc: JSON.parse(decodeURIComponent(got.PolicyDocument!)) };
  });
  await step('missing-inline-policy', async () => ({
    ok: !!(await iam.send(new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'nope' }))),
  }));
  await step('login-profile', async () => {
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-9!' }));
    return {
      user: (await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }))).LoginProfile?.UserName,
    };
  });
  await step('empty-lists', async () => ({
    groups: (await iam.send(new ListGroupsForUserCommand({ UserName: 'alice' }))).Groups,
    mfa: (await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }))).MFADevices,
    ssh: (await iam.send(new ListSSHPublicKeysCommand({ UserName: 'alice' }))).SSHPublicKeys ?? [],
    certs: (await iam.send(new ListSigningCertificatesCommand({ UserName: 'alice' }))).Certificates,
  }));
  await step('create-ssc', async () => {
    const c = (
      await iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: 'alice',
          ServiceName: 'bedrock.amazonaws.com',
        }),
      )
    ).ServiceSpecificCredential!;
    return {
      alias: c.ServiceCredentialAlias,
      status: c.Status,
      hasSecret: (c.ServiceCredentialSecret ?? '').length > 0,
    };
  });
  await step('delete-user-with-blockers', async () => ({
    ok: !!(await iam.send(new DeleteUserCommand({ UserName: 'alice' }))),
  }));
  return out;
}

/** Tear-down sequence on the sim (moto may already have deleted the user). */
async function cleanup(iam: IAMClient, keyOwner: string): Promise<Obs> {
  return observe(async () => {
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: keyOwner }))).AccessKeyMetadata ?? [];
    for (const k of keys)
      await iam.send(new DeleteAccessKeyCommand({ UserName: keyOwner, AccessKeyId: k.AccessKeyId }));
    await iam.send(new DeleteLoginProfileCommand({ UserName: keyOwner }));
    await iam.send(new DetachUserPolicyCommand({ UserName: keyOwner, PolicyArn: POLICY }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: keyOwner, PolicyName: 'list-buckets' }));
    const sscs =
      (await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: keyOwner })))
        .ServiceSpecificCredentials ?? [];
    for (const c of sscs) {
      await iam.send(
        new DeleteServiceSpecificCredentialCommand({
          UserName: keyOwner,
          ServiceSpecificCredentialId: c.ServiceSpecificCredentialId,
        }),
      );
    }
    return { deleted: !!(await iam.send(new DeleteUserCommand({ UserName: keyOwner }))) };
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitFor(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`moto_server did not start at ${url}`);
}

describe.skipIf(skipWithout(TOOLS.motoServer))('IAM: bks-sim against moto, same calls', () => {
  let moto: ChildProcess;
  let sim: SimHandle;
  let motoOut: Record<string, Obs>;
  let simOut: Record<string, Obs>;
  let simIam: IAMClient;

  beforeAll(async () => {
    const port = await freePort();
    moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
      // AWS managed policies exist in every account; moto loads them only when asked.
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    });
    await waitFor(`http://127.0.0.1:${port}/moto-api/`, 30_000);
    sim = await startSim({ scenario: { accounts: [{ id: ACCOUNT }] } });
    const cfg = (endpoint: string) => ({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDDIFFERENTIAL', secretAccessKey: 'not-a-secret' },
      maxAttempts: 1,
    });
    simIam = new IAMClient(cfg(sim.url));
    motoOut = await sequence(new IAMClient(cfg(`http://127.0.0.1:${port}`)));
    simOut = await sequence(simIam);
  });
  afterAll(async () => {
    if (moto?.pid) moto.kill('SIGTERM');
    await sim?.close();
  });

  it('agrees with moto on every step moto implements (known differences aside)', () => {
    for (const [name, motoValue] of Object.entries(motoOut)) {
      if (name in KNOWN_DIFFERENCES) continue;
      expect(simOut[name], name).toEqual(motoValue);
    }
    // The steps that fail must fail with the same codes.
    expect(simOut['create-user-again']).toEqual({ error: 'EntityAlreadyExistsException' });
    expect(simOut['get-missing-user']).toEqual({ error: 'NoSuchEntityException' });
    expect(simOut['missing-inline-policy']).toEqual({ error: 'NoSuchEntityException' });
    // moto 5.2 refuses DeleteUser while blockers remain, as AWS does: compared above, not a difference.
    expect(simOut['delete-user-with-blockers']).toEqual({ error: 'DeleteConflictException' });
  });

  it('holds the sim to AWS where moto differs', async () => {
    const differences: string[] = [];
    for (const [name, known] of Object.entries(KNOWN_DIFFERENCES)) {
      const aws = known.aws as Obs;
      if ('error' in aws) expect(simOut[name], name).toEqual({ error: `${String(aws.error)}Exception` });
      else expect(simOut[name], name).toEqual(aws);
      if (JSON.stringify(motoOut[name]) !== JSON.stringify(simOut[name])) differences.push(name);
    }
    // Every named difference is a real one today (drop an entry when moto catches up).
    expect(differences.sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
    // And once its blockers are gone, the sim deletes the user as AWS does.
    expect(await cleanup(simIam, 'alice')).toEqual({ deleted: true });
  });
});
