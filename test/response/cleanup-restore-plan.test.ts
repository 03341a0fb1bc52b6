import { describe, expect, it } from 'vitest';
import { cleanupBlocker, planUserDeletion, stateChanges } from '../../src/response/cleanup';
import type { ResponseRecord } from '../../src/response/record';
import {
  BACKUP_SCHEMA,
  type CurrentState,
  planRestoreBackup,
  planRestoreRevoke,
} from '../../src/response/restore';
import { planRevokeLongTerm } from '../../src/response/revoke';
import type { UserState } from '../../src/response/user-state';
import { serviceById } from '../../src/services';
import { ACCOUNT, userState } from './fixtures';

const now = new Date('2026-11-20T12:00:00Z');
const orphan = (over: Partial<UserState> = {}) =>
  userState('BedrockAPIKey-old1', {
    credentials: [{ id: 'ACCA0000000000000001', serviceName: 'bedrock.amazonaws.com', status: 'Expired' }],
    accessKeys: [],
    ...over,
  });

describe('cleanupBlocker', () => {
  const cases: [string, UserState, object, RegExp | undefined][] = [
    ['orphaned phantom: may go', orphan(), {}, undefined],
    [
      'active credential: kept (the inventory says ACTIVE)',
      userState('BedrockAPIKey-a', { accessKeys: [] }),
      {},
      /bedrock: ACTIVE/,
    ],
    [
      'active access key: kept (the inventory says AT_RISK)',
      orphan({ accessKeys: [{ id: 'AKIAEXAMPLE000000009', status: 'Active' }] }),
      {},
      /bedrock: AT_RISK/,
    ],
    [
      'active credential of another service: kept',
      orphan({
        credentials: [
          { id: 'ACCA0000000000000007', serviceName: 'codecommit.amazonaws.com', status: 'Active' },
        ],
      }),
      {},
      /codecommit/,
    ],
    ['not a phantom: kept', orphan({ userName: 'alice', attachedPolicies: [] }), {}, /not a phantom/],
    ['excluded', orphan(), { exclude: ['BedrockAPIKey-old1'] }, /excluded/],
    [
      'younger than --older-than',
      orphan({ createdAt: '2026-11-10T00:00:00Z' }),
      { olderThanDays: 30 },
      /not older than 30/,
    ],
    ['older than --older-than', orphan(), { olderThanDays: 30 }, undefined],
    ['console password: kept (AT_RISK)', orphan({ loginProfile: true }), {}, /AT_RISK/],
    [
      'Active status but past its expiry: orphaned',
      orphan({
        credentials: [
          {
            id: 'ACCA0000000000000001',
            serviceName: 'bedrock.amazonaws.com',
            status: 'Active',
            expiresAt: '2026-02-01T00:00:00Z',
          },
        ],
      }),
      {},
      /ACCA0000000000000001.*Active/,
    ],
  ];
  for (const [name, user, filters, expected] of cases) {
    it(name, () => {
      const blocker = cleanupBlocker(user, { now, ...filters });
      if (expected) expect(blocker).toMatch(expected);
      else expect(blocker).toBeUndefined();
    });
  }
});

