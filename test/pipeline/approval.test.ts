import { describe, expect, it } from 'vitest';
import {
  type ApprovalDecision,
  handleApprovalHttp,
  handleCustomAction,
  MemoryApprovalStore,
  requestApproval,
  TaskGoneError,
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

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

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

describe('approval endpoint', () => {
  it('GET shows the request without deciding; POST decides once and resumes with who, when and why', async () => {
    const s = await setup();
    const view = await handleApprovalHttp({ method: 'GET', query: s.query }, s.deps);
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('BedrockAPIKey-q7xk');
    expect(view.body).not.toContain(TOKEN);
    expect(view.headers['cache-control']).toBe('no-store');
    expect(s.resumed).toHaveLength(0);
    const post = await handleApprovalHttp(
      {
        method: 'POST',
        query: s.query,
        body: form({ decision: 'approve', by: 'alice', reason: 'leaked in a public repo' }),
        contentType: 'application/x-www-form-urlencoded',
        sourceIp: '198.51.100.9',
      },
      s.deps,
    );
    expect(post.statusCode).toBe(200);
    expect(s.resumed).toEqual([
      {
        token: TOKEN,
        output: {
          decision: 'approve',
          by: 'alice',
          at: '2026-11-20T12:00:00.000Z',
          reason: 'leaked in a public repo',
          via: 'approval-link',
          sourceIp: '198.51.100.9',
        },
      },
    ]);
  });

  it('refuses a replayed POST (single use)', async () => {
    const s = await setup();
    const body = form({ decision: 'reject', by: 'bob', reason: 'expected test key' });
    expect((await handleApprovalHttp({ method: 'POST', query: s.query, body }, s.deps)).statusCode).toBe(200);
    const again = await handleApprovalHttp({ method: 'POST', query: s.query, body }, s.deps);
    expect(again.statusCode).toBe(409);
    expect((await handleApprovalHttp({ method: 'GET', query: s.query }, s.deps)).statusCode).toBe(409);
    expect(s.resumed).toHaveLength(1);
  });

  it('refuses forged links: a changed signature, id or expiry', async () => {
    const s = await setup();
    const body = form({ decision: 'approve', by: 'mallory', reason: 'x' });
    const sig = s.query['sig']!;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    for (const query of [
      { ...s.query, sig: flipped },
      { ...s.query, id: `${s.query['id']!.slice(0, -1)}${s.query['id']!.endsWith('A') ? 'B' : 'A'}` },
      { ...s.query, exp: String(Number(s.query['exp']) + 86_400) },
      { ...s.query, sig: '' },
    ]) {
      const res = await handleApprovalHttp({ method: 'POST', query, body }, s.deps);
      expect([400, 403]).toContain(res.statusCode);
    }
    expect(s.resumed).toHaveLength(0);
  });

  it('refuses an expired link', async () => {
    const s = await setup();
    s.clock.now = new Date('2026-11-20T13:00:01Z');
    const res = await handleApprovalHttp(
      { method: 'POST', query: s.query, body: form({ decision: 'approve', by: 'a', reason: 'b' }) },
      s.deps,
    );
    expect(res.statusCode).toBe(410);
    expect(s.resumed).toHaveLength(0);
  });

  it('refuses methods other than GET and POST', async () => {
    const s = await setup();
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await handleApprovalHttp(
        { method, query: s.query, body: form({ decision: 'approve' }) },
        s.deps,
      );
      expect(res.statusCode).toBe(405);
      expect(res.headers['allow']).toBe('GET, POST');
    }
    expect(s.resumed).toHaveLength(0);
  });

  it('refuses a POST without decision, name or reason, or naming a credential not offered, and keeps the request pending', async () => {
    const s = await setup();
    for (const body of [
      form({ by: 'a', reason: 'b' }),
      form({ decision: 'approve', reason: 'b' }),
      form({ decision: 'approve', by: 'a' }),
      // Keys are chosen by credential id among the user's credentials, never by a typed alias.
      form({ decision: 'approve', by: 'a', reason: 'b', key: 'BedrockAPIKey-q7xk-at-123456789012' }),
      form({ decision: 'approve', by: 'a', reason: 'b', credential: 'ACCANOTACREDENTIAL01' }),
      form({ decision: 'approve', by: 'a', reason: 'b', credential: 'ABSK-not-an-id' }),
      form({ decision: 'approve', by: 'a', reason: 'b', scope: 'credentials' }),
      form({ decision: 'approve', by: 'a', reason: 'b', scope: 'user', credential: CHOICES[0]!.id }),
      form({ decision: 'approve', by: 'a', reason: 'b', scope: 'everything' }),
    ]) {
      expect((await handleApprovalHttp({ method: 'POST', query: s.query, body }, s.deps)).statusCode).toBe(
        400,
      );
    }
    expect((await s.store.get(s.out.approvalId))?.status).toBe('PENDING');
  });

  it("offers the user's credentials by id and records the chosen ones", async () => {
    const s = await setup();
    const view = await handleApprovalHttp({ method: 'GET', query: s.query }, s.deps);
    for (const c of CHOICES) expect(view.body).toContain(`value="${c.id}"`);
    const body = new URLSearchParams([
      ['decision', 'approve'],
      ['by', 'a'],
      ['reason', 'b'],
      ['credential', CHOICES[1]!.id],
    ]).toString();
    expect((await handleApprovalHttp({ method: 'POST', query: s.query, body }, s.deps)).statusCode).toBe(200);
    expect(s.resumed[0]!.output).toMatchObject({ scope: 'credentials', credentialIds: [CHOICES[1]!.id] });
  });

  it('every key of the user: scope user', async () => {
    const s = await setup();
    const body = form({ decision: 'approve', by: 'a', reason: 'b', scope: 'user' });
    expect((await handleApprovalHttp({ method: 'POST', query: s.query, body }, s.deps)).statusCode).toBe(200);
    expect(s.resumed[0]!.output).toMatchObject({ scope: 'user' });
    expect(s.resumed[0]!.output.credentialIds).toBeUndefined();
  });

  it('when the credentials could not be read, no credential can be chosen', async () => {
    const s = await setup(undefined, null);
    const body = form({ decision: 'approve', by: 'a', reason: 'b', credential: CHOICES[0]!.id });
    const res = await handleApprovalHttp({ method: 'POST', query: s.query, body }, s.deps);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('could not be read');
    expect(s.resumed).toHaveLength(0);
  });

  it('answers 410 when the workflow stopped waiting, and releases the claim on a transient failure', async () => {
    const s = await setup();
    const body = form({ decision: 'approve', by: 'a', reason: 'b' });
    const flaky = {
      ...s.deps,
      resume: async () => {
        throw new Error('network');
      },
    };
    expect((await handleApprovalHttp({ method: 'POST', query: s.query, body }, flaky)).statusCode).toBe(503);
    expect((await s.store.get(s.out.approvalId))?.status).toBe('PENDING');
    const gone = {
      ...s.deps,
      resume: async () => {
        throw new TaskGoneError('TaskTimedOut');
      },
    };
    expect((await handleApprovalHttp({ method: 'POST', query: s.query, body }, gone)).statusCode).toBe(410);
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

  it('resumes the pending approval of each selected finding once, recording the note author', async () => {
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
    expect(s.resumed[0]!.output).toMatchObject({
      decision: 'approve',
      by: 'carol',
      reason: 'confirmed leak',
      via: 'securityhub-custom-action',
    });
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
