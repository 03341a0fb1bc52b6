/**
 * The advice `scan` and `compliance` give must be true, and the two must agree (issue 15, item 7).
 * - For the same user both give the same severity (one rule table, src/findings/posture.ts) and the
 *   same fix.
 * - An API key on an ordinary service user: the advice is the targeted revoke (that key only), and it
 *   says what the broad `--force` revoke would break. Run as advised, the key dies while the user's
 *   other key and its own permissions keep working; the broad command would have denied Bedrock to
 *   every credential of the user.
 * Against bks-sim with the real SDK clients.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCT, baseScenario, LIMITED, longTermKey, type SimEnv, secret, simEnv, userOf } from './sim-helpers';

const SVC = 'svc-chatbot';
const PHANTOM = 'BedrockAPIKey-ak01';
const KEY_ID = ['AKIA', 'SIMPHANTOMAK0001'].join('');
const CRED_A = ['ACCA', 'SVCCHATBOTKEYA01'].join('');
const CRED_B = ['ACCA', 'SVCCHATBOTKEYB01'].join('');
const KEY_A = () => longTermKey(`${SVC}-at-${ACCT}`, secret('a'));
const KEY_B = () => longTermKey(`${SVC}+1-at-${ACCT}`, secret('b'));
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();

const bedrockPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'bedrock:*', Resource: '*' }],
};

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
              // An ordinary service user with two API keys (one never expires) and its own Bedrock access.
              name: SVC,
              inlinePolicies: { 'chatbot-bedrock': bedrockPolicy },
              serviceCredentials: [
                { id: CRED_A, service: 'bedrock.amazonaws.com', secret: secret('a'), status: 'Active' },
                {
                  id: CRED_B,
                  service: 'bedrock.amazonaws.com',
                  secret: secret('b'),
                  status: 'Active',
                  expiresAt: inDays(20),
                },
              ],
            },
            {
              // A phantom with an IAM access key next to a key that expires in policy: AT_RISK.
              name: PHANTOM,
              managedPolicies: [LIMITED],
              accessKeys: [{ id: KEY_ID, secret: secret('ak'), status: 'Active' }],
              serviceCredentials: [
                {
                  service: 'bedrock.amazonaws.com',
                  secret: secret('p'),
                  status: 'Active',
                  expiresAt: inDays(20),
                },
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

interface Finding {
  rule: string;
  severity: string;
  userName?: string;
  fix: string;
  effect: string;
}
interface Asff {
  Severity: { Label: string };
  Resources: { Details?: { AwsIamUser?: { UserName: string } } }[];
  Remediation: { Recommendation: { Text: string } };
}
const RANK = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

describe('scan and compliance advice', () => {
  it('agree on the severity and the fix of every user', async () => {
    const scan = await env.run(['scan', '--fresh', '-o', 'asff']);
    expect(scan.code).toBe(0);
    const comp = await env.run(['compliance', '-o', 'json']);
    expect(comp.code).toBe(0);
    const findings = (JSON.parse(comp.stdout) as { findings: Finding[] }).findings;
    const asff = JSON.parse(scan.stdout) as Asff[];
    const users = asff.map((f) => f.Resources[0]?.Details?.AwsIamUser?.UserName);
    expect(users).toEqual(expect.arrayContaining([SVC, PHANTOM]));
    for (const f of asff) {
      const name = f.Resources[0]?.Details?.AwsIamUser?.UserName;
      const mine = findings
        .filter((c) => c.userName === name)
        .sort((a, b) => RANK.indexOf(b.severity) - RANK.indexOf(a.severity));
      expect(f.Severity.Label, `severity of ${name}`).toBe(mine[0]?.severity ?? 'INFORMATIONAL');
      // The same command: one per key in compliance, one naming every such key in scan.
      for (const top of mine.filter((m) => m.rule === mine[0]?.rule)) {
        const [command, ids] = top.fix.split(' --credential ');
        expect(f.Remediation.Recommendation.Text, `fix of ${name}`).toContain(command);
        if (ids) expect(f.Remediation.Recommendation.Text).toMatch(new RegExp(`--credential [\\w,]*${ids}`));
      }
    }
    // The ordinary user's live key is HIGH in both (scan said MEDIUM before).
    expect(asff.find((f) => f.Resources[0]?.Details?.AwsIamUser?.UserName === SVC)?.Severity.Label).toBe(
      'HIGH',
    );
    // The table shows the same fix under the user.
    const table = await env.run(['scan', '--fresh']);
    expect(table.stdout).toContain(`→ bks revoke-key ${SVC} --credential ${CRED_A},${CRED_B}`);
    expect(table.stdout).toContain(`→ bks revoke-key ${PHANTOM} --credential ${KEY_ID}`);
  });

  it('advises the targeted revoke for a key on a service user, says what --force would do, and is right', async () => {
    const comp = await env.run(['compliance', '-o', 'json']);
    const findings = (JSON.parse(comp.stdout) as { findings: Finding[] }).findings;
    const ordinary = findings.filter((f) => f.rule === 'key-on-ordinary-user' && f.userName === SVC);
    expect(ordinary.map((f) => f.fix).sort()).toEqual(
      [`bks revoke-key ${SVC} --credential ${CRED_A}`, `bks revoke-key ${SVC} --credential ${CRED_B}`].sort(),
    );
    for (const f of ordinary) {
      expect(f.effect).toMatch(/deactivates only API key ACCA\w+ \(bks restore undoes it\)/);
      expect(f.effect).toMatch(
        new RegExp(`Not \`bks revoke-key ${SVC} --force\`: that .*denies bedrock:\\*`),
      );
    }
    // The markdown report prints the effect next to the command.
    const md = await env.run(['compliance', '-o', 'markdown']);
    expect(md.stdout).toMatch(
      /--credential ACCA\w+`: deactivates only API key .*breaking its workloads that call Bedrock/,
    );

    expect(await env.invoke(KEY_A())).toBe(200);
    expect(await env.invoke(KEY_B())).toBe(200);
    const fix = ordinary.find((f) => f.fix.endsWith(CRED_A))?.fix ?? '';
    const r = await env.run([...fix.split(' ').slice(1), '-y', '-o', 'json', '--record-dir', env.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(await env.invoke(KEY_A())).toBe(403);
    expect(await env.invoke(KEY_B())).toBe(200);
    const user = userOf(await env.state(), SVC);
    expect(Object.keys(user?.inlinePolicies ?? {})).toEqual(['chatbot-bedrock']);
    // The next compliance run no longer reports that key.
    const again = await env.run(['compliance', '-o', 'json']);
    const left = (JSON.parse(again.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.userName === SVC,
    );
    expect(left.map((f) => f.fix)).toEqual([`bks revoke-key ${SVC} --credential ${CRED_B}`]);

    // What the advice warns about, for contrast: the broad command denies Bedrock to the whole user.
    const broad = await env.run(['revoke-key', SVC, '--force', '-y', '--record-dir', env.dir]);
    expect(broad.code).toBe(0);
    expect(await env.invoke(KEY_B())).toBe(403);
    expect(Object.keys(userOf(await env.state(), SVC)?.inlinePolicies ?? {})).toContain('bks-revoke-deny');
  });

  it('--credential refuses an id the user does not hold, and applies to a USER argument only', async () => {
    const wrong = await env.run(['revoke-key', SVC, '--credential', CRED_A.replace('A01', 'X99'), '-y']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/holds no API key or access key ACCA\w+X99/);
    expect(await env.invoke(KEY_A())).toBe(200);
    const onKey = await env.run(['revoke-key', KEY_A(), '--credential', CRED_A, '-y']);
    expect(onKey.code).toBe(2);
    expect(onKey.stderr).toMatch(/--credential applies to a USER argument only/);
    const bad = await env.run(['revoke-key', SVC, '--credential', 'nope', '-y']);
    expect(bad.code).toBe(2);
    // The phantom's access key alone: the API key keeps working.
    const ak = await env.run([
      'revoke-key',
      PHANTOM,
      '--credential',
      KEY_ID,
      '-y',
      '-o',
      'json',
      '--record-dir',
      env.dir,
    ]);
    expect(ak.code).toBe(0);
    const u = userOf(await env.state(), PHANTOM);
    expect(u?.accessKeys?.[0]?.status).toBe('Inactive');
    expect(u?.serviceCredentials?.[0]?.status).toBe('Active');
  });
});
