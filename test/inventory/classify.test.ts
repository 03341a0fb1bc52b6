import { describe, expect, it } from 'vitest';
import {
  type AccessKeyInfo,
  type ClassifyInput,
  type CredentialInfo,
  classify,
  type LoginInfo,
  parseCredentialReport,
  parseCsv,
  type Read,
  readFailed,
  readOk,
  type UserDetails,
} from '../../src/inventory';
import { managedPolicyArn, serviceById } from '../../src/services';

const now = new Date('2026-11-20T12:00:00Z');
const bedrock = serviceById('bedrock');
const claude = serviceById('claude-platform');
const policy = managedPolicyArn(bedrock, 'aws');

function details(over: Partial<UserDetails> = {}): UserDetails {
  return {
    userName: 'u',
    arn: 'arn:aws:iam::111111111111:user/u',
    path: '/',
    createdAt: '2026-01-01T00:00:00.000Z',
    managedPolicyArns: [policy],
    inlinePolicyNames: [],
    groups: [],
    permissionsBoundaryArn: null,
    tags: {},
    ...over,
  };
}
const cred = (over: Partial<CredentialInfo> = {}): CredentialInfo => ({
  id: 'ACCAEXAMPLE1',
  status: 'Active',
  createdAt: '2026-11-01T00:00:00.000Z',
  expiresAt: '2026-12-01T00:00:00.000Z',
  ...over,
});
const key = (over: Partial<AccessKeyInfo> = {}): AccessKeyInfo => ({ status: 'Active', ...over });
const noLogin: LoginInfo = { passwordEnabled: false, mfaActive: false };

interface Case {
  name: string;
  userName?: string;
  details?: Read<UserDetails>;
  credentials?: Read<CredentialInfo[]>;
  accessKeys?: Read<AccessKeyInfo[]>;
  login?: Read<LoginInfo>;
  maxAgeDays?: number;
  service?: typeof bedrock;
  status: string;
  phantom?: boolean;
  evidence?: string[];
  reasons?: RegExp[];
  notReasons?: RegExp[];
}

