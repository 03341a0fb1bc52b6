import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every secret in the demo scenario: none of them may appear in the demo's output. */
function scenarioSecrets(): string[] {
  const scenario = JSON.parse(readFileSync(`${root}/sim/scenarios/demo.json`, 'utf8')) as {
    principals?: { secretAccessKey?: string }[];
    accounts: {
      users?: { accessKeys?: { secret?: string }[]; serviceCredentials?: { secret?: string }[] }[];
    }[];
  };
  const secrets = (scenario.principals ?? []).map((p) => p.secretAccessKey ?? '');
  for (const a of scenario.accounts)
    for (const u of a.users ?? []) {
      for (const k of u.accessKeys ?? []) secrets.push(k.secret ?? '');
      for (const c of u.serviceCredentials ?? []) secrets.push(c.secret ?? '');
    }
  return secrets.filter((s) => s.length >= 16);
}

describe('npm run demo', () => {
  // One run of the real entry point, as `npm run demo -- --fast` starts it: a child process, so the
  // test also proves the demo exits on its own (nothing left running keeps it alive).
  const run = spawnSync(process.execPath, ['bin/bks-demo.mjs', '--fast'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const out = `${run.stdout}${run.stderr}`;

  it('plays the whole story and exits 0 on its own', () => {
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(out).toMatch(/━━ 1\/\d+ {2}Discovery/);
    expect(out).toContain('$ bks scan --org');
    expect(out).toMatch(/BedrockAPIKey-q7xk\s+bedrock\s+yes/);
    expect(out).toContain('$ bks find-keys gist');
    expect(out).toContain('$ bks decode-key "$(cat leaked-key.txt)"');
    expect(out.match(/→ HTTP 200 model answered/g)?.length).toBe(3);
    expect(out).toMatch(/^Done\./m);
  });

  it('never prints a secret of the scenario, nor the leaked key', () => {
    const secrets = scenarioSecrets();
    expect(secrets.length).toBeGreaterThan(5);
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).not.toMatch(/ABSK[A-Za-z0-9+/]{40,}/);
  });

  it('refuses unknown options with exit 2', () => {
    const bad = spawnSync(process.execPath, ['bin/bks-demo.mjs', '--nope'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option --nope/);
  });
});
