/**
 * One key, one incident, over the wire (`bks-sim --pipeline`: forwarders, central bus, the real
 * dispatch handler with its incident table in the simulator's DynamoDB, the local workflow, Security
 * Hub, SNS and the approval page): later signals about a key are recorded on its incident, never
 * swallowed; a more severe one escalates the running incident (the finding's severity and note, one
 * SOC notification, the approval page) or, once its workflow has ended, starts a new workflow.
 * GuardDuty's findings are raised live in bks-sim (`POST /_sim/guardduty/findings`, published on
 * the member's default bus as GuardDuty does).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analyst } from '../../local/approval';
import { LivePipeline } from '../../local/pipeline';
import { until } from '../helpers/until';

const SEC = '111111111111';
const MEMBER = '222222222222';
const SECRET = (n: string) => ['s3cr3t', 'for', n, 'x'.repeat(24)].join('-');

/** A console phantom user with one Bedrock API key (its secret makes the key reconstructible). */
const phantom = (name: string, id: string) => ({
  name,
  managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
  serviceCredentials: [
    {
      id,
      service: 'bedrock.amazonaws.com',
      secret: SECRET(name),
      status: 'Active',
      createdAt: '2026-12-01T00:00:00Z',
      expiresAt: null,
    },
  ],
});

const USERS = ['BedrockAPIKey-aaaa', 'BedrockAPIKey-bbbb', 'BedrockAPIKey-cccc'] as const;

const scenario = () => ({
  now: new Date().toISOString(),
  accounts: [
    { id: SEC, regions: ['us-east-1'] },
    {
      id: MEMBER,
      regions: ['us-east-1'],
      guardDuty: {
        detectors: [
          {
            DetectorId: '12abc34d567e8fa901bc2d34e56789f0',
            Status: 'ENABLED',
            Features: [{ Name: 'AI_PROTECTION', Status: 'ENABLED' }],
          },
        ],
      },
      users: USERS.map((u, i) => phantom(u, `ACCAINCIDENTTEST0000${i}`)),
    },
  ],
});

/** The key of `user`: `ABSK` + base64(`<alias>:<secret>`), built from parts. */
const keyOf = (user: string) =>
  `ABSK${Buffer.from(`${user}-at-${MEMBER}:${SECRET(user)}`).toString('base64')}`;

interface Notification {
  subject: string;
  message: string;
}
interface Finding {
  Id: string;
  GeneratorId: string;
  Title: string;
  Severity: { Label: string };
  Note?: { Text: string };
  Resources: Array<{ Id: string }>;
}

