/**
 * `bks scan` against bks-sim over real HTTP with the real SDK clients: every status and reason,
 * fail-closed reads, throttling, pagination, call counts, organizations and partitions. The
 * credential report's polls (and any rate-limit pacing) run on virtual time shared with the sim
 * (test/helpers/virtual-time.ts): the same calls, without the 250 ms wait per account.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateScenario } from '../../sim/generate';
import { type SimHandle, startSim } from '../../sim/server';
import { createAws } from '../../src/aws';
import { main } from '../../src/cli/main';
import { scanCommand } from '../../src/cli/scan';
import { batchFindings, scanUserFinding } from '../../src/findings';
import { type AccountScan, collectAccount, type ScanUser, scanInventory } from '../../src/inventory';
import { SERVICES, selectServices } from '../../src/services';
import { type VirtualTime, virtualTime } from '../helpers/virtual-time';

const DAY = 86_400_000;
const nowMs = Date.now();
const at = (days: number) => new Date(nowMs + days * DAY).toISOString();
const ACCOUNT = '111111111111';
const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'sim' };
const policy = (name: string, partition = 'aws') => `arn:${partition}:iam::aws:policy/${name}`;
const BEDROCK = 'bedrock.amazonaws.com';
const CLAUDE = 'aws-external-anthropic.amazonaws.com';

function accountScenario(partition = 'aws') {
  const lim = policy('AmazonBedrockLimitedAccess', partition);
  const cred = (over: Record<string, unknown> = {}) => ({
    service: BEDROCK,
    createdAt: at(-10),
    expiresAt: at(30),
    ...over,
  });
  return {
    partition,
    now: new Date(nowMs).toISOString(),
    accounts: [
      {
        id: ACCOUNT,
        groups: [{ name: 'devs' }],
        users: [
          { name: 'secops', managedPolicies: [policy('SecurityAudit', partition)] },
          {
            name: 'BedrockAPIKey-risk',
            managedPolicies: [lim],
            serviceCredentials: [cred()],
            accessKeys: [{ status: 'Active', createdAt: at(-5), lastUsedAt: at(-1) }],
          },
          { name: 'BedrockAPIKey-actv', managedPolicies: [lim], serviceCredentials: [cred()] },
          { name: 'BedrockAPIKey-orph', managedPolicies: [lim] },
          {
            name: 'BedrockAPIKey-expd',
            managedPolicies: [lim],
            serviceCredentials: [cred({ createdAt: at(-60), expiresAt: at(-30) })],
          },
          {
            name: 'BedrockAPIKey-cons',
            managedPolicies: [lim],
            loginProfile: true,
            mfaDevices: 1,
            groups: ['devs'],
            serviceCredentials: [cred({ expiresAt: null, createdAt: at(-200) })],
          },
          { name: 'BedrockAPIKey-look', serviceCredentials: [cred()] },
          {
            name: 'BedrockAPIKey-inac',
            managedPolicies: [lim],
            accessKeys: [{ status: 'Inactive', createdAt: at(-50), lastUsedAt: at(-3) }],
          },
          {
            name: 'alice',
            managedPolicies: [policy('AdministratorAccess', partition)],
            serviceCredentials: [cred({ expiresAt: null })],
          },
          { name: 'bob', accessKeys: [{ status: 'Active' }] },
          { name: 'git-user', serviceCredentials: [{ service: 'codecommit.amazonaws.com' }] },
          {
            name: 'AeaApiKey-zz99',
            managedPolicies: [policy('AnthropicLimitedAccess', partition)],
            serviceCredentials: [{ service: CLAUDE, expiresAt: at(20) }],
          },
          { name: '=HYPERLINK', serviceCredentials: [cred()] },
        ],
      },
    ],
  };
}

let time: VirtualTime;
beforeAll(() => {
  time = virtualTime();
});
afterAll(() => time.restore());

let sims: SimHandle[] = [];
async function sim(scenario: unknown): Promise<SimHandle> {
  const s = await startSim({ scenario, port: 0, waitClock: () => time.waitClock() });
  sims.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

function aws(s: SimHandle, region = 'us-east-1') {
  return createAws({
    region,
    endpointUrl: s.url,
    credentials: creds,
    retry: { baseDelayMs: 2, maxAttempts: 10 },
  });
}

async function scan(
  s: SimHandle,
  opts: { fresh?: boolean; pageSize?: number; region?: string; maxAgeDays?: number } = {},
) {
  const ctx = aws(s, opts.region);
  const result = await collectAccount(ctx, {
    services: selectServices('all'),
    fresh: opts.fresh,
    pageSize: opts.pageSize,
    maxAgeDays: opts.maxAgeDays,
    reportTimeoutMs: 10_000,
  });
  ctx.destroy();
  return { result, calls: ctx.calls };
}

const byName = (r: AccountScan) => new Map(r.users.map((u) => [`${u.userName}/${u.service}`, u]));
const user = (r: AccountScan, name: string, service = 'bedrock'): ScanUser => {
  const u = byName(r).get(`${name}/${service}`);
  if (!u) throw new Error(`${name}/${service} not listed: ${[...byName(r).keys()].join(' ')}`);
  return u;
};
const has = (u: ScanUser, re: RegExp) => u.reasons.some((r) => re.test(r));
const verdicts = (r: AccountScan) => r.users.map((u) => `${u.userName}/${u.service}=${u.status}`).sort();

describe('scan against bks-sim', () => {
  it('finds every status and reason in one account, in a constant number of calls', async () => {
    const s = await sim(accountScenario());
    const { result, calls } = await scan(s, { maxAgeDays: 90 });
    expect(result.status).toBe('ok');
    expect(result.accountId).toBe(ACCOUNT);
    expect(verdicts(result)).toEqual(
      [
        '=HYPERLINK/bedrock=ACTIVE',
        'AeaApiKey-zz99/claude-platform=ACTIVE',
        'BedrockAPIKey-actv/bedrock=ACTIVE',
        'BedrockAPIKey-cons/bedrock=AT_RISK',
        'BedrockAPIKey-expd/bedrock=ORPHANED',
        'BedrockAPIKey-inac/bedrock=ORPHANED',
        'BedrockAPIKey-look/bedrock=ACTIVE',
        'BedrockAPIKey-orph/bedrock=ORPHANED',
        'BedrockAPIKey-risk/bedrock=AT_RISK',
        'alice/bedrock=ACTIVE',
      ].sort(),
    );
    // Confirmed by ListAccessKeys, the AT_RISK verdict names the key by id (the report has no ids).
    expect(
      has(user(result, 'BedrockAPIKey-risk'), /active IAM access key AKIA[A-Z0-9]+ on a phantom user/),
    ).toBe(true);
    expect(user(result, 'BedrockAPIKey-risk').evidence).toEqual([
      'name-prefix',
      'managed-policy',
      'service-credential',
    ]);
    const cons = user(result, 'BedrockAPIKey-cons');
    expect(has(cons, /console password/)).toBe(true);
    expect(has(cons, /MFA device/)).toBe(true);
    expect(has(cons, /member of groups: devs/)).toBe(true);
    expect(has(cons, /never expires/)).toBe(true);
    expect(has(cons, /is 200 days old \(over the maximum key age, 90 days\)/)).toBe(true);
    expect(has(user(result, 'BedrockAPIKey-expd'), /expired on .* but is still listed \(Expired\)/)).toBe(
      true,
    );
    expect(
      has(
        user(result, 'BedrockAPIKey-look'),
        /named like a console phantom but AmazonBedrockLimitedAccess is not attached/,
      ),
    ).toBe(true);
    expect(has(user(result, 'BedrockAPIKey-inac'), /inactive IAM access key #1 was used 3 days ago/)).toBe(
      true,
    );
    expect(has(user(result, 'BedrockAPIKey-actv'), /no permissions boundary/)).toBe(true);
    const alice = user(result, 'alice');
    expect(alice.phantom).toBe(false);
    expect(has(alice, /API key on an ordinary IAM user/)).toBe(true);
    expect(alice.arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(result.users.some((u) => u.userName === 'bob' || u.userName === 'git-user')).toBe(false);
    // O(pages): no per-user call at all.
    // Pages, plus the confirmation of each AT_RISK verdict the report gave (issue 15: a stale report
    // must not keep a revoked user AT_RISK): ListAccessKeys + GetLoginProfile per at-risk user.
    const atRisk = result.users.filter((u) => u.status === 'AT_RISK').length;
    expect(atRisk).toBe(2);
    expect(calls.get('iam:ListAccessKeys')).toBe(atRisk);
    expect(calls.get('iam:GetLoginProfile')).toBe(atRisk);
    expect(calls.get('iam:ListServiceSpecificCredentials')).toBe(2);
    expect(calls.get('iam:GetAccountAuthorizationDetails')).toBe(1);
    // The report is polled: STARTED, a wait, COMPLETE (bks-sim builds it in 200 ms in the tests).
    expect(calls.get('iam:GenerateCredentialReport')).toBe(2);
    expect(calls.get('iam:GetCredentialReport')).toBe(1);
    expect(calls.total - 2 * atRisk).toBeLessThanOrEqual(10);
  });

  it('--fresh reads the same verdicts per candidate user, with key ids', async () => {
    const s = await sim(accountScenario());
    const cached = await scan(s);
    const fresh = await scan(s, { fresh: true });
    expect(verdicts(fresh.result)).toEqual(verdicts(cached.result));
    expect(user(fresh.result, 'BedrockAPIKey-risk').accessKeys[0]?.id).toMatch(/^AKIA/);
    expect(fresh.calls.get('iam:GenerateCredentialReport')).toBe(0);
    expect(fresh.calls.get('iam:ListAccessKeys')).toBe(10); // one per candidate user
  });

  it('a credential report older than the scan is reported as dataAsOf', async () => {
    // The sim's clock runs two hours behind the scanner's: its report is two hours old.
    const s = await sim({ ...accountScenario(), now: new Date(nowMs - 2 * 3600_000).toISOString() });
    const { result } = await scan(s);
    expect(result.dataAsOf).toBeDefined();
    expect(user(result, 'BedrockAPIKey-orph').dataAsOf).toBe(result.dataAsOf);
    // An AT_RISK verdict is confirmed by reading that user now (issue 15: a revoke done after the
    // report must not leave the user AT_RISK): its data is current, so it carries no dataAsOf.
    expect(user(result, 'BedrockAPIKey-risk').dataAsOf).toBeUndefined();
  });

  it('AccessDenied on the report falls back to per-user reads; a denied user read is UNKNOWN, never ORPHANED', async () => {
    const base = await scan(await sim(accountScenario()));
    const scenario = {
      ...accountScenario(),
      faults: [
        { action: 'iam:GenerateCredentialReport', error: 'AccessDenied' },
        { action: 'iam:ListAccessKeys', error: 'AccessDenied', where: { UserName: 'BedrockAPIKey-orph' } },
      ],
    };
    const { result } = await scan(await sim(scenario));
    expect(result.status).toBe('ok');
    expect(result.notes?.join()).toMatch(/credential report unavailable \(AccessDenied/);
    const orph = user(result, 'BedrockAPIKey-orph');
    expect(orph.status).toBe('UNKNOWN');
    expect(has(orph, /could not read its IAM access keys \(AccessDenied/)).toBe(true);
    const others = (r: AccountScan) => verdicts(r).filter((v) => !v.startsWith('BedrockAPIKey-orph/'));
    expect(others(result)).toEqual(others(base.result));
  });

  it.each([
    ['iam:GetLoginProfile', 'AccessDenied', 'BedrockAPIKey-orph'],
    ['iam:ListMFADevices', 'AccessDenied', 'BedrockAPIKey-orph'],
    ['iam:ListAccessKeys', 'Throttling', 'BedrockAPIKey-orph'],
    ['iam:GetAccessKeyLastUsed', 'AccessDenied', 'BedrockAPIKey-inac'],
  ])('--fresh: %s failing with %s makes the affected users UNKNOWN (%s)', async (action, error, victim) => {
    const s = await sim({ ...accountScenario(), faults: [{ action, error }] });
    const ctx = createAws({
      region: 'us-east-1',
      endpointUrl: s.url,
      credentials: creds,
      retry: { baseDelayMs: 1, maxAttempts: 2 },
    });
    const result = await collectAccount(ctx, { services: SERVICES, fresh: true });
    ctx.destroy();
    expect(user(result, victim).status).toBe('UNKNOWN');
    // Only users with an access key call GetAccessKeyLastUsed; every other read hits every user.
    if (action !== 'iam:GetAccessKeyLastUsed') {
      expect(result.users.filter((u) => u.status === 'ORPHANED')).toEqual([]);
    }
  });

  it('a denied credential listing fails the account and leaves its phantoms UNKNOWN', async () => {
    const s = await sim({
      ...accountScenario(),
      faults: [
        {
          action: 'iam:ListServiceSpecificCredentials',
          error: 'AccessDenied',
          where: { ServiceName: BEDROCK },
        },
      ],
    });
    const { result } = await scan(s);
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/could not list Amazon Bedrock credentials: AccessDenied/);
    const bedrockUsers = result.users.filter((u) => u.service === 'bedrock');
    expect(bedrockUsers.length).toBeGreaterThan(0);
    expect(new Set(bedrockUsers.map((u) => u.status))).toEqual(new Set(['UNKNOWN']));
    expect(user(result, 'AeaApiKey-zz99', 'claude-platform').status).toBe('ACTIVE');
  });

  it.each([
    ['NotSupportedService', 404],
    ['ServiceNotSupportedException', 400],
  ])(
    '"%s" from the credential listing where the service exists is a failed read, not an empty one',
    async (error, status) => {
      const s = await sim({
        ...accountScenario(),
        faults: [
          { action: 'iam:ListServiceSpecificCredentials', error, status, where: { ServiceName: BEDROCK } },
        ],
      });
      const { result } = await scan(s);
      expect(result.status).toBe('error');
      expect(result.error).toMatch(new RegExp(`could not list Amazon Bedrock credentials: ${error}`));
      // The phantom with an active key is not ORPHANED; the account is incomplete (an ordinary user
      // with a key cannot be seen without the listing), so the run exits 3 instead of 0.
      expect(user(result, 'BedrockAPIKey-risk').status).toBe('UNKNOWN');
      expect(result.users.filter((u) => u.service === 'bedrock' && u.status === 'ORPHANED')).toEqual([]);
      vi.stubEnv('AWS_ACCESS_KEY_ID', creds.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', creds.secretAccessKey);
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('AWS_PROFILE', '');
      vi.stubEnv('AWS_SESSION_TOKEN', '');
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        const code = await main(['scan', '--endpoint-url', s.url, '-o', 'json'], {
          write: () => true,
        } as unknown as NodeJS.WritableStream);
        expect(code).toBe(3);
      } finally {
        out.mockRestore();
        vi.unstubAllEnvs();
      }
    },
  );

  it('"NotSupportedService" in a partition where the service does not exist is a note, not a failure', async () => {
    // Bedrock API keys do not exist in the China partition ("Supported Regions … for Amazon Bedrock API keys").
    const s = await sim({
      ...accountScenario('aws-cn'),
      faults: [{ action: 'iam:ListServiceSpecificCredentials', error: 'NotSupportedService', status: 404 }],
    });
    const { result } = await scan(s, { region: 'cn-north-1' });
    expect(result.status).toBe('ok');
    expect((result.notes ?? []).join('\n')).toMatch(
      /Amazon Bedrock credentials are not supported in this partition/,
    );
  });

  it('a denied user listing fails the account; key holders are still listed, UNKNOWN', async () => {
    const s = await sim({
      ...accountScenario(),
      faults: [{ action: 'iam:GetAccountAuthorizationDetails', error: 'AccessDenied' }],
    });
    const { result } = await scan(s);
    expect(result.status).toBe('error');
    expect(result.users.length).toBeGreaterThan(0);
    expect(new Set(result.users.map((u) => u.status))).toEqual(new Set(['UNKNOWN']));
  });

  it('throttling on 30% of calls gives the same result as no faults', async () => {
    const base = await scan(await sim(accountScenario()), { pageSize: 3 });
    const s = await sim({
      ...accountScenario(),
      seed: 7,
      faults: [{ action: 'iam:*', error: 'Throttling', probability: 0.3 }],
    });
    const { result, calls } = await scan(s, { pageSize: 3 });
    expect(result.status).toBe('ok');
    // Credential ids are random per sim start: compare everything else.
    const strip = (r: AccountScan) =>
      JSON.stringify(r.users)
        .replace(/ACCA[A-Z0-9]+/g, 'ACCA…')
        .replace(/AKIA[A-Z0-9]+/g, 'AKIA…');
    expect(strip(result)).toBe(strip(base.result));
    expect(Object.values(calls.errors()).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(calls.total).toBeGreaterThan(base.calls.total);
  });

  it.each([
    [5, 10],
    [5, 11],
    [5, 4],
    [1, 3],
  ])('pages of %i over %i phantoms: none lost, none twice', async (pageSize, n) => {
    const lim = policy('AmazonBedrockLimitedAccess');
    const users = Array.from({ length: n }, (_, i) => ({
      name: `BedrockAPIKey-p${String(i).padStart(3, '0')}`,
      managedPolicies: [lim],
      serviceCredentials: [{ service: BEDROCK, expiresAt: at(10) }],
    }));
    const s = await sim({ now: new Date(nowMs).toISOString(), accounts: [{ id: ACCOUNT, users }] });
    const { result, calls } = await scan(s, { pageSize });
    expect(result.users.map((u) => u.userName)).toEqual(users.map((u) => u.name));
    expect(result.users.every((u) => u.status === 'ACTIVE' && u.credentials.length === 1)).toBe(true);
    expect(calls.get('iam:GetAccountAuthorizationDetails')).toBe(Math.max(1, Math.ceil(n / pageSize)));
  });

  it('doubling the users does not double the calls', async () => {
    const count = async (n: number) => {
      const scenario = generateScenario({ accounts: 1, users: n, phantoms: n / 10, seed: 5 });
      const s = await sim(scenario);
      const ctx = createAws({
        region: 'us-east-1',
        endpointUrl: s.url,
        credentials: { accessKeyId: scenario.principals?.[0]?.accessKeyId ?? '', secretAccessKey: 'x' },
      });
      const r = await collectAccount(ctx, { services: SERVICES });
      ctx.destroy();
      // Confirming each AT_RISK verdict costs 2 calls per at-risk user; everything else is pages.
      const confirmations = ctx.calls.get('iam:ListAccessKeys') + ctx.calls.get('iam:GetLoginProfile');
      const atRisk = r.users.filter((u) => u.status === 'AT_RISK').length;
      expect(confirmations).toBe(
        2 * new Set(r.users.filter((u) => u.status === 'AT_RISK').map((u) => u.userName)).size,
      );
      return { calls: ctx.calls.total - confirmations, users: r.users.length, atRisk };
    };
    const small = await count(400);
    const big = await count(800);
    expect(big.users).toBeGreaterThan(small.users * 1.5);
    expect(big.calls).toBeLessThanOrEqual(small.calls + 2);
  });

  it('org: one AssumeRole per member account (credentials reused even when the server clock is skewed), the management account with its own', async () => {
    // The generator's clock (2026-11-20) is days behind the scanner's: the credentials' server-side
    // Expiration looks past, yet must not trigger an AssumeRole per request.
    const scenario = generateScenario({ accounts: 4, users: 20, seed: 9 });
    const s = await sim(scenario);
    const ctx = createAws({
      region: 'us-east-1',
      endpointUrl: s.url,
      credentials: { accessKeyId: scenario.principals?.[0]?.accessKeyId ?? '', secretAccessKey: 'x' },
    });
    const r = await scanInventory(ctx, { services: SERVICES, org: true, accountConcurrency: 4 });
    ctx.destroy();
    expect(r.summary.accountsFailed).toBe(0);
    expect(ctx.calls.get('sts:AssumeRole')).toBe(3);
    expect(ctx.calls.get('iam:GetAccountAuthorizationDetails')).toBe(4);
    expect(ctx.calls.get('iam:ListServiceSpecificCredentials')).toBe(8);
    expect(ctx.calls.get('iam:GetCredentialReport')).toBe(4);
    expect(ctx.calls.get('iam:ListAccessKeys')).toBe(0);
  });

  it('its ASFF findings import into Security Hub without failures, and a re-import upserts', async () => {
    const s = await sim(accountScenario());
    const { result } = await scan(s);
    const ctx = aws(s);
    const findings = result.users.map((u) =>
      scanUserFinding(u, {
        account: ACCOUNT,
        region: 'us-east-1',
        partition: 'aws',
        generatedAt: new Date().toISOString(),
      }),
    );
    for (let round = 0; round < 2; round++) {
      for (const batch of batchFindings(findings)) {
        const out = await ctx
          .securityhub()
          .send(new BatchImportFindingsCommand({ Findings: batch as never }));
        expect(out.FailedFindings ?? []).toEqual([]);
        expect(out.SuccessCount).toBe(batch.length);
      }
    }
    ctx.destroy();
    const stored = (await (await fetch(`${s.url}/_sim/findings`)).json()) as
      | unknown[]
      | { findings: unknown[] };
    expect(Array.isArray(stored) ? stored.length : stored.findings.length).toBe(findings.length);
  });

  it('GovCloud: ARNs and managed policies in aws-us-gov, IAM signed for us-gov-west-1', async () => {
    const s = await sim(accountScenario('aws-us-gov'));
    const { result } = await scan(s, { region: 'us-gov-east-1' });
    const risk = user(result, 'BedrockAPIKey-risk');
    expect(risk.arn).toBe(`arn:aws-us-gov:iam::${ACCOUNT}:user/BedrockAPIKey-risk`);
    expect(risk.status).toBe('AT_RISK');
    expect(risk.evidence).toContain('managed-policy');
    expect(result.users.every((u) => u.arn.startsWith('arn:aws-us-gov:'))).toBe(true);
  });
});

describe('bks scan (CLI) against bks-sim', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  function env(s: SimHandle, key: string, region = 'us-east-1') {
    process.env.AWS_ACCESS_KEY_ID = key;
    process.env.AWS_SECRET_ACCESS_KEY = 'x';
    process.env.AWS_REGION = region;
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    return ['--endpoint-url', s.url];
  }
  async function run(args: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'bks-scan-'));
    const file = join(dir, 'out');
    const errs: string[] = [];
    const stderr = { write: (c: string) => errs.push(String(c)) } as unknown as NodeJS.WritableStream;
    const code = await main(['scan', ...args, '--out-file', file], stderr);
    return { code, out: readFileSync(file, 'utf8'), err: errs.join('') };
  }

  it('org mode: a refused AssumeRole fails that account (exit 3); the others are scanned', async () => {
    const scenario = generateScenario({ accounts: 4, users: 3, phantoms: 8, seed: 11 });
    const broken = scenario.accounts[2];
    if (!broken?.roles?.[0]) throw new Error('generator shape changed');
    broken.roles[0].trustedAccounts = ['999999999999'];
    const s = await sim(scenario);
    const flags = env(s, scenario.principals?.[0]?.accessKeyId ?? '');
    const { code, out } = await run([...flags, '--org', '-o', 'json', '--concurrency', '2']);
    expect(code).toBe(3);
    const json = JSON.parse(out);
    expect(json.schema).toBe('bks.scan/v1');
    expect(json.accounts.map((a: AccountScan) => a.accountId)).toEqual(scenario.accounts.map((a) => a.id));
    const failed = json.accounts.filter((a: AccountScan) => a.status === 'error');
    expect(failed.map((a: AccountScan) => a.accountId)).toEqual([broken.id]);
    expect(failed[0].error).toMatch(/could not assume OrganizationAccountAccessRole: AccessDenied/);
    for (const a of json.accounts.filter((x: AccountScan) => x.status === 'ok')) {
      expect(a.users.length).toBe(8);
    }
    expect(json.summary).toMatchObject({ accounts: 4, accountsFailed: 1 });
  });

  it('org mode honours --accounts and --skip-accounts, and --fail-on returns 1', async () => {
    const scenario = generateScenario({ accounts: 3, users: 1, phantoms: 3, seed: 2 });
    const s = await sim(scenario);
    const flags = env(s, scenario.principals?.[0]?.accessKeyId ?? '');
    const ids = scenario.accounts.map((a) => a.id);
    const { code, out } = await run([
      ...flags,
      '--org',
      '-o',
      'json',
      '--skip-accounts',
      ids[1] ?? '',
      '--fail-on',
      'at-risk',
    ]);
    expect(code).toBe(1); // the generator's third phantom is at risk
    expect(JSON.parse(out).accounts.map((a: AccountScan) => a.accountId)).toEqual([ids[0], ids[2]]);
    const only = await run([...flags, '--org', '-o', 'json', '--accounts', ids[1] ?? '']);
    expect(only.code).toBe(0);
    expect(JSON.parse(only.out).accounts.map((a: AccountScan) => a.accountId)).toEqual([ids[1]]);
  });

  it('--verbose logs one line per account on a non-TTY stderr; a TTY gets a bar; otherwise nothing', async () => {
    const scenario = generateScenario({ accounts: 3, users: 1, phantoms: 1, seed: 4 });
    const s = await sim(scenario);
    env(s, scenario.principals?.[0]?.accessKeyId ?? '');
    const sink = () => {
      const parts: string[] = [];
      return {
        parts,
        stream: { write: (c: string) => parts.push(String(c)) } as unknown as NodeJS.WritableStream,
      };
    };
    const out = sink();
    const verbose = sink();
    expect(
      await scanCommand(
        { org: true, endpointUrl: s.url, verbose: true, output: 'json' },
        { stdout: out.stream, stderr: verbose.stream },
      ),
    ).toBe(0);
    expect(verbose.parts.join('').match(/^\[\d\/3\] account \d{12}: \d+ users?$/gm)?.length).toBe(3);
    const quiet = sink();
    await scanCommand(
      { org: true, endpointUrl: s.url, output: 'json' },
      { stdout: out.stream, stderr: quiet.stream },
    );
    expect(quiet.parts.join('')).toBe('');
    const tty = sink();
    (tty.stream as unknown as { isTTY: boolean }).isTTY = true;
    await scanCommand(
      { org: true, endpointUrl: s.url, output: 'json' },
      { stdout: out.stream, stderr: tty.stream },
    );
    // The bar is erased when the scan ends (issue 15: no leftover on the terminal), not ended by \n.
    expect(tty.parts.join('')).toMatch(/^\r\[#+\.*\] 1\/3 accounts.*\r\[#{30}\] 3\/3 accounts\r\u001b\[2K$/s);
  });

  it('renders table, csv (formula-safe), markdown and asff without any secret', async () => {
    const s = await sim(accountScenario());
    const flags = env(s, 'AKIAIOSFODNN7EXAMPLE');
    const secrets: string[] = [];
    for (const a of (
      s.state as unknown as {
        accounts: {
          users: { serviceCredentials: { secret: string }[]; accessKeys: { secret: string }[] }[];
        }[];
      }
    ).accounts) {
      for (const u of a.users) {
        for (const c of u.serviceCredentials) secrets.push(c.secret);
        for (const k of u.accessKeys) secrets.push(k.secret);
      }
    }
    expect(secrets.length).toBeGreaterThan(5);
    const outputs: Record<string, string> = {};
    for (const format of ['table', 'json', 'csv', 'markdown', 'asff']) {
      const { code, out } = await run([...flags, '-o', format]);
      expect(code).toBe(0);
      outputs[format] = out;
      for (const secret of secrets) expect(out.includes(secret)).toBe(false);
    }
    expect(outputs.table).toMatch(/AT_RISK \(2\)/);
    expect(outputs.table).toMatch(/→ bks revoke-key BedrockAPIKey-risk/);
    expect(outputs.table).toMatch(/→ bks cleanup --service bedrock/);
    expect(outputs.csv).toMatch(/^111111111111,ok,'=HYPERLINK,/m);
    expect(outputs.csv).not.toMatch(/,=HYPERLINK/);
    expect(outputs.markdown).toMatch(/## Account 111111111111/);
    const findings = JSON.parse(outputs.asff ?? '[]');
    expect(findings.length).toBe(10);
    expect(findings[0].ProductArn).toBe(
      `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`,
    );
    const again = JSON.parse((await run([...flags, '-o', 'asff'])).out);
    expect(again.map((f: { Id: string }) => f.Id)).toEqual(findings.map((f: { Id: string }) => f.Id));
  });

  it('GovCloud through the CLI: partition from the region, ASFF ProductArn in aws-us-gov', async () => {
    const s = await sim(accountScenario('aws-us-gov'));
    const flags = env(s, 'AKIAIOSFODNN7EXAMPLE', 'us-gov-west-1');
    const json = JSON.parse((await run([...flags, '-o', 'json'])).out);
    expect(json.partition).toBe('aws-us-gov');
    const asff = JSON.parse((await run([...flags, '-o', 'asff'])).out);
    expect(asff[0].ProductArn).toMatch(/^arn:aws-us-gov:securityhub:us-gov-west-1:/);
    expect(asff[0].Resources[0].Id).toMatch(/^arn:aws-us-gov:iam::/);
  });

  it('org mode where the organization cannot be listed: exit 3 with one line naming the error', async () => {
    const scenario = generateScenario({ accounts: 2, users: 1, phantoms: 1, seed: 3 });
    const s = await sim({
      ...scenario,
      faults: [{ action: 'organizations:ListAccounts', error: 'AccessDeniedException' }],
    });
    const flags = env(s, scenario.principals?.[0]?.accessKeyId ?? '');
    const errs: string[] = [];
    const code = await main(['scan', ...flags, '--org', '-o', 'json'], {
      write: (c: string) => errs.push(c),
    } as unknown as NodeJS.WritableStream);
    expect(code).toBe(3);
    expect(errs.join('')).toMatch(/^bks: scan failed: AccessDeniedException.*\n$/);
  });

  it('rejects bad flags with exit 2 and one line', async () => {
    for (const args of [
      ['--service', 'nope'],
      ['--fail-on', 'sometimes'],
      ['--accounts', '111111111111'],
      ['--max-age-days', '0'],
      ['--org', '--accounts', '12'],
    ]) {
      const errs: string[] = [];
      const code = await main(['scan', ...args], {
        write: (c: string) => errs.push(c),
      } as unknown as NodeJS.WritableStream);
      expect(code, args.join(' ')).toBe(2);
      expect(errs.join('')).toMatch(/^bks: .+\n$/);
    }
  });
});