describe('planUserDeletion', () => {
  it('removes everything that blocks DeleteUser, in a safe order, DeleteUser last', () => {
    const steps = planUserDeletion(
      orphan({
        loginProfile: true,
        mfaDevices: ['arn:aws:iam::123456789012:mfa/x'],
        sshPublicKeys: [{ id: 'APKAEXAMPLE', status: 'Active' }],
        signingCertificates: [{ id: 'CERTEXAMPLE', status: 'Active' }],
        groups: ['devs'],
        credentials: [
          { id: 'ACCA0000000000000001', serviceName: 'bedrock.amazonaws.com', status: 'Inactive' },
          { id: 'ACCA0000000000000002', serviceName: 'codecommit.amazonaws.com', status: 'Inactive' },
        ],
        accessKeys: [{ id: 'AKIAEXAMPLE000000001', status: 'Inactive' }],
        inlinePolicies: [{ name: 'x', document: '{}' }],
        permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
      }),
    );
    expect(steps.map((s) => s.action)).toEqual([
      'DeleteLoginProfile',
      'DeactivateMFADevice',
      'DeleteSSHPublicKey',
      'DeleteSigningCertificate',
      'RemoveUserFromGroup',
      'DeleteServiceSpecificCredential',
      'DeleteServiceSpecificCredential',
      'DeleteAccessKey',
      'DetachUserPolicy',
      'DeleteUserPolicy',
      'DeleteUser',
    ]);
    expect(new Set(steps.map((s) => s.group))).toEqual(new Set(['BedrockAPIKey-old1']));
    expect(steps.every((s) => s.irreversible)).toBe(true);
  });

  it('an already bare user is one DeleteUser', () => {
    expect(planUserDeletion(orphan({ credentials: [], attachedPolicies: [] })).map((s) => s.action)).toEqual([
      'DeleteUser',
    ]);
  });
});

describe('stateChanges', () => {
  it('names what moved between two reads, ignoring order', () => {
    const a = orphan({ groups: ['a', 'b'] });
    expect(stateChanges(a, orphan({ groups: ['b', 'a'] }))).toEqual([]);
    expect(
      stateChanges(
        a,
        orphan({ groups: ['a', 'b'], accessKeys: [{ id: 'AKIAEXAMPLE000000002', status: 'Active' }] }),
      ),
    ).toEqual(['accessKeys']);
  });
});

function revokeRecord(steps: ResponseRecord['steps'], subjectId = 'AIDAEXAMPLE000000001'): ResponseRecord {
  return {
    schema: 'bks.record/v1',
    command: 'revoke-key',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    state: 'completed',
    accountId: ACCOUNT,
    partition: 'aws',
    caller: 'arn:aws:iam::123456789012:user/secops',
    target: 'BedrockAPIKey-h42z-at-123456789012',
    subjects: [{ kind: 'user', name: 'BedrockAPIKey-h42z', id: subjectId }],
    steps,
    notes: [],
  };
}

describe('planRestoreRevoke', () => {
  const revoked = planRevokeLongTerm({
    caller: { accountId: ACCOUNT, arn: 'arn:aws:iam::123456789012:user/secops', partition: 'aws' },
    target: {
      kind: 'long-term',
      service: serviceById('bedrock'),
      accountId: ACCOUNT,
      userName: 'BedrockAPIKey-h42z',
      credentialIndex: 0,
    },
    user: userState('BedrockAPIKey-h42z'),
    options: { allKeys: true },
  });
  const doneSteps = revoked.steps.map((s) => ({ ...s, status: 'done' as const }));
  const putDoc = revoked.steps.find((s) => s.action === 'PutUserPolicy')?.params.PolicyDocument as string;
  const afterRevoke = userState('BedrockAPIKey-h42z', {
    credentials: userState('x').credentials.map((c) => ({ ...c, status: 'Inactive' })),
    accessKeys: [{ id: 'AKIAEXAMPLE000000001', status: 'Inactive' }],
    inlinePolicies: [{ name: 'bks-revoke-deny', document: putDoc }],
  });
  const cur = (u: UserState | null): CurrentState => ({
    users: new Map([['BedrockAPIKey-h42z', u]]),
    roles: new Map(),
  });

  const cases: [string, ResponseRecord, UserState | null, string[] | RegExp][] = [
    [
      'undoes every done step in reverse order',
      revokeRecord(doneSteps),
      afterRevoke,
      [
        'DeleteUserPolicy',
        'UpdateAccessKey',
        'UpdateServiceSpecificCredential',
        'UpdateServiceSpecificCredential',
      ],
    ],
    ['a second restore changes nothing', revokeRecord(doneSteps), userState('BedrockAPIKey-h42z'), []],
    [
      'steps that never ran are not undone',
      revokeRecord(doneSteps.map((s) => ({ ...s, status: 'not-run' as const }))),
      afterRevoke,
      [],
    ],
    [
      'a deleted credential refuses the restore',
      revokeRecord(doneSteps),
      { ...afterRevoke, credentials: afterRevoke.credentials.slice(1) },
      /credential ACCA0000000000000001.*deleted/,
    ],
    [
      'a recreated user refuses the restore',
      revokeRecord(doneSteps),
      { ...afterRevoke, userId: 'AIDAOTHER' },
      /recreated/,
    ],
    ['a deleted user refuses the restore', revokeRecord(doneSteps), null, /no longer exists/],
    [
      'an edited deny policy refuses the restore',
      revokeRecord(doneSteps),
      {
        ...afterRevoke,
        inlinePolicies: [{ name: 'bks-revoke-deny', document: '{"Version":"2012-10-17","Statement":[]}' }],
      },
      /edited/,
    ],
  ];
  for (const [name, record, state, expected] of cases) {
    it(name, () => {
      const plan = planRestoreRevoke(record, cur(state));
      if (expected instanceof RegExp) {
        expect(plan.refused).toMatch(expected);
        expect(plan.steps).toEqual([]);
      } else {
        expect(plan.refused).toBeUndefined();
        expect(plan.steps.map((s) => s.action)).toEqual(expected);
      }
    });
  }
});

