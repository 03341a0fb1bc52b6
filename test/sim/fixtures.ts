/**
 * Fixtures for the sim-services tests: key texts built from parts (never a key literal in the
 * repository) and a small scenario with bearer-key users, a role and a CloudTrail history.
 */

import { makeAccessKeyId, type Scenario } from '../../sim/scenario';
import { trailRecord } from '../helpers/cloudtrail';

export const ACCT = '111111111111';
export const OTHER = '222222222222';
export const NOW = '2026-11-20T12:00:00Z';
export const ADMIN_KEY = ['AKIA', 'SIMADMINTESTKEY1'].join('');
export const SECRET_A = ['s3cr3t', 'Alpha', '0123456789abcdefghij'].join('');
export const SECRET_B = ['s3cr3t', 'Bravo', '0123456789abcdefghij'].join('');
export const SECRET_C = ['s3cr3t', 'Charlie', '0123456789abcdefgh'].join('');
/** Access key ids whose account decodes offline (as real ones do). */
export const USER_KEY = makeAccessKeyId('AKIA', '111111111111', counter(1));
export const UNKNOWN_KEY = makeAccessKeyId('AKIA', '111111111111', counter(99));
/** Secret of ml-user's access key (USER_KEY). */
export const USER_SECRET = 'x'.repeat(40);

function counter(start: number): () => number {
  let n = start;
  return () => (n = (n * 1103515245 + 12345) >>> 0);
}

/** `ABSK` + base64(`alias:secret`). */
export function longTermKey(alias: string, secret: string): string {
  return 'ABSK' + Buffer.from(`${alias}:${secret}`).toString('base64');
}

/** `AEAA…`: base64 of the three framing bytes + `alias:secret`. */
export function claudeKey(alias: string, secret: string): string {
  return Buffer.concat([Buffer.from([0, 0x40, 0]), Buffer.from(`${alias}:${secret}`)]).toString('base64');
}

function event(i: number, region: string, user: string, name: string, extra: Record<string, unknown> = {}) {
  return trailRecord(
    {
      account: ACCT,
      userName: user,
      region,
      time: new Date(Date.parse(NOW) - (i + 1) * 60_000),
      id: `evt-${region}-${i}`,
      requestId: `req-${region}-${i}`,
      principalId: 'AIDAEXAMPLE',
      accessKeyId: user === 'ml-user' ? USER_KEY : undefined,
      eventName: name,
    },
    extra,
  );
}

/** 120 events in us-west-2 (two users, two event names), 3 in us-east-1, one 100 days old. */
export function events(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 120; i++) {
    out.push(
      event(
        i,
        'us-west-2',
        i % 3 === 0 ? 'ml-user' : 'BedrockAPIKey-ab12',
        i % 2 === 0 ? 'InvokeModel' : 'Converse',
      ),
    );
  }
  for (let i = 0; i < 3; i++) out.push(event(i, 'us-east-1', 'ml-user', 'ListFoundationModels'));
  const old = event(0, 'us-west-2', 'ml-user', 'InvokeModel');
  old.eventTime = new Date(Date.parse(NOW) - 100 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  old.eventID = 'evt-too-old';
  out.push(old);
  return out.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
}

export function scenario(): Scenario {
  return {
    now: NOW,
    rateLimits: { 'cloudtrail:LookupEvents': 1000 },
    principals: [{ accessKeyId: ADMIN_KEY, account: ACCT, arn: `arn:aws:iam::${ACCT}:user/secops` }],
    accounts: [
      {
        id: ACCT,
        regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
        roles: [
          {
            name: 'AppRole',
            trustedAccounts: [ACCT],
            managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
          },
        ],
        groups: [
          {
            name: 'blocked',
            inlinePolicies: {
              NoBearer: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Deny', Action: 'bedrock:CallWithBearerToken', Resource: '*' }],
              },
            },
          },
        ],
        users: [
          { name: 'secops' },
          {
            name: 'ml-user',
            // Users and roles can do only what their policies allow (the simulator evaluates them).
            managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
            accessKeys: [{ id: USER_KEY, secret: USER_SECRET }],
            serviceCredentials: [
              { service: 'bedrock.amazonaws.com', secret: SECRET_A },
              { service: 'bedrock.amazonaws.com', secret: SECRET_B, expiresAt: '2026-11-20T12:30:00Z' },
            ],
          },
          {
            name: 'BedrockAPIKey-ab12',
            managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
            serviceCredentials: [{ service: 'bedrock.amazonaws.com', secret: SECRET_C, status: 'Inactive' }],
          },
          {
            name: 'grouped',
            groups: ['blocked'],
            managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
            serviceCredentials: [{ service: 'bedrock.amazonaws.com', secret: SECRET_A }],
          },
          {
            name: 'AeaApiKey-zz99',
            managedPolicies: ['arn:aws:iam::aws:policy/AnthropicLimitedAccess'],
            serviceCredentials: [{ service: 'aws-external-anthropic.amazonaws.com', secret: SECRET_A }],
          },
        ],
        events: events(),
      },
      { id: OTHER, users: [{ name: 'someone' }] },
    ],
  };
}
