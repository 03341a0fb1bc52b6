/**
 * A phantom with a console password is AT_RISK, and `scan` suggests `bks revoke-key USER`: that fix
 * must fix it. revoke-key on a phantom also deletes its login profile (recorded as irreversible),
 * the next scan no longer calls the user AT_RISK, a rerun changes nothing, and restore says plainly
 * that a password cannot be brought back (against bks-sim, real SDK clients).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCT,
  baseScenario,
  LIMITED,
  longTermKey,
  readJsonFile,
  type SimEnv,
  secret,
  simEnv,
} from './sim-helpers';

const PHANTOM = 'BedrockAPIKey-pw01';
const KEY = () => longTermKey(`${PHANTOM}-at-${ACCT}`, secret('pw'));

let env: SimEnv;
beforeEach(async () => {
  env = await simEnv(
    baseScenario({
      accounts: [
        {
          id: ACCT,
          regions: ['us-east-1'],
          users: [
            { name: 'secops' },
            {
              name: PHANTOM,
              managedPolicies: [LIMITED],
              loginProfile: true,
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', secret: secret('pw'), status: 'Active' },
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

interface ScanJson {
  accounts: { users: { userName: string; status: string; reasons: string[] }[] }[];
}
const scanUser = (stdout: string) =>
  (JSON.parse(stdout) as ScanJson).accounts[0]!.users.find((u) => u.userName === PHANTOM)!;

type Actions = { action: string; status: string; reason?: string }[];

describe('revoke-key on a phantom with a console password', () => {
  it('the suggested fix removes the password: the next scan is no longer AT_RISK; restore says a password cannot be restored', async () => {
    const before = await env.run(['scan', '-o', 'json']);
    expect(scanUser(before.stdout).status).toBe('AT_RISK');
    expect(scanUser(before.stdout).reasons.join('\n')).toMatch(/console password/);

    const r = await env.run(['revoke-key', PHANTOM, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { actions: Actions; record: string };
    const del = out.actions.find((a) => a.action === 'iam:DeleteLoginProfile');
    expect(del?.status).toBe('done');
    expect(r.stderr).toMatch(/DeleteLoginProfile.*\[IRREVERSIBLE\]|\[IRREVERSIBLE\].*DeleteLoginProfile/);
    const rec = readJsonFile<{ steps: { action: string; status: string; irreversible?: boolean }[] }>(
      out.record,
    );
    expect(rec.steps.find((s) => s.action === 'DeleteLoginProfile')).toMatchObject({
      status: 'done',
      irreversible: true,
    });

    const after = await env.run(['scan', '-o', 'json', '--fresh']);
    expect(scanUser(after.stdout).status).not.toBe('AT_RISK');
    const afterReport = await env.run(['scan', '-o', 'json']);
    expect(scanUser(afterReport.stdout).status).not.toBe('AT_RISK');

    const again = await env.run(['revoke-key', PHANTOM, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { outcome: string }).outcome).toBe('nothing-to-do');

    const back = await env.run(['restore', out.record, '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(back.code).toBe(0);
    const restored = JSON.parse(back.stdout) as { actions: Actions };
    const pw = restored.actions.find((a) => /login profile/.test(JSON.stringify(a)));
    expect(JSON.stringify(pw)).toMatch(/console password cannot be restored/);
    expect(await env.invoke(KEY())).toBe(200);
  });
});