describe('planRestoreBackup', () => {
  const backedUp = orphan({
    path: '/ml/',
    tags: [{ Key: 'team', Value: 'ml' }],
    groups: ['devs'],
    inlinePolicies: [{ name: 'extra', document: '{"Version":"2012-10-17","Statement":[]}' }],
    permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
    accessKeys: [{ id: 'AKIAEXAMPLE000000001', status: 'Inactive' }],
    loginProfile: true,
  });
  const backup = {
    schema: BACKUP_SCHEMA,
    takenAt: now.toISOString(),
    accountId: ACCOUNT,
    partition: 'aws',
    user: backedUp,
  } as const;

  it('recreates user, path, tags, boundary, policies and groups, and says credentials are gone', () => {
    const plan = planRestoreBackup(backup, null);
    expect(plan.steps.map((s) => s.action)).toEqual([
      'CreateUser',
      'AttachUserPolicy',
      'PutUserPolicy',
      'AddUserToGroup',
    ]);
    expect(plan.steps[0]?.params).toEqual({
      UserName: 'BedrockAPIKey-old1',
      Path: '/ml/',
      PermissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
      Tags: [{ Key: 'team', Value: 'ml' }],
    });
    const text = plan.notes.map((n) => n.message).join('\n');
    expect(text).toMatch(
      /credentials cannot be recreated: 1 service-specific credential.*1 access key.*console password/,
    );
  });

  it('a half-deleted user (same id) gets back only what it lost; a second restore plans nothing', () => {
    const half = { ...backedUp, attachedPolicies: [], groups: [], credentials: [], accessKeys: [] };
    expect(planRestoreBackup(backup, half).steps.map((s) => s.action)).toEqual([
      'AttachUserPolicy',
      'AddUserToGroup',
    ]);
    expect(planRestoreBackup(backup, backedUp).steps).toEqual([]);
  });

  it('refuses when another user of that name exists; a user already restored (new id, same contents) is left alone', () => {
    expect(planRestoreBackup(backup, { ...backedUp, userId: 'AIDAOTHER', groups: [] }).refused).toMatch(
      /different user/,
    );
    const again = planRestoreBackup(backup, {
      ...backedUp,
      userId: 'AIDAOTHER',
      credentials: [],
      accessKeys: [],
    });
    expect(again.refused).toBeUndefined();
    expect(again.steps).toEqual([]);
    expect(again.notes[0]?.message).toMatch(/already restored/);
  });
});
