/** Scan results built in code for the compliance tests (no key material anywhere: metadata only). */
import type { ScanResult } from '../../src/inventory/scan';
import type { AccountScan, ScanUser } from '../../src/inventory/types';

export const NOW = '2026-11-20T12:00:00.000Z';
const DAY = 86_400_000;
export const daysAgo = (n: number, from = NOW) => new Date(Date.parse(from) - n * DAY).toISOString();
export const inDays = (n: number, from = NOW) => new Date(Date.parse(from) + n * DAY).toISOString();

export function user(account: string, name: string, over: Partial<ScanUser> = {}): ScanUser {
  return {
    userName: name,
    arn: `arn:aws:iam::${account}:user/${name}`,
    phantom: name.startsWith('BedrockAPIKey-'),
    service: 'bedrock',
    status: 'ACTIVE',
    reasons: ['1 active Bedrock API key'],
    evidence: ['name-prefix', 'managed-policy'],
    credentials: [],
    accessKeys: [],
    consolePassword: false,
    mfa: false,
    groups: [],
    ...over,
  };
}

export const cred = (id: string, createdDaysAgo: number, expires: string | null, status = 'Active') => ({
  id,
  status,
  createdAt: daysAgo(createdDaysAgo),
  expiresAt: expires,
});

/** Account A: one of each kind; account B: a key on an ordinary user; account C: failed. */
export function sampleAccounts(): AccountScan[] {
  const A = '222222222222';
  const B = '333333333333';
  return [
    {
      accountId: A,
      name: 'prod',
      status: 'ok',
      users: [
        user(A, 'BedrockAPIKey-risk', {
          status: 'AT_RISK',
          reasons: ['phantom user with 1 active IAM access key'],
          credentials: [cred('ACCARISK', 400, inDays(20))],
          accessKeys: [{ status: 'Active' }],
        }),
        user(A, 'BedrockAPIKey-never', { credentials: [cred('ACCANEVER', 200, null)] }),
        user(A, 'BedrockAPIKey-young', { credentials: [cred('ACCAYOUNG', 3, inDays(27))] }),
        user(A, 'BedrockAPIKey-orph', {
          status: 'ORPHANED',
          reasons: ['phantom user with no active API key'],
        }),
        user(A, 'BedrockAPIKey-dead', {
          status: 'ORPHANED',
          credentials: [
            cred('ACCAEXP', 60, daysAgo(30), 'Expired'),
            cred('ACCAOFF', 60, inDays(30), 'Inactive'),
          ],
        }),
        user(A, 'BedrockAPIKey-unk', {
          status: 'UNKNOWN',
          reasons: ['could not read its IAM access keys (AccessDenied)'],
        }),
      ],
    },
    {
      accountId: B,
      status: 'ok',
      users: [
        user(B, '=HYPERLINK("x")', {
          phantom: false,
          evidence: ['service-credential'],
          credentials: [cred('ACCAORD', 45, null)],
        }),
      ],
    },
    {
      accountId: '444444444444',
      status: 'error',
      error: 'could not assume OrganizationAccountAccessRole: AccessDenied',
      users: [],
    },
  ];
}

export function sampleScan(accounts = sampleAccounts(), generatedAt = NOW): ScanResult {
  const users = accounts.flatMap((a) => a.users);
  return {
    generatedAt,
    partition: 'aws',
    services: ['bedrock', 'claude-platform'],
    accounts,
    summary: {
      accounts: accounts.length,
      accountsFailed: accounts.filter((a) => a.status === 'error').length,
      users: users.length,
      phantoms: users.filter((u) => u.phantom).length,
      byStatus: { AT_RISK: 0, UNKNOWN: 0, ACTIVE: 0, ORPHANED: 0 },
      apiCalls: 0,
    },
  };
}
