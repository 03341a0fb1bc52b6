/**
 * The response workflow end to end, locally: aws-local-stepfunctions runs the ASL, the real
 * handlers talk to bks-sim (IAM, STS, Security Hub, SendTask*, Bedrock runtime, DynamoDB) over
 * HTTP. The approval step really waits (see ./workflow-wait.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelope, record } from './fixtures';
import { ACCOUNT, API_KEY, CRED_ID, Harness, SECRET, USER } from './workflow-harness';

const created = () => {
  const r = record('console-create-bedrock-api-key');
  return { ruleId: 'BKS-004-BEDROCK', severity: 'HIGH', event: envelope(r) };
};

describe('response workflow (local run against bks-sim)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.start();
  }, 60_000);
  afterEach(async () => {
    // No secret anywhere: not in findings, notifications, logs or outputs.
    const everything = JSON.stringify([await h.findings(), h.published, h.announced, h.logs, h.quarantined]);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(API_KEY);
    await h.stop();
  });

  it('approve (signed link): the key is revoked, the finding resolved with who/when/why, the key refused', async () => {
    expect(await h.bearerCall()).toBe(200);
    const run = await h.run(created(), {
      analyst: { via: 'link', decision: 'approve', by: 'alice', reason: 'leaked in a public repo' },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    expect(run.output?.approval).toMatchObject({ decision: 'approve', by: 'alice', via: 'approval-link' });
    // Enriched from bks-sim: the user's IAM state and its CloudTrail timeline (no region failed).
    expect(run.output?.enrichment).toMatchObject({
      status: 'complete',
      inventory: { userExists: true, activeServiceCredentials: 1 },
    });
    expect(await h.credentialStatus()).toBe('Inactive');
    expect(await h.bearerCall()).toBe(403);
    const findings = await h.findings();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ Severity: { Label: 'HIGH' }, Workflow: { Status: 'RESOLVED' } });
    expect(findings[0]!.Note.Text).toContain('alice');
    expect(findings[0]!.Description).toContain('Timeline:');
    expect(findings[0]!.Note.Text).toContain('leaked in a public repo');
    expect(h.published).toHaveLength(1);
    // The task token stays server-side: never in the notification (nor its link).
    expect(h.taskTokens).toHaveLength(1);
    expect(h.published[0]!.message).not.toContain(h.taskTokens[0]!);
    expect(run.findingMs).toBeGreaterThan(0);
  });

  it("approve narrowed to one key: only that credential is revoked, the user's other key keeps working", async () => {
    // A second key on the same user, made through IAM on bks-sim.
    const { IAMClient, CreateServiceSpecificCredentialCommand } = await import('@aws-sdk/client-iam');
    const iam = new IAMClient({ endpoint: h.sim.url, region: 'us-east-1' });
    const second = await iam.send(
      new CreateServiceSpecificCredentialCommand({ UserName: USER, ServiceName: 'bedrock.amazonaws.com' }),
    );
    iam.destroy();
    const sibling = `ABSK${Buffer.from(
      `${second.ServiceSpecificCredential!.ServiceCredentialAlias}:${second.ServiceSpecificCredential!.ServiceCredentialSecret}`,
    ).toString('base64')}`;
    const run = await h.run(created(), {
      analyst: {
        via: 'link',
        decision: 'approve',
        by: 'alice',
        reason: 'this is the key in the gist',
        credentials: [CRED_ID],
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output?.approval).toMatchObject({
      decision: 'approve',
      scope: 'credentials',
      credentialIds: [CRED_ID],
    });
    expect(await h.credentialStatus()).toBe('Inactive');
    expect(await h.bearerCall()).toBe(403);
    expect(await h.bearerCall(sibling)).toBe(200);
  });

  it('an approved credential gone by the time of the revoke revokes nothing and marks the finding for manual action', async () => {
    // A second key the analyst chose; it is deleted between the approval and the revoke step.
    const { IAMClient, CreateServiceSpecificCredentialCommand, DeleteServiceSpecificCredentialCommand } =
      await import('@aws-sdk/client-iam');
    const iam = new IAMClient({ endpoint: h.sim.url, region: 'us-east-1' });
    const second = await iam.send(
      new CreateServiceSpecificCredentialCommand({ UserName: USER, ServiceName: 'bedrock.amazonaws.com' }),
    );
    const secondId = second.ServiceSpecificCredential!.ServiceSpecificCredentialId!;
    const run = await h.run(created(), {
      analyst: { via: 'link', decision: 'approve', by: 'alice', reason: 'typo', credentials: [secondId] },
      onRevoke: async (attempt) => {
        if (attempt === 1)
          await iam.send(
            new DeleteServiceSpecificCredentialCommand({
              UserName: USER,
              ServiceSpecificCredentialId: secondId,
            }),
          );
      },
    });
    iam.destroy();
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('marked for manual action');
    expect(await h.credentialStatus()).toBe('Active');
    expect(await h.bearerCall()).toBe(200);
    const [f] = await h.findings();
    expect(f!.Note.Text).toContain('MANUAL ACTION REQUIRED');
    expect(f!.Note.Text).toMatch(/is not a credential of BedrockAPIKey-q7xk/);
  });

  it('an approval naming a credential the user does not have is refused before anything is recorded', async () => {
    // Issue: an approval narrowed to `<user>+1-at-<account>` (no such key) closed the incident as
    // revoked with the leaked key still live. Choices are credential ids of the incident's user.
    await h.run(created(), { analyst: { via: 'none' } });
    const query = h.lastLink();
    const post = (fields: Array<[string, string]>) =>
      h.approvalRequest('POST', query, new URLSearchParams([['reason', 'leak'], ...fields]).toString());
    expect(await post([['choice', 'credential:ACCANOTACREDENTIAL01']])).toBe(400);
    expect(await post([['choice', `credential:${CRED_ID}x`]])).toBe(400);
    expect(await post([['key', `${USER}+1-at-${ACCOUNT}`]])).toBe(400);
    expect(await post([['choice', 'credentials']])).toBe(400);
    // Nothing was recorded: the request still waits for a decision, the key still answers.
    expect(await h.approvalRequest('GET', query)).toBe(200);
    expect(await h.credentialStatus()).toBe('Active');
    expect(await h.bearerCall()).toBe(200);
  });

  it('a revocation that changed nothing is never reported as containment: manual action', async () => {
    // The user is gone by the time the revoke step runs (someone deleted it by hand): no step, nothing
    // found already revoked. The finding must not say "Revoked … verified".
    const iamSdk = await import('@aws-sdk/client-iam');
    const run = await h.run(created(), {
      policy: { autoRevoke: ['HIGH'] },
      onRevoke: async (attempt) => {
        if (attempt > 1) return;
        const iam = new iamSdk.IAMClient({ endpoint: h.sim.url, region: 'us-east-1' });
        await iam.send(
          new iamSdk.DeleteServiceSpecificCredentialCommand({
            UserName: USER,
            ServiceSpecificCredentialId: CRED_ID,
          }),
        );
        await iam.send(
          new iamSdk.DetachUserPolicyCommand({
            UserName: USER,
            PolicyArn: 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess',
          }),
        );
        await iam.send(new iamSdk.DeleteUserCommand({ UserName: USER }));
        iam.destroy();
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('marked for manual action');
    const [f] = await h.findings();
    expect(f).toMatchObject({ Workflow: { Status: 'NOTIFIED' } });
    expect(f!.Note.Text).toContain('MANUAL ACTION REQUIRED');
    expect(f!.Note.Text).toContain('nothing was changed');
    expect(f!.Note.Text).not.toMatch(/^Revoked/);
  });

  it('the approval link is single use over the wire: replay, forgery and other methods are refused', async () => {
    await h.run(created(), { analyst: { via: 'link', decision: 'approve', by: 'alice', reason: 'leak' } });
    const query = h.lastLink();
    const body = new URLSearchParams({ choice: 'reject', reason: 'undo' }).toString();
    expect(await h.approvalRequest('POST', query, body)).toBe(409);
    // A decided link shows what was decided and done (no form).
    expect(await h.approvalRequest('GET', query)).toBe(200);
    const sig = query['sig']!;
    expect(
      await h.approvalRequest(
        'POST',
        { ...query, sig: `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}` },
        body,
      ),
    ).toBe(403);
    expect(await h.approvalRequest('PUT', query, body)).toBe(405);
    // The first decision stands.
    expect((await h.findings())[0]).toMatchObject({ Workflow: { Status: 'RESOLVED' } });
  });

  it('approve through the Security Hub custom action', async () => {
    const run = await h.run(created(), {
      analyst: { via: 'custom-action', decision: 'approve', by: 'carol', reason: 'confirmed with the owner' },
    });
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    // The console does not say who clicked: the decision says so; the note's author is kept apart.
    expect(run.output?.approval).toMatchObject({ noteAuthor: 'carol', via: 'securityhub-custom-action' });
    expect(String(run.output?.approval?.['by'])).toContain('does not say who clicked');
    expect(await h.bearerCall()).toBe(403);
  });

  it('reject: nothing is revoked and the finding is suppressed with the reason', async () => {
    const run = await h.run(created(), {
      analyst: { via: 'link', decision: 'reject', by: 'bob', reason: 'sanctioned test key' },
    });
    expect(run.output?.outcome).toEqual({ stage: 'rejected' });
    expect(run.calls['Revoke']).toBeUndefined();
    expect(await h.credentialStatus()).toBe('Active');
    expect(await h.bearerCall()).toBe(200);
    const [f] = await h.findings();
    expect(f).toMatchObject({ Workflow: { Status: 'SUPPRESSED' } });
    expect(f!.Note.Text).toContain('sanctioned test key');
  });

  it('approval timeout, notify-only (default): nothing revoked, the finding says so', async () => {
    const run = await h.run(created(), { analyst: { via: 'none' } });
    expect(run.output?.outcome).toEqual({ stage: 'timeout-notified' });
    expect(await h.credentialStatus()).toBe('Active');
    const [f] = await h.findings();
    expect(f).toMatchObject({ Workflow: { Status: 'NOTIFIED' } });
    expect(f!.Note.Text).toContain('no action taken');
  });

  it('approval timeout with containment: the key is deactivated (reversibly)', async () => {
    const run = await h.run(created(), { analyst: { via: 'none' }, policy: { timeoutAction: 'contain' } });
    expect(run.output?.outcome).toEqual({ stage: 'contained' });
    expect(run.calls['Contain']).toBe(1);
    expect(await h.credentialStatus()).toBe('Inactive');
    expect(await h.bearerCall()).toBe(403);
  });

  it('auto-revoke for the configured severity: no approval asked', async () => {
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    expect(run.calls['AskAnalyst']).toBeUndefined();
    expect(h.published).toHaveLength(0);
    expect(await h.bearerCall()).toBe(403);
    expect((await h.findings())[0]!.Note.Text).toContain('by policy');
  });

  it('allowlisted principal: notified only, even with auto-revoke on', async () => {
    const run = await h.run(created(), {
      policy: {
        autoRevoke: ['HIGH'],
        allowlist: ['arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*'],
      },
    });
    expect(run.output?.outcome).toEqual({ stage: 'allowlisted' });
    expect(run.calls['Revoke']).toBeUndefined();
    expect(await h.credentialStatus()).toBe('Active');
    expect((await h.findings())[0]).toMatchObject({ Workflow: { Status: 'NOTIFIED' } });
  });

  it('duplicate event: one finding and one revocation', async () => {
    const policy = { autoRevoke: ['HIGH' as const] };
    const first = await h.run(created(), { policy });
    h.sim.resetStats();
    const second = await h.run(created(), { policy });
    expect(first.output?.outcome).toEqual({ stage: 'revoked' });
    expect(second.output?.outcome).toEqual({ stage: 'revoked' });
    expect(await h.findings()).toHaveLength(1);
    // The second run finds the key already inactive: no second UpdateServiceSpecificCredential.
    expect(h.sim.stats().calls['iam:UpdateServiceSpecificCredential'] ?? 0).toBe(0);
  });

  it('malformed event: DLQ and a Fail state, never retried', async () => {
    const run = await h.run({
      ruleId: 'BKS-004-BEDROCK',
      severity: 'HIGH',
      event: { detail: { eventName: 'X' } },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('dead-letter queue');
    expect(run.calls).toEqual({ Normalize: 1, QuarantineMalformed: 1 });
    expect(h.quarantined).toHaveLength(1);
    expect(await h.findings()).toHaveLength(0);
  });

  it('revoke failure then retry: the second attempt succeeds', async () => {
    // A non-retryable error, so the client layer gives up at once and the workflow's Retry acts.
    await h.setFaults([{ action: 'iam:UpdateServiceSpecificCredential', error: 'AccessDenied', count: 1 }]);
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    expect(run.calls['Revoke']).toBe(2);
    expect(await h.credentialStatus()).toBe('Inactive');
  });

  it('revoke failing on every retry: the finding is marked for manual action and the run fails', async () => {
    await h.setFaults([{ action: 'iam:UpdateServiceSpecificCredential', error: 'AccessDenied' }]);
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('marked for manual action');
    expect(run.calls['Revoke']).toBe(4);
    expect(await h.credentialStatus()).toBe('Active');
    const [f] = await h.findings();
    expect(f!.Note.Text).toContain('MANUAL ACTION REQUIRED');
    expect(h.announced[0]?.Subject).toContain('revoke-failed');
  });

  it(`names ${USER}'s key ${CRED_ID} in the finding without any secret`, async () => {
    await h.run(created(), { analyst: { via: 'none' } });
    const [f] = await h.findings();
    expect(JSON.stringify(f)).toContain(CRED_ID);
  });
});
