/**
 * `bks coverage` against bks-sim over real HTTP: every status (ok, missing, partial, unknown when a
 * read is denied, not-checkable), --org with an unreadable account, the exit codes (0 / 1 / 3, 2
 * for bad flags), and each output format.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoverageCheck, CoverageReport } from '../../src/coverage';
import { startSim, type SimHandle } from '../../sim/server';
import { bks } from '../cli/bks-runner';
import {
  ADMIN_KEY,
  ADMIN_SECRET,
  account,
  deployStateMachine,
  MEMBER,
  MGMT,
  okTrail,
  REGION,
  SELECTORS,
  STRANGER,
  scenario,
} from './fixtures';

let sim: SimHandle | undefined;

beforeEach(() => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', ADMIN_KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', ADMIN_SECRET);
  vi.stubEnv('AWS_REGION', REGION);
  vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/dev/null');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/dev/null');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await sim?.close();
  sim = undefined;
});

async function start(s: unknown, stateMachine = true): Promise<SimHandle> {
  sim = await startSim({ scenario: s });
  if (stateMachine) await deployStateMachine(sim);
  return sim;
}

async function coverage(...args: string[]): Promise<{ code: number; report: CoverageReport; stderr: string }> {
  const r = await bks(['coverage', '--endpoint-url', sim!.url, '-o', 'json', '--regions', REGION, ...args]);
  let report: CoverageReport;
  try {
    report = JSON.parse(r.stdout) as CoverageReport;
  } catch {
    throw new Error(`no JSON (exit ${r.code}): ${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

function check(report: CoverageReport, accountId: string, control: string, region = REGION): CoverageCheck {
  const c = report.accounts.find((a) => a.accountId === accountId)?.checks.find((x) => x.control === control && x.region === region);
  if (!c) throw new Error(`no ${control} in ${region} for ${accountId}`);
  return c;
}

function statuses(report: CoverageReport, accountId: string): Record<string, string> {
  const a = report.accounts.find((x) => x.accountId === accountId)!;
  return Object.fromEntries(a.checks.map((c) => [`${c.region} ${c.control}`, c.status]));
}

const REGIONAL = [
  'cloudtrail.management',
  'cloudtrail.data.bedrock-mantle',
  'cloudtrail.data.bedrock-agents',
  'pipeline.forwarders',
  'securityhub.enabled',
  'securityhub.administrator',
  'guardduty.ai-protection',
  'bedrock.invocation-logging',
];

describe('bks coverage', () => {
  it('every control in place: all ok (SCPs not-checkable on the management account), exit 0', async () => {
    await start(scenario());
    const { code, report, stderr } = await coverage();
    expect(stderr).toBe('');
    expect(report.schema).toBe('bks.coverage/v1');
    expect(report.pipeline).toEqual({ securityAccount: MGMT, homeRegion: REGION, namePrefix: 'bks' });
    const s = statuses(report, MGMT);
    for (const control of [...REGIONAL, 'pipeline.central-bus', 'pipeline.state-machine', 'pipeline.dlq']) {
      expect(s[`${REGION} ${control}`], control).toBe('ok');
    }
    const scp = report.accounts[0]!.checks.filter((c) => c.control.startsWith('scp.'));
    expect(scp.length).toBeGreaterThan(3);
    expect(scp.every((c) => c.status === 'not-checkable' && /management account/.test(c.detail))).toBe(true);
    expect(check(report, MGMT, 'cloudtrail.management').detail).toContain('trail/security');
    expect(report.accounts[0]!.status).toBe('not-checkable');
    expect(code).toBe(0);
  });

  it('--org: members read through the org role (their SCPs in force); an account that cannot be read is exit 3', async () => {
    const stranger = account(STRANGER, { roles: [] });
    await start(scenario({ accounts: [account(MGMT), account(MEMBER), stranger] }));
    const { code, report, stderr } = await coverage('--org');
    expect(report.accounts.map((a) => a.accountId)).toEqual([MGMT, MEMBER, STRANGER]);
    const member = statuses(report, MEMBER);
    for (const control of REGIONAL) expect(member[`${REGION} ${control}`], control).toBe('ok');
    expect(Object.entries(member).filter(([k]) => k.startsWith('global scp.')).every(([, v]) => v === 'ok')).toBe(true);
    expect(member[`${REGION} pipeline.state-machine`]).toBeUndefined();
    const s = report.accounts.find((a) => a.accountId === STRANGER)!;
    expect(s).toMatchObject({ status: 'unknown', checks: [] });
    expect(s.error).toMatch(/could not assume OrganizationAccountAccessRole/);
    expect(report.summary.unreadableAccounts).toBe(1);
    expect(stderr).toContain(`account ${STRANGER} not read`);
    expect(code).toBe(3);
  });

  it('missing: no trail, no forwarders, nothing enabled, exit 1', async () => {
    const bare = account(MGMT, {
      cloudtrail: { trails: [] },
      securityHub: undefined,
      guardDuty: undefined,
      bedrockLogging: undefined,
      eventBridge: undefined,
      sqs: undefined,
    });
    await start(scenario({ accounts: [bare] }), false);
    const { code, report } = await coverage();
    const s = statuses(report, MGMT);
    for (const control of [...REGIONAL, 'pipeline.central-bus', 'pipeline.state-machine', 'pipeline.dlq']) {
      expect(s[`${REGION} ${control}`], control).toBe('missing');
    }
    expect(check(report, MGMT, 'cloudtrail.management').detail).toBe('no trail covers this region');
    expect(check(report, MGMT, 'securityhub.enabled').fix).toContain('enable-security-hub');
    expect(check(report, MGMT, 'guardduty.ai-protection').detail).toContain('no detector');
    expect(code).toBe(1);
  });

  it('partial: write-only trail, a forwarder in ENABLED that needs read-only events, a failed delivery waiting, logging without text', async () => {
    const base = account(MGMT);
    const eventBridge = base.eventBridge as { rules: Record<string, unknown>[] };
    const bearerRule = eventBridge.rules.find((r) => r.Name === 'bks-fwd-BKS-010-BEDROCK')!;
    bearerRule.State = 'ENABLED';
    const broken = account(MGMT, {
      cloudtrail: {
        trails: [
          {
            Name: 'writes',
            IsMultiRegionTrail: true,
            EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }],
          },
        ],
      },
      eventBridge,
      sqs: { queues: [{ QueueName: 'bks-forwarder-dlq', Messages: [{ Body: '{"lost":true}' }] }, { QueueName: 'bks-dlq' }] },
      bedrockLogging: { s3Config: { bucketName: 'logs' }, textDataDeliveryEnabled: false },
    });
    await start(scenario({ accounts: [broken] }));
    const { code, report } = await coverage();
    const mgmt = check(report, MGMT, 'cloudtrail.management');
    expect(mgmt.status).toBe('partial');
    expect(mgmt.detail).toMatch(/not logged: read-only management events/);
    // Data events: basic selectors never select them.
    expect(check(report, MGMT, 'cloudtrail.data.bedrock-mantle').status).toBe('missing');
    const fwd = check(report, MGMT, 'pipeline.forwarders');
    expect(fwd.status).toBe('partial');
    expect(fwd.detail).toContain('BKS-010-BEDROCK is ENABLED, needs ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(fwd.detail).toContain('1 event(s) waiting in the dead-letter queue');
    const dlq = check(report, MGMT, 'pipeline.dlq');
    expect(dlq).toMatchObject({ status: 'partial' });
    expect(dlq.detail).toContain('bks-forwarder-dlq: 1');
    expect(check(report, MGMT, 'bedrock.invocation-logging').status).toBe('partial');
    expect(code).toBe(1);
  });

  it('partial: agents selected only in part; a trail that is not logging does not count', async () => {
    const trails = [
      { ...okTrail(), AdvancedEventSelectors: [SELECTORS.management, SELECTORS.agents[0]] },
      { Name: 'stopped', IsMultiRegionTrail: true, IsLogging: false, AdvancedEventSelectors: [SELECTORS.mantle] },
    ];
    await start(scenario({ accounts: [account(MGMT, { cloudtrail: { trails } })] }));
    const { report } = await coverage();
    const agents = check(report, MGMT, 'cloudtrail.data.bedrock-agents');
    expect(agents.status).toBe('partial');
    expect(agents.detail).toMatch(/not logged: knowledge-base retrievals .*; flow invocations/);
    const mantle = check(report, MGMT, 'cloudtrail.data.bedrock-mantle');
    expect(mantle.status).toBe('missing');
    expect(mantle.detail).toContain('not logging: arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped');
  });

  it('partial: the bedrock-mantle selector in part, a data selector narrowed by a call no page names; exit 1', async () => {
    const projectOnly = {
      Name: 'mantle projects',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::BedrockMantle::Project'] },
      ],
    };
    const narrowed = {
      Name: 'guardrails, some calls',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::Bedrock::PromptVersion'] },
        { Field: 'eventName', Equals: ['SomeCall'] },
      ],
    };
    const partly = [
      {
        ...okTrail(),
        AdvancedEventSelectors: [
          SELECTORS.management,
          projectOnly,
          narrowed,
          ...SELECTORS.agents.filter((a) => a.Name !== 'AWS::Bedrock::PromptVersion'),
        ],
      },
    ];
    await start(scenario({ accounts: [account(MGMT, { cloudtrail: { trails: partly } })] }));
    const { code, report } = await coverage();
    const part = check(report, MGMT, 'cloudtrail.data.bedrock-mantle');
    expect(part.status).toBe('partial');
    expect(part.detail).toMatch(/not logged: calls on customized models .*; calls on reservations/);
    // A call no AWS page names cannot be shown to pass an eventName filter.
    const agents = check(report, MGMT, 'cloudtrail.data.bedrock-agents');
    expect(agents.status).toBe('partial');
    expect(agents.detail).toContain('not logged: prompt calls (AWS::Bedrock::PromptVersion)');
    expect(code).toBe(1);
  });

  it('unknown: a denied read is never ok; exit 3 even when other controls are missing', async () => {
    const s = scenario({
      accounts: [account(MGMT, { bedrockLogging: undefined })],
      extra: {
        faults: [
          { action: 'cloudtrail:DescribeTrails', error: 'AccessDeniedException' },
          { action: 'guardduty:GetDetector', error: 'AccessDeniedException' },
          { action: 'events:ListTargetsByRule', error: 'AccessDeniedException' },
        ],
      },
    });
    await start(s);
    const { code, report } = await coverage();
    for (const control of ['cloudtrail.management', 'cloudtrail.data.bedrock-mantle', 'cloudtrail.data.bedrock-agents']) {
      const c = check(report, MGMT, control);
      expect(c.status, control).toBe('unknown');
      expect(c.detail).toContain('AccessDeniedException');
      expect(c.fix).toContain('cloudtrail:DescribeTrails');
    }
    expect(check(report, MGMT, 'guardduty.ai-protection')).toMatchObject({ status: 'unknown' });
    expect(check(report, MGMT, 'pipeline.forwarders')).toMatchObject({ status: 'unknown' });
    expect(check(report, MGMT, 'bedrock.invocation-logging').status).toBe('missing');
    expect(report.accounts[0]!.status).toBe('unknown');
    expect(code).toBe(3);
  });

  it('not-checkable: a detector whose GetDetector lists no AI_PROTECTION feature', async () => {
    const guardDuty = { detectors: [{ DetectorId: 'd0000000000000000000000000000001', Status: 'ENABLED', Features: [{ Name: 'CLOUD_TRAIL', Status: 'ENABLED' }] }] };
    await start(scenario({ accounts: [account(MGMT, { guardDuty })] }));
    const { code, report } = await coverage();
    const gd = check(report, MGMT, 'guardduty.ai-protection');
    expect(gd.status).toBe('not-checkable');
    expect(gd.detail).toContain('lists no AI_PROTECTION feature');
    expect(code).toBe(0);
  });

  it('--regions all reads the regions enabled in the account; markdown, table and asff render', async () => {
    await start(scenario({ accounts: [account(MGMT, { regions: ['us-east-1', 'eu-west-1'] })] }));
    const all = await bks(['coverage', '--endpoint-url', sim!.url, '-o', 'json']);
    const report = JSON.parse(all.stdout) as CoverageReport;
    expect(report.summary.regions).toEqual(['eu-west-1', 'us-east-1']);
    // eu-west-1 has no forwarders in this scenario.
    expect(check(report, MGMT, 'pipeline.forwarders', 'eu-west-1').status).toBe('missing');
    expect(all.code).toBe(1);
    const md = await bks(['coverage', '--endpoint-url', sim!.url, '-o', 'markdown', '--regions', 'eu-west-1']);
    expect(md.stdout).toContain('| eu-west-1 | `pipeline.forwarders` | missing |');
    const table = await bks(['coverage', '--endpoint-url', sim!.url, '--regions', 'eu-west-1', '--no-color']);
    expect(table.stdout).toMatch(/eu-west-1\s+pipeline\.forwarders\s+MISSING/);
    expect(table.stdout).toContain('Fix:');
    const asff = await bks(['coverage', '--endpoint-url', sim!.url, '-o', 'asff', '--regions', 'eu-west-1']);
    const findings = JSON.parse(asff.stdout) as { GeneratorId: string; Severity: { Label: string }; AwsAccountId: string }[];
    expect(findings.find((f) => f.GeneratorId === 'bks/coverage/pipeline.forwarders')).toMatchObject({
      Severity: { Label: 'HIGH' },
      AwsAccountId: MGMT,
    });
    expect(findings.every((f) => f.Severity.Label !== 'INFORMATIONAL')).toBe(true);
  });

  it('bad flags: one line, exit 2', async () => {
    await start(scenario(), false);
    for (const args of [
      ['--regions', 'mars-1'],
      ['--security-account', '12'],
      ['--accounts', MEMBER],
      ['--name-prefix', '!'],
    ]) {
      const r = await bks(['coverage', '--endpoint-url', sim!.url, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
