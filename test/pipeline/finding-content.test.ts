import { describe, expect, it } from 'vitest';
import { missingRequiredFields } from '../../src/findings/asff';
import { incidentFinding } from '../../src/pipeline/finding';
import { closingUpdate, errorLine, findingContent } from '../../src/pipeline/finding-content';
import { normalize } from '../../src/pipeline/incident';
import { DEFAULT_POLICY, decide } from '../../src/pipeline/policy';
import { input, record } from './fixtures';

const incident = () => normalize(input('BKS-004-BEDROCK', 'HIGH', record('console-create-bedrock-api-key')));

describe('finding content', () => {
  it('builds an importable ASFF finding with a deterministic id per rule and key', () => {
    const a = incidentFinding(incident(), undefined, 'us-east-1', new Date('2026-11-20T00:00:00Z'));
    const b = incidentFinding(
      incident(),
      { status: 'complete', errors: [] },
      'us-east-1',
      new Date('2026-11-21T00:00:00Z'),
    );
    expect(missingRequiredFields(a)).toEqual([]);
    expect(a.Id).toBe(b.Id);
    expect(a.Severity.Label).toBe('HIGH');
    expect(a.CreatedAt).toBe('2026-11-02T09:14:06.000Z');
    expect(a.Remediation.Recommendation.Text).toContain('ACCAEXAMPLECRED00001');
    expect(a.ProductFields['bks/RuleId']).toBe('BKS-004-BEDROCK');
  });

  it('says UNKNOWN when enrichment failed, and summarises it when it worked', () => {
    expect(findingContent(incident()).description).toContain('UNKNOWN');
    const c = findingContent(incident(), {
      status: 'complete',
      errors: [],
      timeline: { events: 12, regions: ['us-west-2'], sourceIps: ['203.0.113.77'], truncated: false },
      inventory: { userExists: true, activeServiceCredentials: 1, activeAccessKeys: 0 },
    });
    expect(c.description).toContain('12 events in us-west-2');
    expect(c.description).toContain('1 active API keys');
  });

  it('closes each way with the right workflow status and a note naming who, when and why', () => {
    const inc = incident();
    const decision = decide(inc, DEFAULT_POLICY);
    const approval = {
      decision: 'approve' as const,
      by: 'alice',
      at: '2026-11-20T12:00:00Z',
      reason: 'leak',
      via: 'approval-link' as const,
    };
    const revoked = closingUpdate({
      incident: inc,
      decision,
      outcome: { stage: 'revoked' },
      approval,
      revocation: {
        mode: 'revoke',
        actions: ['iam:UpdateServiceSpecificCredential x'],
        verified: true,
        at: 'now',
      },
    });
    expect(revoked.workflowStatus).toBe('RESOLVED');
    expect(revoked.note).toContain('approved by alice at 2026-11-20T12:00:00Z via approval-link: leak');
    const rejected = closingUpdate({
      incident: inc,
      decision,
      outcome: { stage: 'rejected' },
      approval: { ...approval, decision: 'reject' },
    });
    expect(rejected.workflowStatus).toBe('SUPPRESSED');
    expect(rejected.note).toContain('rejected by alice at 2026-11-20T12:00:00Z via approval-link: leak');
    const failed = closingUpdate({
      incident: inc,
      decision,
      outcome: { stage: 'revoke-failed' },
      revocationError: {
        Error: 'RevokeFailed',
        Cause: JSON.stringify({ errorMessage: 'AccessDenied\nstack' }),
      },
    });
    expect(failed.note).toMatch(/^MANUAL ACTION REQUIRED/);
    expect(failed.note).toContain('RevokeFailed: AccessDenied');
    expect(failed.note).not.toContain('stack');
    expect(revoked.note.length).toBeLessThanOrEqual(512);
    expect(errorLine(undefined)).toBe('unknown error');
  });

  it('names what the analyst chose to revoke, not only the detected key', () => {
    const inc = incident();
    const t = inc.target as { userName: string; credentialId: string };
    const close = (covered: object) =>
      closingUpdate({
        incident: inc,
        decision: decide(inc, DEFAULT_POLICY),
        outcome: { stage: 'revoked' },
        approval: {
          decision: 'approve',
          by: 'alice',
          at: '2026-11-20T12:00:00Z',
          reason: 'leak',
          via: 'approval-link',
          ...covered,
        },
        revocation: {
          mode: 'revoke',
          actions: ['iam:UpdateServiceSpecificCredential x'],
          verified: true,
          at: 'now',
        },
      }).note;
    expect(close({ scope: 'credentials', credentialIds: [t.credentialId] })).toMatch(
      new RegExp(`^Revoked Amazon Bedrock API key ${t.credentialId} of IAM user ${t.userName} \\(`),
    );
    expect(close({ scope: 'credentials', credentialIds: ['ACCAOTHERKEY00000002'] })).toMatch(
      new RegExp(
        `^Revoked API key ACCAOTHERKEY00000002 of IAM user ${t.userName} \\(the analyst's choice; the detected key ${t.credentialId} is not\\)`,
      ),
    );
    expect(close({ scope: 'user' })).toMatch(new RegExp(`^Revoked every key of IAM user ${t.userName} \\(`));
    expect(close({})).toMatch(new RegExp(`^Revoked Amazon Bedrock API key ${t.credentialId} of IAM user`));
  });
});