const cases: Case[] = [
  {
    name: 'phantom with an active access key is AT_RISK',
    accessKeys: readOk([key({ id: 'AKIAEXAMPLE' })]),
    status: 'AT_RISK',
    phantom: true,
    evidence: ['name-prefix', 'managed-policy', 'service-credential'],
    reasons: [/active IAM access key AKIAEXAMPLE on a phantom user/, /no permissions boundary/],
  },
  {
    name: 'phantom with a console password is AT_RISK',
    login: readOk({ passwordEnabled: true, mfaActive: true }),
    status: 'AT_RISK',
    reasons: [/console password/, /MFA device/],
  },
  {
    name: 'phantom with a live key is ACTIVE',
    status: 'ACTIVE',
    reasons: [/1 active Amazon Bedrock API key: ACCAEXAMPLE1/],
    notReasons: [/never expires/, /ordinary/],
  },
  {
    name: 'phantom with nothing left is ORPHANED',
    credentials: readOk([]),
    status: 'ORPHANED',
    evidence: ['name-prefix', 'managed-policy'],
    reasons: [/no active API key/],
  },
  {
    name: 'an inactive credential does not keep a phantom ACTIVE',
    credentials: readOk([cred({ status: 'Inactive' })]),
    status: 'ORPHANED',
  },
  {
    name: 'expired-but-listed credential (status Expired)',
    credentials: readOk([cred({ status: 'Expired', expiresAt: '2026-11-10T00:00:00.000Z' })]),
    status: 'ORPHANED',
    reasons: [/credential ACCAEXAMPLE1 expired on 2026-11-10 but is still listed \(Expired\)/],
  },
  {
    name: 'Active status past its expiry counts as expired',
    credentials: readOk([cred({ expiresAt: '2026-11-19T00:00:00.000Z' })]),
    status: 'ORPHANED',
    reasons: [/expired on 2026-11-19 but is still listed \(Active\)/],
  },
  {
    name: 'never-expiring key (no expiry)',
    credentials: readOk([cred({ expiresAt: null })]),
    status: 'ACTIVE',
    reasons: [/credential ACCAEXAMPLE1 never expires/],
  },
  {
    name: 'never-expiring key (console writes ~100 years)',
    credentials: readOk([cred({ expiresAt: '2126-11-01T00:00:00.000Z' })]),
    status: 'ACTIVE',
    reasons: [/never expires/],
  },
  {
    name: 'key older than --max-age-days',
    credentials: readOk([cred({ createdAt: '2026-01-01T00:00:00.000Z', expiresAt: null })]),
    maxAgeDays: 90,
    status: 'ACTIVE',
    reasons: [/is 323 days old \(over the maximum key age, 90 days\)/],
  },
  {
    name: 'key younger than --max-age-days is no finding',
    maxAgeDays: 90,
    status: 'ACTIVE',
    notReasons: [/days old/],
  },
  {
    name: 'key on an ordinary user',
    userName: 'alice',
    details: readOk(
      details({ userName: 'alice', managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }),
    ),
    accessKeys: readOk([key()]),
    status: 'ACTIVE',
    phantom: false,
    evidence: ['service-credential'],
    reasons: [/API key on an ordinary IAM user/],
    notReasons: [/access key/, /boundary/],
  },
  {
    name: 'ordinary user with only dead keys is ORPHANED but said to be left alone',
    userName: 'alice',
    details: readOk(details({ userName: 'alice', managedPolicyArns: [] })),
    credentials: readOk([cred({ status: 'Inactive' })]),
    status: 'ORPHANED',
    phantom: false,
    reasons: [/not a phantom: cleanup leaves it alone/],
  },
  {
    name: 'inactive but recently used access key',
    credentials: readOk([]),
    accessKeys: readOk([key({ status: 'Inactive', lastUsedAt: '2026-11-15T00:00:00.000Z' })]),
    status: 'ORPHANED',
    reasons: [/inactive IAM access key #1 was used 5 days ago \(2026-11-15\)/],
  },
  {
    name: 'access key older than --max-age-days on a phantom',
    accessKeys: readOk([key({ id: 'AKIAOLD', createdAt: '2025-01-01T00:00:00.000Z' })]),
    maxAgeDays: 365,
    status: 'AT_RISK',
    reasons: [/IAM access key AKIAOLD is \d+ days old/],
  },
  {
    name: 'phantom with groups, extra policies, inline policies and a boundary',
    details: readOk(
      details({
        groups: ['devs'],
        managedPolicyArns: [policy, 'arn:aws:iam::aws:policy/AdministratorAccess'],
        inlinePolicyNames: ['extra'],
        permissionsBoundaryArn: 'arn:aws:iam::111111111111:policy/boundary',
      }),
    ),
    status: 'ACTIVE',
    reasons: [
      /member of groups: devs/,
      /extra managed policies: .*AdministratorAccess/,
      /inline policies: extra/,
    ],
    notReasons: [/no permissions boundary/],
  },
  {
    name: 'look-alike name without the managed policy',
    details: readOk(details({ managedPolicyArns: [] })),
    status: 'ACTIVE',
    phantom: true,
    evidence: ['name-prefix', 'service-credential'],
    reasons: [/named like a console phantom but AmazonBedrockLimitedAccess is not attached/],
  },
  {
    name: 'managed policy on a user without the prefix makes a phantom',
    userName: 'bedrock-bot',
    credentials: readOk([]),
    status: 'ORPHANED',
    phantom: true,
    evidence: ['managed-policy'],
    reasons: [/attached but the name lacks BedrockAPIKey-/],
  },
  {
    name: 'GovCloud managed policy ARN counts',
    details: readOk(details({ managedPolicyArns: [managedPolicyArn(bedrock, 'aws-us-gov')] })),
    evidence: ['name-prefix', 'managed-policy', 'service-credential'],
    status: 'ACTIVE',
  },
  {
    name: 'denied access keys read → UNKNOWN, never ORPHANED',
    credentials: readOk([]),
    accessKeys: readFailed('AccessDenied: not allowed'),
    status: 'UNKNOWN',
    reasons: [/could not read its IAM access keys \(AccessDenied: not allowed\)/],
  },
  {
    name: 'throttled credentials read → UNKNOWN',
    credentials: readFailed('Throttling: Rate exceeded'),
    status: 'UNKNOWN',
    reasons: [/could not read its Amazon Bedrock credentials/],
  },
  {
    name: 'unread details → UNKNOWN even with an active access key',
    details: readFailed('AccessDenied'),
    accessKeys: readOk([key()]),
    status: 'UNKNOWN',
    reasons: [/policies and groups/, /active IAM access key/],
  },
  {
    name: 'unread login → UNKNOWN',
    login: readFailed('AccessDenied'),
    status: 'UNKNOWN',
    reasons: [/console password and MFA/],
  },
  {
    name: 'Claude Platform phantoms read their own table entry',
    service: claude,
    userName: 'AeaApiKey-zz99',
    details: readOk(details({ managedPolicyArns: [managedPolicyArn(claude, 'aws')] })),
    accessKeys: readOk([key()]),
    status: 'AT_RISK',
    evidence: ['name-prefix', 'managed-policy', 'service-credential'],
    reasons: [/persistent credential with AnthropicLimitedAccess/],
  },
];

describe('classify', () => {
  it.each(cases)('$name', (c) => {
    const input: ClassifyInput = {
      service: c.service ?? bedrock,
      userName: c.userName ?? 'BedrockAPIKey-ab12',
      details: c.details ?? readOk(details()),
      credentials: c.credentials ?? readOk([cred()]),
      accessKeys: c.accessKeys ?? readOk([]),
      login: c.login ?? readOk(noLogin),
    };
    const out = classify(input, { now, maxAgeDays: c.maxAgeDays });
    expect(out.status).toBe(c.status);
    if (c.phantom !== undefined) expect(out.phantom).toBe(c.phantom);
    if (c.evidence) expect(out.evidence).toEqual(c.evidence);
    for (const r of c.reasons ?? [])
      expect(
        out.reasons.some((x) => r.test(x)),
        `${r} in ${out.reasons}`,
      ).toBe(true);
    for (const r of c.notReasons ?? [])
      expect(
        out.reasons.some((x) => r.test(x)),
        `${r} not in ${out.reasons}`,
      ).toBe(false);
  });

  it('is UNKNOWN whenever any single input is unreadable (every combination)', () => {
    const inputs = ['details', 'credentials', 'accessKeys', 'login'] as const;
    for (let mask = 1; mask < 16; mask++) {
      const input: ClassifyInput = {
        service: bedrock,
        userName: 'BedrockAPIKey-ab12',
        details: readOk(details()),
        credentials: readOk([]),
        accessKeys: readOk([]),
        login: readOk(noLogin),
      };
      inputs.forEach((name, i) => {
        if (mask & (1 << i))
          (input as unknown as Record<string, Read<unknown>>)[name] = readFailed('AccessDenied');
      });
      expect(classify(input, { now }).status).toBe('UNKNOWN');
    }
  });
});

describe('credential report', () => {
  const header =
    'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
  it('reads access key slots, last use, password and MFA', () => {
    const csv = [
      header,
      '<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      'BedrockAPIKey-ab12,arn:aws:iam::111111111111:user/BedrockAPIKey-ab12,2026-01-01T00:00:00+00:00,true,N/A,2026-01-01T00:00:00+00:00,N/A,false,true,2026-02-01T00:00:00+00:00,2026-11-01T10:00:00+00:00,us-east-1,bedrock,false,2026-03-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A',
      '"weird,name",arn:aws:iam::111111111111:user/weird,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    ].join('\n');
    const rows = parseCredentialReport(csv);
    expect([...rows.keys()]).toEqual(['BedrockAPIKey-ab12', 'weird,name']);
    expect(rows.get('BedrockAPIKey-ab12')).toEqual({
      user: 'BedrockAPIKey-ab12',
      arn: 'arn:aws:iam::111111111111:user/BedrockAPIKey-ab12',
      login: { passwordEnabled: true, mfaActive: false },
      accessKeys: [
        { status: 'Active', createdAt: '2026-02-01T00:00:00.000Z', lastUsedAt: '2026-11-01T10:00:00.000Z' },
        { status: 'Inactive', createdAt: '2026-03-01T00:00:00.000Z', lastUsedAt: null },
      ],
    });
    expect(rows.get('weird,name')).toMatchObject({ login: { mfaActive: true }, accessKeys: [] });
  });

  it('parses quoted CSV cells', () => {
    expect(parseCsv('a,"b ""x"", c"\r\n1,2\n')).toEqual([
      ['a', 'b "x", c'],
      ['1', '2'],
    ]);
  });
});
