/**
 * `bks scp check` over the wire against moto's Organizations (python3 + moto on this machine), with
 * the real AWS SDK v3 client: a second, independent server besides bks-sim, so our reading of the
 * Organizations protocol is checked against someone else's implementation too. Needs moto's
 * server (skipped without it, failing on CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { collectOrganization } from '../../src/policy/check';
import { loadScpCatalog, minifyPolicy, renderScp } from '../../src/policy/scps';
import { skipWithout, TOOLS } from '../helpers/tools';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function bks(env: Record<string, string>, ...argv: string[]) {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
    return true;
  });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const err = new PassThrough();
  const errChunks: Buffer[] = [];
  err.on('data', (c: Buffer) => errChunks.push(c));
  try {
    const code = await main(argv, err);
    return { code, out: chunks.join(''), err: Buffer.concat(errChunks).toString('utf8') };
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
}

describe.skipIf(skipWithout(TOOLS.motoServer))('bks scp check against moto Organizations', () => {
  let moto: ChildProcess;
  let endpoint: string;
  let client: OrganizationsClient;
  const env = {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
    });
    client = new OrganizationsClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    for (let i = 0; ; i++) {
      try {
        await fetch(`${endpoint}/moto-api/`);
        break;
      } catch {
        if (i > 450) throw new Error('moto did not start within 45 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await client.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const root = (await client.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    await client.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    const ou = async (parent: string, name: string) =>
      (await client.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name })))
        .OrganizationalUnit!.Id!;
    const account = async (name: string, parent: string) => {
      const id = (
        await client.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))
      ).CreateAccountStatus!.AccountId!;
      await client.send(
        new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }),
      );
      return id;
    };
    const policy = async (name: string, content: string) =>
      (
        await client.send(
          new CreatePolicyCommand({
            Name: name,
            Description: name,
            Type: 'SERVICE_CONTROL_POLICY',
            Content: content,
          }),
        )
      ).Policy!.PolicySummary!.Id!;
    const catalog = loadScpCatalog();
    const shipped = (name: string) => minifyPolicy(renderScp(catalog.find((e) => e.name === name)!));

    ids.prodOu = await ou(root, 'prod');
    ids.teamOu = await ou(ids.prodOu, 'team-a');
    ids.sandboxOu = await ou(root, 'sandbox');
    ids.prod = await account('prod-app', ids.teamOu);
    ids.sandbox = await account('sandbox-1', ids.sandboxOu);
    const longTerm = await policy('bks-deny-long-term-api-keys', shipped('deny-long-term-api-keys'));
    const maxAge = await policy('bks-api-key-max-age', shipped('api-key-max-age'));
    const escalation = await policy('corp-phantom-lockdown', shipped('deny-phantom-escalation'));
    await client.send(new AttachPolicyCommand({ PolicyId: longTerm, TargetId: ids.prodOu }));
    await client.send(new AttachPolicyCommand({ PolicyId: maxAge, TargetId: ids.teamOu }));
    await client.send(new AttachPolicyCommand({ PolicyId: escalation, TargetId: ids.prod }));
  });

  afterAll(() => {
    moto?.kill('SIGTERM');
  });

  it('walks roots, OUs, accounts and policies with one call per target and per distinct policy', async () => {
    const { snapshot, apiCalls, errors } = await collectOrganization(client);
    expect(errors).toEqual([]);
    expect(snapshot.managementAccountId).toBe('123456789012');
    // 1 root + 3 OUs list their children; 1 root + 3 OUs + 3 accounts list their policies;
    // 4 distinct policies (FullAWSAccess and three of ours) are described once each.
    expect(apiCalls).toEqual({
      DescribeOrganization: 1,
      ListRoots: 1,
      ListOrganizationalUnitsForParent: 4,
      ListAccountsForParent: 4,
      ListPoliciesForTarget: 7,
      DescribePolicy: 4,
    });
  });

  it('reports inherited controls per account and flags the management account', async () => {
    const { code, out } = await bks(env, 'scp', 'check', '--endpoint-url', endpoint, '-o', 'json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as {
      schema: string;
      accounts: { accountId: string; management: boolean; controls: { control: string; status: string }[] }[];
    };
    expect(report.schema).toBe('bks.scp-check/v1');
    const statuses = (id: string) =>
      Object.fromEntries(
        report.accounts.find((a) => a.accountId === id)!.controls.map((c) => [c.control, c.status]),
      );
    expect(statuses(ids.prod!)).toEqual({
      'api-key-max-age': 'in-force',
      'deny-api-keys': 'partial',
      'deny-long-term-api-keys': 'in-force',
      'deny-phantom-escalation': 'in-force',
      'deny-phantom-users': 'missing',
    });
    expect(Object.values(statuses(ids.sandbox!))).toEqual(Array(5).fill('missing'));
    expect(Object.values(statuses('123456789012'))).toEqual(Array(5).fill('not-covered'));
  });

  it('exits 1 with --fail-on missing and renders table and markdown', async () => {
    const table = await bks(env, 'scp', 'check', '--endpoint-url', endpoint, '--fail-on', 'missing');
    expect(table.code).toBe(1);
    expect(table.out).toMatch(/management account: SCPs never apply/);
    expect(table.out).toMatch(new RegExp(`${ids.prod}\\s+prod-app\\s+Root/prod/team-a\\s+yes\\s+PARTIAL`));
    const md = await bks(
      env,
      'scp',
      'check',
      '--endpoint-url',
      endpoint,
      '-o',
      'markdown',
      '--controls',
      'deny-phantom-escalation',
    );
    expect(md.code).toBe(0);
    expect(md.out).toContain('| Account | Name | Path | `phantom-escalation` |');
  });
});
