/**
 * cleanup never deletes a look-alike: a user whose only phantom evidence is its name (no managed
 * policy of the service, no credential of the service) is skipped with a reason. A name-prefixed
 * user that still carries a credential of the service (expired or inactive) is corroborated and
 * stays eligible; and a corroborated phantom that an interrupted cleanup left with its name only
 * is still finished by the next run (the record proves it was corroborated).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCT, baseScenario, LIMITED, type SimEnv, secret, simEnv } from './sim-helpers';

const OLD = '2025-01-01T00:00:00Z';
const PAST = '2025-06-01T00:00:00Z';

let env: SimEnv;
beforeEach(async () => {
  env = await simEnv(
    baseScenario({
      accounts: [
        {
          id: ACCT,
          regions: ['us-east-1'],
          groups: [{ name: 'developers', managedPolicies: [] }],
          users: [
            { name: 'secops' },
            // The demo's look-alike: a name, a group, a tag — nothing the console would have made.
            { name: 'BedrockAPIKey-test', createdAt: OLD, groups: ['developers'], tags: { createdBy: 'x' } },
            {
              // Lost its policy, still carries an (expired) key of the service: corroborated.
              name: 'BedrockAPIKey-nopol',
              createdAt: OLD,
              serviceCredentials: [
                {
                  service: 'bedrock.amazonaws.com',
                  secret: secret('nopol'),
                  status: 'Active',
                  expiresAt: PAST,
                },
              ],
            },
            {
              name: 'BedrockAPIKey-full',
              createdAt: OLD,
              managedPolicies: [LIMITED],
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', secret: secret('full'), status: 'Inactive' },
              ],
            },
          ],
        },
      ],
    }),
  );
});
afterEach(async () => {
  await env.close();
});

const args = () => [
  '--backup-dir',
  join(env.dir, 'backups'),
  '--record-dir',
  join(env.dir, 'records'),
  '-o',
  'json',
];
const names = (xs: { userName: string }[]) => xs.map((x) => x.userName).sort();
const userNames = async () => (await env.state()).accounts[0]?.users.map((u) => u.name).sort();

describe('cleanup and look-alike names (bks-sim)', () => {
  it('skips a name-only look-alike with a reason; corroborated phantoms stay eligible', async () => {
    const r = await env.run(['cleanup', '-y', ...args()]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(names(out.deleted)).toEqual(['BedrockAPIKey-full', 'BedrockAPIKey-nopol']);
    expect(out.skipped).toEqual([
      {
        userName: 'BedrockAPIKey-test',
        reason: expect.stringMatching(
          /^look-alike name without AmazonBedrockLimitedAccess and no API key of the service: not corroborated/,
        ),
      },
    ]);
    expect(await userNames()).toEqual(['BedrockAPIKey-test', 'secops']);
  });

  it('a phantom left name-only by an interrupted cleanup is still finished by the next run', async () => {
    await env.control('PUT', '/_sim/faults', {
      faults: [
        { action: 'iam:DeleteUser', error: 'AccessDenied', where: { UserName: 'BedrockAPIKey-full' } },
      ],
    });
    const r1 = await env.run(['cleanup', '-y', ...args()]);
    expect(r1.code).toBe(3);
    expect(names(JSON.parse(r1.stdout).failed)).toEqual(['BedrockAPIKey-full']);
    await env.control('PUT', '/_sim/faults', { faults: [] });
    const r2 = await env.run(['cleanup', '-y', ...args()]);
    expect(r2.code).toBe(0);
    const out2 = JSON.parse(r2.stdout);
    expect(names(out2.deleted)).toEqual(['BedrockAPIKey-full']);
    expect(names(out2.skipped)).toEqual(['BedrockAPIKey-test']);
    expect(await userNames()).toEqual(['BedrockAPIKey-test', 'secops']);
  });
});
