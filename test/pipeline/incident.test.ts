import { describe, expect, it } from 'vitest';
import {
  executionName,
  executionNameFor,
  MalformedEventError,
  normalize,
  THRESHOLD_EVENT_DETAIL_TYPE,
  THRESHOLD_EVENT_SOURCE,
} from '../../src/pipeline/incident';
import { input, record } from './fixtures';

describe('normalize', () => {
  it('turns CreateServiceSpecificCredential into a service-credential target with the credential id', () => {
    const inc = normalize(input('BKS-001', 'HIGH', record('console-create-bedrock-api-key')));
    expect(inc).toMatchObject({
      ruleId: 'BKS-001',
      severity: 'HIGH',
      account: '123456789012',
      region: 'us-east-1',
      partition: 'aws',
      eventName: 'CreateServiceSpecificCredential',
      target: {
        kind: 'service-credential',
        userName: 'BedrockAPIKey-q7xk',
        credentialId: 'ACCAEXAMPLECRED00001',
        service: 'bedrock',
      },
    });
    expect(inc.incidentId).toBe('BKS-001:8d116ece-1738-f7d9-3d9c-172411e20b8f');
  });

  it('turns CreateAccessKey on a phantom user into an access-key target', () => {
    const inc = normalize(input('BKS-002', 'CRITICAL', record('access-key-created-on-phantom')));
    expect(inc.target).toEqual({
      kind: 'access-key',
      userName: 'BedrockAPIKey-q7xk',
      accessKeyId: 'AKIAEXAMPLENEWKEY001',
    });
    expect(inc.principal.arn).toBe('arn:aws:iam::123456789012:user/dev-bob');
  });

  it('maps a long-term bearer call (flag as boolean or string) to the key of the acting user', () => {
    const r = record('invoke-model-with-long-term-key');
    expect(normalize(input('BKS-010', 'MEDIUM', r)).target).toEqual({
      kind: 'service-credential',
      userName: 'BedrockAPIKey-q7xk',
    });
    (r['additionalEventData'] as Record<string, unknown>)['callWithBearerToken'] = 'true';
    expect(normalize(input('BKS-010', 'MEDIUM', r)).target.kind).toBe('service-credential');
    const m = record('mantle-create-inference-long-term');
    expect(normalize(input('BKS-011', 'MEDIUM', m)).region).toBe('eu-central-1');
  });

  it('maps a short-term bearer call to its signer', () => {
    const r = record('invoke-model-with-long-term-key');
    r['userIdentity'] = {
      type: 'AssumedRole',
      arn: 'arn:aws-us-gov:sts::123456789012:assumed-role/dev/alice',
      accessKeyId: 'ASIAEXAMPLESHORT0001',
      accountId: '123456789012',
    };
    const inc = normalize(input('BKS-010', 'MEDIUM', r));
    expect(inc.target).toEqual({
      kind: 'short-term',
      accessKeyId: 'ASIAEXAMPLESHORT0001',
      signerArn: 'arn:aws-us-gov:sts::123456789012:assumed-role/dev/alice',
    });
    expect(inc.partition).toBe('aws-us-gov');
  });

  it('normalizes a threshold event from the stateful consumer, named by the envelope id', () => {
    const sample = record('invoke-model-with-long-term-key');
    const inc = normalize({
      ruleId: 'BKS-020',
      severity: 'HIGH',
      event: {
        id: 'threshold-1',
        source: THRESHOLD_EVENT_SOURCE,
        'detail-type': THRESHOLD_EVENT_DETAIL_TYPE,
        detail: { ruleId: 'BKS-020', count: 120, windowSeconds: 300, regions: ['us-west-2'], sample },
      },
    });
    expect(inc.incidentId).toBe('BKS-020:threshold-1');
    expect(inc.threshold).toEqual({ count: 120, windowSeconds: 300, regions: ['us-west-2'] });
  });

  it.each([
    ['not an object', 'x'],
    ['no rule id', { severity: 'HIGH', event: { detail: {} } }],
    ['bad severity', { ruleId: 'BKS-001', severity: 'SEVERE', event: { detail: {} } }],
    ['no detail', { ruleId: 'BKS-001', severity: 'HIGH', event: {} }],
    ['no event id', { ruleId: 'BKS-001', severity: 'HIGH', event: { detail: { eventName: 'X' } } }],
  ])('rejects malformed input (%s) with MalformedEvent', (_why, bad) => {
    expect(() => normalize(bad)).toThrow(MalformedEventError);
    try {
      normalize(bad);
    } catch (err) {
      expect((err as Error).name).toBe('MalformedEvent');
    }
  });

  it('rejects an account that is not 12 digits and a bad user name', () => {
    const r = record('console-create-bedrock-api-key');
    r['recipientAccountId'] = '12345';
    expect(() => normalize(input('BKS-001', 'HIGH', r))).toThrow(/12 digits/);
    const u = record('console-create-bedrock-api-key');
    (u['requestParameters'] as Record<string, unknown>)['userName'] = 'bad name!';
    (u['responseElements'] as Record<string, Record<string, unknown>>)['serviceSpecificCredential']![
      'userName'
    ] = 'bad name!';
    expect(() => normalize(input('BKS-001', 'HIGH', u))).toThrow(/user name/);
  });
});

describe('execution names', () => {
  it('are stable per rule and event, ≤ 80 chars of the allowed alphabet', () => {
    const a = executionNameFor(input('BKS-001', 'HIGH', record('console-create-bedrock-api-key')));
    const b = executionNameFor(input('BKS-001', 'HIGH', record('console-create-bedrock-api-key')));
    expect(a).toBe(b);
    expect(a).toBe('BKS-001-8d116ece-1738-f7d9-3d9c-172411e20b8f');
    const long = executionName('R'.repeat(100), 'e:v/e n t'.repeat(20));
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(executionNameFor({})).toBe('unknown-rule-unknown-event');
  });
});
