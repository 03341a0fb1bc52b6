import { describe, expect, it } from 'vitest';
import {
  type ApprovalDecision,
  CONSOLE_USER,
  handleCustomAction,
  MemoryApprovalStore,
  requestApproval,
} from '../../src/pipeline/approval';
import { normalize } from '../../src/pipeline/incident';
import { input, record } from './fixtures';

const BASE = 'https://approve.example.test/';
const TOKEN = `AQC${'t'.repeat(900)}-task-token-secret`;
const APPROVE = 'arn:aws:securityhub:us-east-1:123456789012:action/custom/BksApprove';
const REJECT = 'arn:aws:securityhub:us-east-1:123456789012:action/custom/BksReject';

const CHOICES = [
  {
    id: 'ACCAQ7XKFIRSTKEY0001',
    alias: 'BedrockAPIKey-q7xk-at-123456789012',
    serviceName: 'bedrock.amazonaws.com',
    status: 'Active',
  },
  {
    id: 'ACCAQ7XKSECONDKEY002',
    alias: 'BedrockAPIKey-q7xk+1-at-123456789012',
    serviceName: 'bedrock.amazonaws.com',
    status: 'Active',
  },
];

async function setup(now = new Date('2026-11-20T12:00:00Z'), credentials: typeof CHOICES | null = CHOICES) {
  const store = new MemoryApprovalStore();
  const sent: Array<{ subject: string; message: string }> = [];
  const resumed: Array<{ token: string; output: ApprovalDecision }> = [];
  const clock = { now };
  const incident = normalize(input('BKS-001', 'HIGH', record('console-create-bedrock-api-key')));
  const out = await requestApproval(
    {
      taskToken: TOKEN,
      incident,
      finding: { id: 'finding-1', title: 'New Bedrock API key' },
      ...(credentials ? { enrichment: { inventory: { credentials } } } : {}),
    },
    {
      store,
      baseUrl: BASE,
      now: () => clock.now,
      linkTtlSeconds: 3600,
      notify: async (subject, message) => {
        sent.push({ subject, message });
      },
      endDuplicate: async () => {
        throw new Error('not a duplicate');
      },
    },
  );
  const link = new URL(/https:\/\/approve\.example\.test\/\S+/.exec(sent[0]!.message)![0]);
  const query = Object.fromEntries(link.searchParams);
  const deps = {
    store,
    now: () => clock.now,
    resume: async (token: string, output: ApprovalDecision) => {
      resumed.push({ token, output });
    },
  };
  return { store, sent, resumed, clock, out, link, query, deps, incident };
}

describe('requestApproval', () => {
  it('stores the token under a random id and never puts the token in the message or link', async () => {
    const s = await setup();
    expect(s.out.approvalId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]!.message).not.toContain(TOKEN);
    expect(s.sent[0]!.message).not.toContain('task-token');
    expect(s.link.toString()).not.toContain('task-token');
    expect(s.sent[0]!.message).toContain('Approve revoke');
    expect((await s.store.get(s.out.approvalId))?.taskToken).toBe(TOKEN);
  });

  it('one incident, one request: another run of it asks nobody and ends its own task as a duplicate', async () => {
    const s = await setup();
    const ended: Array<{ token: string; output: unknown }> = [];
    const again = (taskToken: string, execution: string) =>
      requestApproval(
        { taskToken, execution, incident: s.incident, finding: { id: 'finding-1' } },
        {
          store: s.store,
          baseUrl: BASE,
          now: () => s.clock.now,
          linkTtlSeconds: 3600,
          notify: async (subject, message) => {
            s.sent.push({ subject, message });
          },
          endDuplicate: async (token, output) => {
            ended.push({ token, output });
          },
        },
      );
    const dup = await again('other-run-token', 'arn:exec:2');
    expect(dup).toEqual({ approvalId: s.out.approvalId, expiresAt: s.out.expiresAt, duplicate: true });
    expect(s.sent).toHaveLength(1);
    expect(ended).toEqual([
      {
        token: 'other-run-token',
        output: {
          duplicateOf: s.out.approvalId,
          incidentId: s.incident.incidentId,
          at: '2026-11-20T12:00:00.000Z',
        },
      },
    ]);
    // The pending request still resumes the run that asked.
    expect((await s.store.get(s.out.approvalId))?.taskToken).toBe(TOKEN);
    expect(s.store.records.size).toBe(1);
  });
});

describe('Security Hub custom actions', () => {
  const event = (arn: string, note?: { Text: string; UpdatedBy: string }) => ({
    id: 'evt-1',
    account: '123456789012',
    time: '2026-11-20T12:05:00Z',
    resources: [arn],
    detail: {
      actionName: 'Approve revoke',
      findings: [{ Id: 'finding-1', ...(note ? { Note: note } : {}) }, { Id: 'other' }],
    },
  });

  it('resumes the pending approval of each selected finding once, saying the console does not reveal who clicked', async () => {
    const s = await setup();
    const deps = { ...s.deps, approveActionArn: APPROVE, rejectActionArn: REJECT };
    const res = await handleCustomAction(
      event(APPROVE, { Text: 'confirmed leak', UpdatedBy: 'carol' }),
      deps,
    );
    expect(res).toEqual([
      { findingId: 'finding-1', outcome: 'resumed' },
      { findingId: 'other', outcome: 'no-pending-approval' },
    ]);
    // The console does not say who clicked: the decision says so, and keeps the note's author
    // field apart, as free text nobody verified.
    expect(s.resumed[0]!.output).toMatchObject({
      decision: 'approve',
      by: `${CONSOLE_USER} in account 123456789012`,
      noteAuthor: 'carol',
      reason: 'confirmed leak',
      via: 'securityhub-custom-action',
    });
    expect(s.resumed[0]!.output.approver).toBeUndefined();
    const again = await handleCustomAction(event(REJECT), deps);
    expect(again[0]!.outcome).toBe('already-decided');
    expect(s.resumed).toHaveLength(1);
  });

  it('ignores actions that are not ours', async () => {
    const s = await setup();
    const deps = { ...s.deps, approveActionArn: APPROVE, rejectActionArn: REJECT };
    expect(
      await handleCustomAction(event('arn:aws:securityhub:us-east-1:123456789012:action/custom/Other'), deps),
    ).toEqual([]);
    expect(s.resumed).toHaveLength(0);
  });
});