describe('one key, one incident (bks-sim --pipeline)', () => {
  let p: LivePipeline;
  let sfn: SFNClient;
  let ddb: DynamoDBClient;

  beforeAll(async () => {
    p = new LivePipeline({ scenario: scenario() });
    await p.start();
    sfn = new SFNClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: p.credentials });
    ddb = new DynamoDBClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: p.credentials });
  }, 60_000);
  afterAll(async () => {
    sfn?.destroy();
    ddb?.destroy();
    await p?.stop();
  });

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${p.sim.url}${path}`)).json()) as T;
  const notifications = () => get<Notification[]>('/_sim/notifications');
  const findingsOf = async (user: string) =>
    (await get<{ findings: Finding[] }>('/_sim/findings')).findings.filter((f) =>
      f.Resources.some((r) => r.Id.endsWith(`:user/${user}`)),
    );
  const calls = async () => (await get<{ calls: Record<string, number> }>('/_sim/stats')).calls;
  const runsOf = (user: string) => p.traces.filter((t) => JSON.stringify(t).includes(user));
  /** Everything the pipeline does for the signals so far has happened. */
  const settled = async () => {
    await p.sim.deliveriesSettled();
    await new Promise((r) => setTimeout(r, 300));
    await p.sim.deliveriesSettled();
  };

  async function bearer(user: string): Promise<void> {
    const res = await fetch(`${p.sim.url}/model/anthropic.claude-3-haiku-20240307-v1:0/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyOf(user)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
  }

  /** GuardDuty AI Protection raises a finding about `user`'s model calls (bks-sim publishes it). */
  async function guardDuty(user: string): Promise<void> {
    const res = await fetch(`${p.sim.url}/_sim/guardduty/findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: MEMBER,
        region: 'us-east-1',
        type: 'Impact:IAMUser/AnomalousModelInvocation',
        userName: user,
        severity: 8,
      }),
    });
    expect(res.status).toBe(200);
  }

  async function approvalLink(user: string): Promise<string> {
    return until(
      `the approval request for ${user}`,
      async () => {
        const ask = (await notifications()).find(
          (x) => x.message.includes(user) && x.message.includes('/_pipeline/approve'),
        );
        return ask ? /http:\/\/127\.0\.0\.1:\d+\/_pipeline\/approve\?\S+/.exec(ask.message)?.[0] : undefined;
      },
      90_000,
    );
  }

  async function page(link: string): Promise<string> {
    const analyst = new Analyst(p.sim.url);
    await analyst.signIn({ sub: 'soc@acme.example', name: 'SOC', groups: ['soc'] });
    const got = await analyst.request(link);
    expect(got.status).toBe(200);
    return got.html;
  }

  /** The rows of the page's signals table: rule, severity, count. */
  const signalRows = (html: string) =>
    [
      ...(html.split('<h2>Signals that fired</h2>')[1]?.split('<h2>')[0] ?? '').matchAll(
        /<tr><td><code>([^<]+)<\/code><\/td><td>[^<]*<\/td><td>(\w+)<\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>(\d+)<\/td>/g,
      ),
    ].map((m) => `${m[1]} ${m[2]} ×${m[3]}`);

  it('a LOW bearer-use incident, then a GuardDuty finding on the same phantom: one incident escalated to HIGH, once', async () => {
    const user = USERS[0];
    await bearer(user);
    const link = await approvalLink(user);
    const [run] = runsOf(user);
    expect(run?.name).toMatch(/^BKS-010-BEDROCK-/);
    await until('the run to wait for the analyst', () => (run?.taskToken ? true : undefined));
    const before = await calls();

    await guardDuty(user);
    const escalated = await until(
      'the escalation notice',
      async () => {
        const e = (await notifications()).filter((x) => x.subject.startsWith('[bks] ESCALATED'));
        return e.length ? e : undefined;
      },
      90_000,
    );
    await settled();
    const after = await calls();

    // One incident: no second workflow, no second approval request, one finding.
    expect(runsOf(user)).toHaveLength(1);
    expect(
      (await notifications()).filter(
        (x) => x.message.includes(user) && x.message.includes('/_pipeline/approve'),
      ),
    ).toHaveLength(1);
    const findings = await findingsOf(user);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.GeneratorId).toBe('bks/pipeline/BKS-010-BEDROCK');
    // Raised to HIGH while the workflow waits, with a note saying by what.
    expect(findings[0]!.Severity.Label).toBe('HIGH');
    expect(findings[0]!.Note?.Text).toContain('ESCALATED from LOW to HIGH by BKS-019');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]!.subject).toBe(
      `[bks] ESCALATED to HIGH: Amazon Bedrock API key (long-term) of IAM user ${user}`,
    );
    expect(escalated[0]!.message).toContain('Impact:IAMUser/AnomalousModelInvocation');
    expect(escalated[0]!.message).not.toContain(keyOf(user).slice(4));
    // What the escalation cost: one status read, one finding update, one notice; no new execution.
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('states:DescribeExecution')).toBe(1);
    expect(delta('securityhub:BatchUpdateFindings')).toBe(1);
    expect(delta('sns:Publish')).toBe(1);
    expect(delta('states:StartExecution')).toBe(0);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: run!.executionArn }))).status).toBe(
      'RUNNING',
    );

    // The approval page lists both signals, read now.
    expect(signalRows(await page(link))).toEqual(['BKS-010-BEDROCK LOW ×1', 'BKS-019 HIGH ×1']);

    // A repeat at the incident's severity or below is recorded, and starts or sends nothing.
    const quiet = await calls();
    await bearer(user);
    await guardDuty(user);
    await settled();
    const later = await calls();
    for (const k of [
      'states:StartExecution',
      'states:DescribeExecution',
      'securityhub:BatchUpdateFindings',
      'sns:Publish',
    ]) {
      expect([k, (later[k] ?? 0) - (quiet[k] ?? 0)]).toEqual([k, 0]);
    }
    expect(runsOf(user)).toHaveLength(1);
    expect(signalRows(await page(link))).toEqual(['BKS-010-BEDROCK LOW ×2', 'BKS-019 HIGH ×2']);

    // Another key is another incident: its own workflow and finding.
    const other = USERS[1];
    await bearer(other);
    await approvalLink(other);
    expect(runsOf(other)).toHaveLength(1);
    expect(await findingsOf(other)).toHaveLength(1);
    expect((await findingsOf(other))[0]!.Severity.Label).toBe('LOW');
    expect(runsOf(user)).toHaveLength(1);
  }, 300_000);

  it('a more severe signal after the workflow ended starts a new workflow on the same incident and finding', async () => {
    const user = USERS[2];
    await bearer(user);
    const link = await approvalLink(user);
    const [first] = runsOf(user);
    // The analyst rejects: the workflow ends.
    const analyst = new Analyst(p.sim.url);
    await analyst.signIn({ sub: 'soc@acme.example', name: 'SOC', groups: ['soc'] });
    const shown = await analyst.request(link);
    expect((await analyst.submit(shown, { choice: 'reject', reason: 'looks like our CI' })).status).toBe(200);
    expect((await p.done(first!.executionArn)).status).toBe('SUCCEEDED');

    await guardDuty(user);
    const second = await until(
      'a new workflow',
      () => runsOf(user).find((t) => t.name !== first!.name),
      90_000,
    );
    expect(second.name).toMatch(/^BKS-019-/);
    await settled();
    expect(runsOf(user)).toHaveLength(2);
    // The same incident: its record names both workflows, its signals both rules.
    const key = `${MEMBER}|arn:aws:iam::${MEMBER}:user/${user}`;
    const item = (
      await ddb.send(
        new GetItemCommand({ TableName: p.deployment.counterTable, Key: { pk: { S: `open#${key}` } } }),
      )
    ).Item!;
    expect(item['incident']?.S).toBe(first!.name);
    expect(item['execution']?.S).toBe(second.name);
    expect(item['rules']?.SS?.sort()).toEqual(['BKS-010-BEDROCK', 'BKS-019']);
    // One finding, raised again by the new workflow at the new severity; no escalation notice.
    await until('the new run to ask', () => (second.taskToken ? true : undefined));
    const findings = await findingsOf(user);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.Severity.Label).toBe('HIGH');
    expect(
      (await notifications()).filter((x) => x.subject.includes('ESCALATED') && x.subject.includes(user)),
    ).toEqual([]);
  }, 300_000);
});
