import { describe, expect, it } from 'vitest';
import {
  batchFindings,
  buildFinding,
  type FindingInput,
  findingId,
  missingRequiredFields,
  productArn,
  scanSeverity,
  scanUserFinding,
} from '../../src/findings';
import type { ScanUser } from '../../src/inventory';

const base: FindingInput = {
  account: '111111111111',
  region: 'us-east-1',
  partition: 'aws',
  resource: { type: 'AwsIamUser', id: 'arn:aws:iam::111111111111:user/BedrockAPIKey-ab12' },
  type: 'scan-user-bedrock',
  severity: 'HIGH',
  title: 't',
  description: 'd',
  remediation: { text: 'r' },
};

const user: ScanUser = {
  userName: 'BedrockAPIKey-ab12',
  arn: 'arn:aws-us-gov:iam::111111111111:user/BedrockAPIKey-ab12',
  phantom: true,
  service: 'bedrock',
  status: 'AT_RISK',
  reasons: ['phantom user with 1 active IAM access key'],
  evidence: ['name-prefix', 'managed-policy'],
  credentials: [{ id: 'ACCAEXAMPLE1', status: 'Active', createdAt: null, expiresAt: null }],
  accessKeys: [{ status: 'Active' }],
  consolePassword: false,
  mfa: false,
  groups: [],
};

describe('ASFF findings', () => {
  it('has every required field and a partition-aware ProductArn', () => {
    const f = buildFinding(base);
    expect(missingRequiredFields(f)).toEqual([]);
    expect(f.SchemaVersion).toBe('2018-10-08');
    expect(f.ProductArn).toBe('arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default');
    expect(productArn('aws-cn', 'cn-north-1', '111111111111')).toMatch(/^arn:aws-cn:securityhub:cn-north-1:/);
    expect(missingRequiredFields({ ...f, Title: '' })).toEqual(['Title']);
  });

  it('derives the same Id from the same account, resource and type, and a different one otherwise', () => {
    expect(buildFinding(base).Id).toBe(buildFinding({ ...base, severity: 'LOW', title: 'other' }).Id);
    const ids = new Set([
      findingId('111111111111', 'a', 't'),
      findingId('222222222222', 'a', 't'),
      findingId('111111111111', 'b', 't'),
      findingId('111111111111', 'a', 'u'),
    ]);
    expect(ids.size).toBe(4);
    expect(findingId('111111111111', 'a', 't')).toMatch(/^bks\/t\/111111111111\/[0-9a-f]{32}$/);
  });

  it('clips text fields to the ASFF limits', () => {
    const f = buildFinding({ ...base, title: 'x'.repeat(400), description: 'y'.repeat(2000) });
    expect(f.Title.length).toBe(256);
    expect(f.Description.length).toBe(1024);
  });

  it('maps a scanned user to one finding per user and service, severity from status', () => {
    const f = scanUserFinding(user, {
      account: '111111111111',
      region: 'us-gov-west-1',
      partition: 'aws-us-gov',
      generatedAt: '2026-11-20T12:00:00.000Z',
    });
    expect(missingRequiredFields(f)).toEqual([]);
    expect(f.Severity.Label).toBe('HIGH');
    expect(f.ProductArn).toMatch(/^arn:aws-us-gov:securityhub:us-gov-west-1:/);
    expect(f.Resources[0]).toMatchObject({ Type: 'AwsIamUser', Partition: 'aws-us-gov', Id: user.arn });
    expect(f.Remediation.Recommendation.Text).toMatch(/bks revoke-key BedrockAPIKey-ab12/);
    const later = scanUserFinding(
      { ...user, status: 'ORPHANED', credentials: [], accessKeys: [] },
      {
        account: '111111111111',
        region: 'us-gov-west-1',
        partition: 'aws-us-gov',
        generatedAt: '2026-11-21T12:00:00.000Z',
      },
    );
    expect(later.Id).toBe(f.Id); // a status change updates the same finding
    expect(later.Severity.Label).toBe('LOW');
  });

  // One severity source (src/findings/posture.ts, shared with bks compliance): a user's severity is
  // its most severe posture finding. Changed deliberately (issue 15): an API key on an ordinary user
  // is HIGH as in compliance (was MEDIUM here), a phantom whose key expires within policy has no
  // finding and is INFORMATIONAL (was LOW) — the two commands no longer disagree about a user.
  const live = (expiresAt: string | null) => ({
    id: 'ACCAEXAMPLE2',
    status: 'Active',
    createdAt: '2026-11-01T00:00:00.000Z',
    expiresAt,
  });
  it.each([
    ['AT_RISK phantom', { status: 'AT_RISK', phantom: true, credentials: [] }, 'HIGH'],
    ['UNKNOWN', { status: 'UNKNOWN', phantom: true, credentials: [] }, 'MEDIUM'],
    [
      'ACTIVE phantom, key expiring in policy',
      { status: 'ACTIVE', credentials: [live('2026-12-20T00:00:00.000Z')] },
      'INFORMATIONAL',
    ],
    ['ACTIVE phantom, key never expiring', { status: 'ACTIVE', credentials: [live(null)] }, 'MEDIUM'],
    [
      'ACTIVE ordinary user',
      { status: 'ACTIVE', phantom: false, credentials: [live('2026-12-20T00:00:00.000Z')] },
      'HIGH',
    ],
    ['ORPHANED phantom', { status: 'ORPHANED', credentials: [] }, 'LOW'],
    ['ORPHANED ordinary user', { status: 'ORPHANED', phantom: false, credentials: [] }, 'INFORMATIONAL'],
  ] as const)('severity of %s is %s', (_, over, label) => {
    const u = {
      ...user,
      accessKeys: [],
      ...over,
      credentials: [...(over.credentials ?? user.credentials)],
    } as ScanUser;
    expect(scanSeverity(u, { generatedAt: '2026-11-20T12:00:00.000Z' })).toBe(label);
  });

  it('counts a key over --max-age-days only when the scan applied one', () => {
    const old = {
      ...user,
      status: 'ACTIVE',
      accessKeys: [],
      credentials: [live('2026-12-20T00:00:00.000Z')],
    } as ScanUser;
    expect(scanSeverity(old, { generatedAt: '2026-11-20T12:00:00.000Z' })).toBe('INFORMATIONAL');
    expect(scanSeverity(old, { generatedAt: '2026-11-20T12:00:00.000Z', maxAgeDays: 7 })).toBe('MEDIUM');
  });

  it('batches by 100', () => {
    expect(batchFindings(Array.from({ length: 250 }, (_, i) => i)).map((b) => b.length)).toEqual([
      100, 100, 50,
    ]);
  });
});
