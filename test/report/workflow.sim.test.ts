/**
 * The scheduled compliance workflow's Lambda handlers (list → map of per-account scans → aggregate)
 * run in-process against bks-sim over real HTTP with the real SDK clients: 20 accounts, two whose
 * OrganizationAccountAccessRole refuses the management account. S3, SNS and Security Hub are the
 * simulator's too, so the store, the notification and the findings are all over the wire. The
 * Distributed Map itself is Step Functions' job: here its items run with the same input the
 * state machine's ItemSelector builds ({runId, accountId, name}).
 */
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../sim/generate';
import { type SimHandle, startSim } from '../../sim/server';
import { snsMessages } from '../../sim/services/sns';
import { mapLimit } from '../../src/aws';
import type { ComplianceReport } from '../../src/report/compliance';
import { type VirtualTime, virtualTime } from '../helpers/virtual-time';

const MGMT = '111111111111';
const BUCKET = 'bks-compliance-reports';
const TOPIC = `arn:aws:sns:us-east-1:${MGMT}:bks-compliance`;

let sim: SimHandle;
let time: VirtualTime | undefined;
let env: NodeJS.ProcessEnv;
let handlers: {
  list: (e: { runId: string }) => Promise<{ accountsKey: string; accounts: number }>;
  scan: (e: { runId: string; accountId: string; name?: string }) => Promise<{ status: string }>;
  aggregate: (e: { runId: string }) => Promise<Record<string, unknown>>;
};
let s3: S3Client;
let hub: SecurityHubClient;
let scenario: ReturnType<typeof generateScenario>;
const broken: string[] = [];

beforeAll(async () => {
  // The sim clock at the real time: STS session expiries are then what the client's cache expects.
  scenario = generateScenario({
    accounts: 20,
    users: 2,
    phantoms: 6,
    seed: 9,
    now: new Date().toISOString(),
  });
  for (const i of [4, 13]) {
    const a = scenario.accounts[i];
    const role = a?.roles?.[0];
    if (!a || !role) throw new Error('generator shape changed');
    role.trustedAccounts = ['999999999999'];
    broken.push(a.id);
  }
  // Credential report polls and rate-limit pacing on virtual time (test/helpers/virtual-time.ts).
  time = virtualTime();
  sim = await startSim({ scenario, waitClock: time.waitClock });
  const principal = scenario.principals?.[0];
  if (!principal) throw new Error('generator shape changed');
  env = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: principal.accessKeyId,
    AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: sim.url,
    REPORT_BUCKET: BUCKET,
    TOPIC_ARN: TOPIC,
    ORG_ROLE: 'OrganizationAccountAccessRole',
    MAX_AGE_DAYS: '90',
    LINK_TTL_SECONDS: '900',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  const cfg = {
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey ?? '' },
  };
  s3 = new S3Client({ ...cfg, forcePathStyle: true });
  hub = new SecurityHubClient(cfg);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  handlers = {
    list: (await import('../../handlers/compliance-list-accounts')).handler,
    scan: (await import('../../handlers/compliance-scan-account')).handler,
    aggregate: (await import('../../handlers/compliance-aggregate')).handler as never,
  };
});

afterAll(async () => {
  time?.restore();
  process.env = env;
  s3?.destroy();
  hub?.destroy();
  await sim?.close();
});

async function getJson<T>(key: string): Promise<T> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse((await out.Body?.transformToString()) ?? '') as T;
}

/** What the Distributed Map does: every item of the ItemReader's array through the item Lambda. */
async function runMap(runId: string, skip: string[] = []) {
  const listed = await handlers.list({ runId });
  const items = await getJson<{ accountId: string; name?: string }[]>(listed.accountsKey);
  // MaxConcurrency: items in flight at once; a skipped item is one that failed (timeout, crash).
  const todo = items.filter((i) => !skip.includes(i.accountId));
  const results = await mapLimit(todo, 5, (item) => handlers.scan({ runId, ...item }));
  return { listed, items, results };
}

async function activeFindings(state: 'ACTIVE' | 'ARCHIVED') {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await hub.send(
      new GetFindingsCommand({
        Filters: {
          RecordState: [{ Value: state, Comparison: 'EQUALS' }],
          GeneratorId: [{ Value: 'bks/compliance/', Comparison: 'PREFIX' }],
        },
        NextToken: token,
        MaxResults: 100,
      }),
    );
    ids.push(...(page.Findings ?? []).map((f) => f.Id ?? ''));
    token = page.NextToken;
  } while (token);
  return ids.sort();
}

