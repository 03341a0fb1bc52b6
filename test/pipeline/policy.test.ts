import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/pipeline/incident';
import {
  allowlistMatch,
  DEFAULT_POLICY,
  decide,
  PolicyConfigError,
  parsePolicy,
} from '../../src/pipeline/policy';
import { input, record } from './fixtures';

const created = () => normalize(input('BKS-001', 'HIGH', record('console-create-bedrock-api-key')));

describe('decide', () => {
  it('asks an analyst by default (auto-revoke is off)', () => {
    expect(DEFAULT_POLICY.autoRevoke).toEqual([]);
    const d = decide(created(), DEFAULT_POLICY);
    expect(d.action).toBe('ask');
    expect(d.timeoutAction).toBe('notify-only');
  });

  it('revokes automatically only for the configured severities', () => {
    const policy = parsePolicy(JSON.stringify({ autoRevoke: ['HIGH', 'CRITICAL'] }));
    expect(decide(created(), policy).action).toBe('revoke');
    const medium = normalize(input('BKS-010', 'MEDIUM', record('invoke-model-with-long-term-key')));
    expect(decide(medium, policy).action).toBe('ask');
  });

  it('only notifies for allowlisted principals, even with auto-revoke on', () => {
    const policy = parsePolicy(
      JSON.stringify({
        autoRevoke: ['HIGH'],
        allowlist: ['arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*'],
      }),
    );
    // The actor is an SSO session of that role: matched through the session issuer's role ARN.
    expect(decide(created(), policy).action).toBe('notify');
    const bySession = parsePolicy(
      JSON.stringify({
        autoRevoke: ['HIGH'],
        allowlist: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_*'],
      }),
    );
    const d = decide(created(), bySession);
    expect(d.action).toBe('notify');
    expect(d.reason).toContain('allowlisted');
  });

  it('matches user names, user ARNs and assumed-role sessions through their role ARN', () => {
    const inc = created();
    expect(allowlistMatch(inc, ['BedrockAPIKey-q7xk'])).toBe('BedrockAPIKey-q7xk');
    expect(allowlistMatch(inc, ['arn:aws:iam::123456789012:user/BedrockAPIKey-q7xk'])).toBeDefined();
    expect(
      allowlistMatch(inc, ['arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef']),
    ).toBeDefined();
    expect(allowlistMatch(inc, ['BedrockAPIKey-other', 'arn:aws:iam::123456789012:user/x'])).toBeUndefined();
  });
});

describe('parsePolicy', () => {
  it('defaults when empty and reads every field', () => {
    expect(parsePolicy(undefined)).toEqual(DEFAULT_POLICY);
    expect(
      parsePolicy(JSON.stringify({ approvalTimeoutSeconds: 600, timeoutAction: 'contain' })),
    ).toMatchObject({
      approvalTimeoutSeconds: 600,
      timeoutAction: 'contain',
    });
  });

  it.each([
    ['{', /not valid JSON/],
    ['[]', /JSON object/],
    ['{"autoRevoke":["SEVERE"]}', /autoRevoke/],
    ['{"allowlist":[""]}', /allowlist/],
    ['{"approvalTimeoutSeconds":5}', /approvalTimeoutSeconds/],
    ['{"timeoutAction":"delete"}', /timeoutAction/],
  ])('refuses %s naming the field', (text, message) => {
    expect(() => parsePolicy(text)).toThrow(PolicyConfigError);
    expect(() => parsePolicy(text)).toThrow(message);
  });
});
