import { describe, expect, it } from 'vitest';
import { FLAG_NAMES } from '../../src/cli/flags';
import { DENY_POLICY_NAME, denySessionsBeforePolicy, SESSION_POLICY_NAME } from '../../src/response/policies';
import {
  type Caller,
  planRevokeLongTerm,
  planRevokeShortTerm,
  type RevokeOptions,
  type RevokeTarget,
  type Signer,
} from '../../src/response/revoke';
import type { UserState } from '../../src/response/user-state';
import { serviceById } from '../../src/services';
import { ACCOUNT, userState } from './fixtures';

const bedrock = serviceById('bedrock');
const claude = serviceById('claude-platform');
const caller: Caller = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/secops`, partition: 'aws' };

const user = userState;

const key = (
  userName: string,
  credentialIndex = 0,
  accountId = ACCOUNT,
): RevokeTarget & { kind: 'long-term' } => ({
  kind: 'long-term',
  service: bedrock,
  accountId,
  userName,
  credentialIndex,
});

const summary = (plan: ReturnType<typeof planRevokeLongTerm>) =>
  plan.steps.map(
    (s) =>
      `${s.action} ${Object.values(s.params)
        .filter((v) => typeof v === 'string' && !v.startsWith('{'))
        .join(' ')}`,
  );

describe('planRevokeLongTerm', () => {
  const cases: {
    name: string;
    target: Extract<RevokeTarget, { kind: 'long-term' | 'user' }>;
    user: UserState | null;
    options?: RevokeOptions;
    steps?: string[];
    refused?: RegExp;
    notes?: RegExp[];
  }[] = [
    {
      name: 'primary key: only that credential, plus the phantom access key',
      target: key('BedrockAPIKey-h42z'),
      user: user('BedrockAPIKey-h42z'),
      steps: [
        'UpdateServiceSpecificCredential BedrockAPIKey-h42z ACCA0000000000000001 Inactive',
        'UpdateAccessKey BedrockAPIKey-h42z AKIAEXAMPLE000000001 Inactive',
      ],
    },
    {
      name: '+1 key: the second credential, the first keeps working',
      target: key('BedrockAPIKey-h42z', 1),
      user: user('BedrockAPIKey-h42z'),
      steps: [
        'UpdateServiceSpecificCredential BedrockAPIKey-h42z ACCA0000000000000002 Inactive',
        'UpdateAccessKey BedrockAPIKey-h42z AKIAEXAMPLE000000001 Inactive',
      ],
    },
    {
      name: 'second run: everything already inactive, nothing planned',
      target: key('BedrockAPIKey-h42z'),
      user: user('BedrockAPIKey-h42z', {
        credentials: [
          {
            id: 'ACCA0000000000000001',
            serviceName: 'bedrock.amazonaws.com',
            alias: `BedrockAPIKey-h42z-at-${ACCOUNT}`,
            status: 'Inactive',
          },
        ],
        accessKeys: [{ id: 'AKIAEXAMPLE000000001', status: 'Inactive' }],
      }),
      steps: [],
      notes: [/already Inactive/, /already Inactive/],
    },
    {
      name: '--all-keys: every bedrock credential and the fixed-name deny',
      target: key('BedrockAPIKey-h42z'),
      user: user('BedrockAPIKey-h42z', {
        credentials: [
          ...user('BedrockAPIKey-h42z').credentials,
          {
            id: 'ACCA0000000000000003',
            serviceName: 'codecommit.amazonaws.com',
            serviceUserName: 'x-at-1',
            status: 'Active',
          },
        ],
      }),
      options: { allKeys: true },
      steps: [
        'UpdateServiceSpecificCredential BedrockAPIKey-h42z ACCA0000000000000001 Inactive',
        'UpdateServiceSpecificCredential BedrockAPIKey-h42z ACCA0000000000000002 Inactive',
        'UpdateAccessKey BedrockAPIKey-h42z AKIAEXAMPLE000000001 Inactive',
        `PutUserPolicy BedrockAPIKey-h42z ${DENY_POLICY_NAME}`,
      ],
    },
    {
      name: '--all-keys second run: the deny policy is already there',
      target: key('BedrockAPIKey-h42z'),
      user: user('BedrockAPIKey-h42z', {
        credentials: [],
        accessKeys: [],
        inlinePolicies: [
          {
            name: DENY_POLICY_NAME,
            document: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Deny', Action: ['bedrock-mantle:*', 'bedrock:*'], Resource: '*' }],
            }),
          },
        ],
      }),
      options: { allKeys: true },
      steps: [],
      notes: [/already denies bedrock-mantle:\*, bedrock:\*/],
    },
    {
      name: '--delete: deletion, marked irreversible',
      target: key('BedrockAPIKey-h42z'),
      user: user('BedrockAPIKey-h42z'),
      options: { delete: true },
      steps: [
        'DeleteServiceSpecificCredential BedrockAPIKey-h42z ACCA0000000000000001',
        'DeleteAccessKey BedrockAPIKey-h42z AKIAEXAMPLE000000001',
      ],
    },
    {
      name: 'a key of another account is refused (in the CLI, the refusal names its flags)',
      target: key('BedrockAPIKey-h42z', 0, '210987654321'),
      user: user('BedrockAPIKey-h42z'),
      options: { names: FLAG_NAMES },
      refused: /belongs to account 210987654321.*--org-role.*--force does not change this/,
    },
    {
      name: 'a key of another account is refused (without a front end, the options by what they are)',
      target: key('BedrockAPIKey-h42z', 0, '210987654321'),
      user: user('BedrockAPIKey-h42z'),
      refused:
        /belongs to account 210987654321.*\(a profile\), or the organization role ROLE.*the force option does not change this/,
    },
    {
      name: 'a key of another account is refused with --force too (never "nothing to change")',
      target: key('BedrockAPIKey-h42z', 0, '210987654321'),
      user: null,
      options: { force: true },
      refused: /belongs to account 210987654321/,
    },
    {
      name: 'a non-phantom user is refused (a typo must not deny Bedrock to an admin)',
      target: { kind: 'user', userName: 'alice' },
      user: user('alice', { attachedPolicies: [] }),
      options: { names: FLAG_NAMES },
      refused: /not a phantom.*without --force$/,
    },
    {
      name: 'a non-phantom user with --force: its credentials and the deny, its access keys untouched',
      target: key('alice'),
      user: user('alice', { attachedPolicies: [] }),
      options: { force: true, allKeys: true },
      steps: [
        'UpdateServiceSpecificCredential alice ACCA0000000000000001 Inactive',
        'UpdateServiceSpecificCredential alice ACCA0000000000000002 Inactive',
        `PutUserPolicy alice ${DENY_POLICY_NAME}`,
      ],
    },
    {
      name: 'a phantom by managed policy (API-created user name) is a phantom',
      target: key('ml-pipeline'),
      user: user('ml-pipeline'),
      steps: [
        'UpdateServiceSpecificCredential ml-pipeline ACCA0000000000000001 Inactive',
        'UpdateAccessKey ml-pipeline AKIAEXAMPLE000000001 Inactive',
      ],
    },
    {
      name: 'user absent: nothing to do',
      target: key('BedrockAPIKey-gone'),
      user: null,
      steps: [],
      notes: [/no such user/],
    },
    {
      name: 'credential deleted since the leak: nothing for it, phantom access keys still go',
      target: key('BedrockAPIKey-h42z', 1),
      user: user('BedrockAPIKey-h42z', { credentials: [user('BedrockAPIKey-h42z').credentials[0]!] }),
      steps: ['UpdateAccessKey BedrockAPIKey-h42z AKIAEXAMPLE000000001 Inactive'],
      notes: [/no credential with this alias/],
    },
    {
      name: 'USER target: all its keys of every service it holds, and a deny over those namespaces',
      target: { kind: 'user', userName: 'AeaApiKey-k9' },
      user: user('AeaApiKey-k9', {
        credentials: [
          {
            id: 'ACCA0000000000000009',
            serviceName: claude.sscServiceName,
            alias: `AeaApiKey-k9-at-${ACCOUNT}`,
            status: 'Active',
          },
        ],
        accessKeys: [],
        attachedPolicies: [],
      }),
      steps: [
        'UpdateServiceSpecificCredential AeaApiKey-k9 ACCA0000000000000009 Inactive',
        `PutUserPolicy AeaApiKey-k9 ${DENY_POLICY_NAME}`,
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRevokeLongTerm({ caller, target: c.target, user: c.user, options: c.options ?? {} });
      if (c.refused) {
        expect(plan.refused).toMatch(c.refused);
        expect(plan.steps).toEqual([]);
        return;
      }
      expect(plan.refused).toBeUndefined();
      expect(summary(plan)).toEqual(c.steps);
      for (const re of c.notes ?? []) expect(plan.notes.map((n) => n.message).join('\n')).toMatch(re);
      for (const s of plan.steps) {
        if (s.action.startsWith('Delete')) expect(s.irreversible).toBe(true);
        else expect(s.undo).toBeDefined();
      }
    });
  }

  it('the deny policy covers the service namespaces from the service table and undoes by deletion', () => {
    const plan = planRevokeLongTerm({
      caller,
      target: key('BedrockAPIKey-h42z'),
      user: user('BedrockAPIKey-h42z'),
      options: { allKeys: true },
    });
    const put = plan.steps.find((s) => s.action === 'PutUserPolicy');
    expect(JSON.parse(put?.params.PolicyDocument as string).Statement[0].Action).toEqual([
      'bedrock-mantle:*',
      'bedrock:*',
    ]);
    expect(put?.undo).toEqual({
      action: 'DeleteUserPolicy',
      params: { UserName: 'BedrockAPIKey-h42z', PolicyName: DENY_POLICY_NAME },
    });
  });
});

describe('planRevokeShortTerm', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  const st = (
    over: Partial<Extract<RevokeTarget, { kind: 'short-term' }>> = {},
  ): Extract<RevokeTarget, { kind: 'short-term' }> => ({
    kind: 'short-term',
    service: bedrock,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLE000000001',
    accessKeyType: 'ASIA',
    region: 'eu-west-1',
    issuedAt: '2026-11-20T10:00:00Z',
    expiresAt: '2026-11-20T22:00:00Z',
    ...over,
  });
  const role: Signer = { kind: 'role', name: 'ml-app', arn: `arn:aws:iam::${ACCOUNT}:role/ml-app` };
  const cases: {
    name: string;
    target?: ReturnType<typeof st>;
    signer: Signer;
    existing?: string;
    options?: RevokeOptions;
    caller?: Caller;
    steps?: string[];
    refused?: RegExp;
    note?: RegExp;
  }[] = [
    {
      name: 'role signer: session deny on the role',
      signer: role,
      steps: [`PutRolePolicy ml-app ${SESSION_POLICY_NAME}`],
    },
    {
      name: 'second run: the cut-off already covers the key',
      signer: role,
      existing: denySessionsBeforePolicy('2026-11-20T11:00:00Z'),
      steps: [],
      note: /already denies sessions issued before 2026-11-20T11:00:00Z/,
    },
    {
      name: 'an older cut-off is moved forward (same name, updated in place)',
      signer: role,
      existing: denySessionsBeforePolicy('2026-11-19T00:00:00Z'),
      steps: [`PutRolePolicy ml-app ${SESSION_POLICY_NAME}`],
    },
    {
      name: 'SSO role: refused, with the Identity Center steps',
      signer: {
        kind: 'role',
        name: 'AWSReservedSSO_Admin_0123abcd',
        arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd`,
      },
      refused: /IAM Identity Center.*Revoke/,
    },
    {
      name: 'SSO role with --force: the deny goes on',
      signer: {
        kind: 'role',
        name: 'AWSReservedSSO_Admin_0123abcd',
        arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd`,
      },
      options: { force: true },
      steps: [`PutRolePolicy AWSReservedSSO_Admin_0123abcd ${SESSION_POLICY_NAME}`],
    },
    { name: 'root: refused', signer: { kind: 'root', arn: `arn:aws:iam::${ACCOUNT}:root` }, refused: /root/ },
    {
      name: 'the caller itself: refused',
      signer: role,
      caller: { ...caller, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ml-app/me` },
      refused: /identity running this command/,
    },
    {
      name: 'signer not found: refused (fail closed)',
      signer: { kind: 'unknown', reason: 'not in CloudTrail' },
      refused: /not in CloudTrail/,
    },
    {
      name: 'expired key: nothing to do',
      target: st({ expiresAt: '2026-11-20T11:00:00Z' }),
      signer: role,
      steps: [],
      note: /expired/,
    },
    {
      name: 'other account: refused',
      target: st({ accountId: '210987654321' }),
      signer: role,
      refused: /210987654321/,
    },
    {
      name: 'ASIA signed by an IAM user (GetSessionToken): deny on the user',
      signer: { kind: 'user', name: 'dev', arn: `arn:aws:iam::${ACCOUNT}:user/dev`, state: null },
      steps: [`PutUserPolicy dev ${SESSION_POLICY_NAME}`],
    },
    {
      name: 'AKIA-signed key: the signing access key is deactivated',
      target: st({ accessKeyId: 'AKIAEXAMPLE000000001', accessKeyType: 'AKIA' }),
      signer: { kind: 'user', name: 'dev', arn: `arn:aws:iam::${ACCOUNT}:user/dev`, state: user('dev') },
      steps: ['UpdateAccessKey dev AKIAEXAMPLE000000001 Inactive'],
    },
    {
      name: 'AKIA-signed key, already inactive: nothing to do',
      target: st({ accessKeyId: 'AKIAEXAMPLE000000001', accessKeyType: 'AKIA' }),
      signer: {
        kind: 'user',
        name: 'dev',
        arn: `arn:aws:iam::${ACCOUNT}:user/dev`,
        state: user('dev', { accessKeys: [{ id: 'AKIAEXAMPLE000000001', status: 'Inactive' }] }),
      },
      steps: [],
      note: /already Inactive/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRevokeShortTerm({
        caller: c.caller ?? caller,
        target: c.target ?? st(),
        signer: c.signer,
        existingSessionPolicy: c.existing,
        options: c.options ?? {},
        now,
      });
      if (c.refused) {
        expect(plan.refused).toMatch(c.refused);
        expect(plan.steps).toEqual([]);
        return;
      }
      expect(plan.refused).toBeUndefined();
      expect(summary(plan)).toEqual(c.steps);
      if (c.note) expect(plan.notes.map((n) => n.message).join('\n')).toMatch(c.note);
    });
  }

  it('the session deny uses aws:TokenIssueTime at now and restores the previous document on undo', () => {
    const previous = denySessionsBeforePolicy('2026-11-19T00:00:00Z');
    const plan = planRevokeShortTerm({
      caller,
      target: st(),
      signer: role,
      existingSessionPolicy: previous,
      options: {},
      now,
    });
    const doc = JSON.parse(plan.steps[0]?.params.PolicyDocument as string);
    expect(doc.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Action: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:01Z' } },
    });
    expect(plan.steps[0]?.undo?.params.PolicyDocument).toBe(previous);
  });
});