describe('compliance workflow handlers against bks-sim (20 accounts, 2 refusing AssumeRole)', () => {
  let first: ComplianceReport;

  it('run 1: lists, scans every account in isolation, aggregates, notifies with a short-lived link, imports findings', async () => {
    sim.resetStats();
    const { listed, items, results } = await runMap('run-1');
    expect(listed.accounts).toBe(20);
    expect(items.map((i) => i.accountId)).toEqual(scenario.accounts.map((a) => a.id));
    expect(results.filter((r) => r.status === 'error').length).toBe(2);

    const out = await handlers.aggregate({ runId: 'run-1' });
    expect(out).not.toHaveProperty('link'); // the bearer link stays out of the execution history
    expect(out).toMatchObject({ accounts: 20, accountsFailed: 2, notified: true, trend: null });

    first = await getJson<ComplianceReport>(String(out.jsonKey));
    expect(first.failedAccounts.map((f) => f.accountId).sort()).toEqual([...broken].sort());
    for (const f of first.failedAccounts)
      expect(f.error).toMatch(/could not assume OrganizationAccountAccessRole: AccessDenied/);
    expect(first.totals.phantoms).toBe(18 * 6); // the generator's 6 phantoms in every readable account
    expect(first.totals.byStatus.AT_RISK).toBeGreaterThan(0);
    expect(first.findings.filter((f) => f.rule === 'account-unreadable')).toHaveLength(2);

    const latest = await getJson<ComplianceReport>('latest/report.json');
    expect(latest.generatedAt).toBe(first.generatedAt);
    const html = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: String(out.htmlKey) }))
    ).Body?.transformToString();
    expect(html).toContain(`data-metric="accounts">20<`);

    // SNS: one message, the summary and a presigned link that lives LINK_TTL_SECONDS.
    const msgs = snsMessages(sim.ctx);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.topicArn).toBe(TOPIC);
    expect(msgs[0]?.subject).toMatch(/^bks compliance: \d+ findings, 2 accounts failed$/);
    expect(msgs[0]?.message).toContain('20 accounts (2 failed)');
    const link = /Report \(link valid until ([^)]+)\): (\S+)/.exec(msgs[0]?.message ?? '');
    expect(link).not.toBeNull();
    const url = new URL(link?.[2] ?? '');
    expect(url.pathname).toBe(`/${BUCKET}/${out.htmlKey}`);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^[A-Z0-9]+\/\d{8}\/us-east-1\/s3\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const signed = url.searchParams.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(
      `${signed.slice(0, 4)}-${signed.slice(4, 6)}-${signed.slice(6, 11)}:${signed.slice(11, 13)}:${signed.slice(13)}`,
    );
    // The printed expiry is the link's own (signed at that second), however slow the run was.
    expect(Date.parse(link?.[1] ?? '') - signedAt).toBe(900_000);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(html);

    // Security Hub: every verified finding upserted into the report's own account, nothing archived.
    expect(await activeFindings('ACTIVE')).toEqual(first.findings.map((f) => f.id).sort());
    expect(await activeFindings('ARCHIVED')).toEqual([]);

    // Cost: one AssumeRole per member account, one ListAccounts page per 20, one PutObject per result.
    const stats = sim.stats();
    expect(stats.calls['sts:AssumeRole']).toBe(19);
    expect(stats.calls['organizations:ListAccounts']).toBe(1);
    expect(stats.calls['s3:PutObject']).toBe(1 + 20 + 3);
    expect(stats.calls['sns:Publish']).toBe(1);
  });

  it('run 2: a fixed account resolves and archives, a failed map item stays unverified, the history grows', async () => {
    // One broken role is repaired; one at-risk phantom in a readable account loses its access key.
    const repaired = broken[0] as string;
    const acct = sim.state.accounts.find((a) => a.id === repaired);
    const role = acct?.roles.find((r) => r.name === 'OrganizationAccountAccessRole');
    if (!role) throw new Error('no role');
    role.trustedAccounts = [MGMT];
    const riskFinding = first.findings.find(
      (f) => f.rule === 'phantom-persistent-credential' && !broken.includes(f.accountId),
    );
    if (!riskFinding) throw new Error('fixture has no at-risk phantom');
    const user = sim.state.accounts
      .find((a) => a.id === riskFinding.accountId)
      ?.users.find((u) => u.name === riskFinding.userName);
    if (!user) throw new Error('no user');
    user.accessKeys = [];
    sim.ctx.index.invalidate();
    sim.advanceClock(5 * 3600); // past the credential report's 4-hour cache
    // And one account's map item fails this time: no result in S3.
    const lost = scenario.accounts[7]?.id as string;
    const lostFindings = first.findings.filter((f) => f.accountId === lost).map((f) => f.id);
    expect(lostFindings.length).toBeGreaterThan(0);

    await runMap('run-2', [lost]);
    const out = await handlers.aggregate({ runId: 'run-2' });
    const second = await getJson<ComplianceReport>(String(out.jsonKey));
    expect(second.failedAccounts.map((f) => f.accountId).sort()).toEqual([broken[1], lost].sort());
    expect(second.failedAccounts.find((f) => f.accountId === lost)?.error).toMatch(/no result: the map item/);
    const resolved = second.trend?.resolved.map((f) => f.id) ?? [];
    expect(resolved).toContain(riskFinding.id);
    expect(resolved).toContain(
      first.findings.find((f) => f.rule === 'account-unreadable' && f.accountId === repaired)?.id,
    );
    expect(second.trend?.unverified.sort()).toEqual(lostFindings.sort());
    expect(second.history).toHaveLength(2);

    const archived = await activeFindings('ARCHIVED');
    expect(archived).toEqual(resolved.sort());
    for (const id of lostFindings) expect(archived).not.toContain(id); // never archived while unread
    expect(snsMessages(sim.ctx)).toHaveLength(2);
    expect(snsMessages(sim.ctx)[1]?.message).toMatch(/\d+ new, \d+ resolved, \d+ unchanged, \d+ unverified/);
  });

  it('Security Hub refusing the import does not lose the report or the notice', async () => {
    await fetch(`${sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        faults: [{ action: 'securityhub:BatchImportFindings', error: 'AccessDeniedException' }],
      }),
    });
    const out = await handlers.aggregate({ runId: 'run-2' });
    expect(out.securityHubError).toMatch(/AccessDenied/);
    expect(out.notified).toBe(true);
    expect(snsMessages(sim.ctx).at(-1)?.message).toMatch(
      /Security Hub findings were not updated: .*AccessDenied/,
    );
    await fetch(`${sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: [] }),
    });
  });
});
