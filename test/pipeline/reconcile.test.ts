import { describe, expect, it } from 'vitest';
import type { AccountScan } from '../../src/inventory/types';
import { executionNameFor, normalize } from '../../src/pipeline/incident';
import { RECONCILE_RULE_ID, reconcileInputs } from '../../src/pipeline/reconcile';

const now = new Date('2026-11-20T12:00:00Z');
const scan = (createdAt: string, status = 'Active', account = '123456789012'): AccountScan =>
  ({
    accountId: account,
    status: 'ok',
    users: [
      {
        userName: 'BedrockAPIKey-ab12',
        arn: `arn:aws:iam::${account}:user/BedrockAPIKey-ab12`,
        phantom: true,
        service: 'bedrock',
        status: 'AT_RISK',
        reasons: [],
        evidence: [],
        credentials: [{ id: 'ACCAEXAMPLE0000RECON', status, createdAt, expiresAt: null }],
        accessKeys: [],
        consolePassword: false,
        mfa: false,
        groups: [],
      },
    ],
  }) as AccountScan;

describe('reconcileInputs', () => {
  it('raises live keys created within the look-back window as a key creation the workflow normalizes', () => {
    const inputs = reconcileInputs(scan('2026-11-20T11:30:00Z'), {
      now,
      lookbackSeconds: 7200,
      partition: 'aws',
    });
    expect(inputs).toHaveLength(1);
    const inc = normalize(inputs[0]);
    expect(inc).toMatchObject({
      ruleId: RECONCILE_RULE_ID,
      severity: 'HIGH',
      region: 'us-east-1',
      target: {
        kind: 'service-credential',
        userName: 'BedrockAPIKey-ab12',
        credentialId: 'ACCAEXAMPLE0000RECON',
        service: 'bedrock',
      },
    });
    // Named after the key: the next hourly run starts no second workflow.
    const again = reconcileInputs(scan('2026-11-20T11:30:00Z'), {
      now: new Date('2026-11-20T13:00:00Z'),
      lookbackSeconds: 7200,
      partition: 'aws',
    });
    expect(executionNameFor(again[0])).toBe(executionNameFor(inputs[0]));
  });

  it('leaves old, inactive and unreadable accounts alone', () => {
    expect(
      reconcileInputs(scan('2026-11-01T00:00:00Z'), { now, lookbackSeconds: 7200, partition: 'aws' }),
    ).toEqual([]);
    expect(
      reconcileInputs(scan('2026-11-20T11:30:00Z', 'Inactive'), {
        now,
        lookbackSeconds: 7200,
        partition: 'aws',
      }),
    ).toEqual([]);
    expect(
      reconcileInputs(
        { accountId: '1', status: 'error', users: [] },
        { now, lookbackSeconds: 7200, partition: 'aws' },
      ),
    ).toEqual([]);
  });

  it('uses the IAM region of the partition', () => {
    const inputs = reconcileInputs(scan('2026-11-20T11:30:00Z'), {
      now,
      lookbackSeconds: 7200,
      partition: 'aws-us-gov',
    });
    expect(normalize(inputs[0])).toMatchObject({ region: 'us-gov-west-1', partition: 'aws-us-gov' });
  });
});
