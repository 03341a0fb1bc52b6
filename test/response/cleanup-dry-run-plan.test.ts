/**
 * `cleanup --dry-run` shows every step it would take, per user, in table, JSON and markdown — and
 * `-y` then executes exactly that plan (issue 15, item 8; against bks-sim).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseScenario, LIMITED, readJsonFile, type SimEnv, secret, simEnv } from './sim-helpers';

const OLD = '2025-01-01T00:00:00Z';
let env: SimEnv;
beforeEach(async () => {
  env = await simEnv(
    baseScenario({
      accounts: [
        {
          id: '111111111111',
          regions: ['us-east-1'],
          groups: [{ name: 'devs', managedPolicies: [] }],
          users: [
            { name: 'secops' },
            {
              name: 'BedrockAPIKey-gone',
              createdAt: OLD,
              managedPolicies: [LIMITED],
              groups: ['devs'],
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', secret: secret('g'), status: 'Inactive', createdAt: OLD },
              ],
            },
          ],
        },
      ],
    } as never),
  );
});
afterEach(async () => {
  await env.close();
});

type Call = { action: string; target: string };

describe('cleanup --dry-run', () => {
  it('lists every call per user (table, JSON, markdown); -y executes the same calls', async () => {
    const args = ['--backup-dir', env.dir, '--record-dir', env.dir];
    const json = await env.run(['cleanup', '--dry-run', '-o', 'json', ...args]);
    expect(json.code).toBe(0);
    const planned = (JSON.parse(json.stdout) as { planned: { userName: string; calls: Call[] }[] }).planned;
    expect(planned.map((p) => p.userName)).toEqual(['BedrockAPIKey-gone']);
    const calls = planned[0]!.calls;
    expect(calls.map((c) => c.action)).toEqual(
      expect.arrayContaining([
        'iam:DeleteServiceSpecificCredential',
        'iam:DetachUserPolicy',
        'iam:RemoveUserFromGroup',
        'iam:DeleteUser',
      ]),
    );
    expect(calls.at(-1)?.action).toBe('iam:DeleteUser');

    const table = await env.run(['cleanup', '--dry-run', ...args]);
    for (const c of calls) expect(table.stdout).toContain(c.action);
    expect(table.stdout).toContain('BedrockAPIKey-gone');

    const md = await env.run(['cleanup', '--dry-run', '-o', 'markdown', ...args]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^\| user \| step \| call \| target \| why \|$/m);
    for (const c of calls) expect(md.stdout).toContain(c.action);

    const done = await env.run(['cleanup', '-y', '-o', 'json', ...args]);
    expect(done.code).toBe(0);
    const record = readJsonFile<{ steps: { action: string; target: string; status: string }[] }>(
      (JSON.parse(done.stdout) as { record: string }).record,
    );
    expect(record.steps.map((s) => ({ action: `iam:${s.action}`, target: s.target }))).toEqual(
      calls.map((c) => ({ action: c.action, target: c.target })),
    );
    expect(record.steps.every((s) => s.status === 'done')).toBe(true);
  });
});
