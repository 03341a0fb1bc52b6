import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { textBlocks, unmatchedLines } from '../docs/excerpts';

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

// One run of the real entry point, as `npm run demo -- --fast` starts it, read by both describes
// below: a child process, so the tests also prove the demo exits on its own (nothing left running
// keeps it alive). stderr goes into the same pipe, so the transcript reads in the order a terminal
// shows it (the plans changing commands print on stderr sit between their commands and results).
// ./streams.mjs, preloaded, copies what the demo writes to stdout and to stderr to fds 3 and 4, so
// that the story's checks read each stream on its own, as a run with separate pipes gives them.
const run = spawnSync(
  '/bin/sh',
  ['-c', '"$NODE" --import ./test/demo/streams.mjs bin/bks-demo.mjs --fast 2>&1'],
  {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', NODE: process.execPath },
  },
);
/** The transcript as a terminal shows it (stdout and stderr in one pipe). */
const out = `${run.stdout}${run.stderr}`;
/** The same run, stream by stream. */
const streams = { stdout: String(run.output[3] ?? ''), stderr: String(run.output[4] ?? '') };

describe('npm run demo', () => {
  it('plays the whole story and exits 0 on its own', () => {
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(out).toMatch(/━━ 1\/\d+ {2}Discovery/);
    expect(out).toContain('$ bks scan --org');
    expect(out).toMatch(/BedrockAPIKey-q7xk\s+bedrock\s+yes/);
    expect(out).toContain('$ bks find-keys gist');
    expect(out).toContain('$ bks decode-key "$(cat leaked-key.txt)"');
    // The hunt over the whole window shows HIGH and above (issue 15).
    expect(out).toContain('$ bks hunt cloudtrail');
    expect(out).toMatch(/HIGH\s+BKS-018\s+InvokeModel/);
    // The pipeline (bks-sim --pipeline): the attacker's calls flow through the deployed rules into the
    // workflow, which raises the finding, asks the SOC and waits until the analyst approves.
    expect(out).toContain('bks-sim --pipeline');
    // One key, one incident: the stateful multi-region rule fires live too, and escalates the key's
    // open incident (its one finding raised to HIGH, one escalation notice) instead of opening another.
    expect(out).toMatch(/Security Hub finding: \[HIGH\] BKS-010-BEDROCK/);
    expect(out).not.toMatch(/Security Hub finding: \[\w+\] BKS-018/);
    expect(out).toMatch(/SOC notification \(SNS\): "\[bks\] approve revocation\? BKS-010-BEDROCK /);
    expect(out).toMatch(/SOC notification \(SNS\): "\[bks\] ESCALATED to HIGH: .*" \(by BKS-018/);
    expect(out).toMatch(/the workflow \(BKS-010-BEDROCK\) is waiting for the analyst's decision/);
    expect(out).toMatch(
      /the page lists every signal of the incident: BKS-010-BEDROCK \(LOW\), BKS-018 \(HIGH\)/,
    );
    expect(out).toMatch(/for the leaked key only \(BedrockAPIKey-q7xk-at-222222222222\)/);
    expect(out).toMatch(
      /states run: Normalize → Enrich → RaiseFinding → Decide → AskAnalyst → Revoke → CloseFinding → Announce \(SUCCEEDED\)/,
    );
    expect(out).toMatch(/finding RESOLVED/);
    expect(out).toMatch(/revoked: iam:UpdateServiceSpecificCredential/);
    // The attacker's three calls work before containment; after it, the leaked key is refused while
    // the same user's other key still answers.
    const calls = [...out.matchAll(/→ HTTP (\d{3})/g)].map((m) => m[1]);
    expect(calls).toEqual(['200', '200', '200', '403', '200']);
    // bks revoke-key finds nothing left to do: the workflow ran the same revoke.
    expect(out).toContain('$ bks revoke-key "$(cat leaked-key.txt)" --profile acme-prod -y');
    expect(out).toMatch(/nothing to change/);
    expect(out).toContain('$ bks timeline "$(cat leaked-key.txt)" --profile acme-prod --days 30 --summary');
    expect(out).toMatch(/us-west-2\s+ok\s+\d+/);
    expect(out).toMatch(/\$ bks report .* -o html --out-file incident-BedrockAPIKey-q7xk\.html/);
    expect(out).toContain('$ bks cleanup --profile acme-dev --dry-run');
    expect(out).toMatch(/dry run: nothing was changed/);
    // A look-alike name without the managed policy is never deleted by cleanup.
    expect(out).toMatch(/BedrockAPIKey-test\s+skipped\s+look-alike name/);
    expect(out).toContain('$ bks scp check');
    expect(out).toMatch(/222222222222\s+acme-prod\s+Root\s+MISSING/);
    expect(out).toMatch(/^Done\./m);
  });

  it('prints every line the excerpts in README.md and docs/demo.md show, in order', () => {
    for (const file of ['README.md', 'docs/demo.md']) {
      const blocks = textBlocks(readFileSync(`${root}/${file}`, 'utf8'), (l) => l.startsWith('━━'));
      expect(blocks.length, `${file} has a demo excerpt`).toBeGreaterThan(0);
      expect(unmatchedLines(blocks.flat(), out), `${file}: excerpt lines the demo does not print`).toEqual(
        [],
      );
    }
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

/**
 * The demo tells a true story (issue 15): the live pipeline's incidents, the worst one first, the
 * multi-region rule counting every region the attacker used, a hunt over the whole attack window (it
 * started days before the calls the demo makes), the analyst's "leaked key only" explained next to
 * the two revocations it leads to, and a last line that is a sentence. (These checks were
 * test/demo/story.test.ts, which ran the demo a second time; they read the same run as the ones above.)
 */
describe('the demo story', () => {
  // What a run with stdout and stderr in separate pipes gives: stdout, then stderr.
  const out = `${streams.stdout}${streams.stderr}`;

  it('runs', () => {
    expect(run.status).toBe(0);
    // The copies hold every character of the transcript: the checks below read all of the output.
    expect(streams.stdout.length + streams.stderr.length).toBe(out.length);
  });

  it('the live pipeline makes one incident of the key: the multi-region signal escalates it to HIGH', () => {
    // bks-sim --pipeline: one key, one incident (dispatch records every signal on the key's incident);
    // the stateful multi-region rule (HIGH) escalates the waiting LOW bearer-use incident.
    expect(out).toMatch(/Security Hub finding: \[HIGH\] BKS-010-BEDROCK/);
    expect(out).not.toMatch(/Security Hub finding: \[\w+\] BKS-018/);
    expect(out).toMatch(/SOC notification \(SNS\): "\[bks\] approve revocation\? BKS-010-BEDROCK /);
    expect(out).toMatch(/"\[bks\] ESCALATED to HIGH: [^"]*BedrockAPIKey-q7xk" \(by BKS-018/);
    expect(out).toMatch(/the workflow \(BKS-010-BEDROCK\) is waiting for the analyst's decision/);
    expect(out).not.toMatch(/the workflow \(BKS-018\) is waiting/);
  });

  it('the multi-region rule counts the three regions the attacker just used', () => {
    const today = out.split('\n').filter((l) => /HIGH\s+BKS-018\s+InvokeModel/.test(l));
    expect(today.at(-1)).toMatch(/3 \(eu-west-1,us-east-1,us-west-2\)/);
  });

  it('hunt covers the whole attack window, days before the demo’s own calls', () => {
    const hunted = out.slice(out.indexOf('$ bks hunt'), out.indexOf('Security Hub finding:'));
    const times = [...hunted.matchAll(/^(\d{4}-\d\d-\d\dT[\d:]+Z)\s/gm)].map((m) => Date.parse(m[1]!));
    expect(times.length).toBeGreaterThan(2);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(3 * 86_400_000);
    expect(hunted).toMatch(/DeleteModelInvocationLoggingConfiguration/);
  });

  it('explains why "the leaked key only" revokes two credentials', () => {
    expect(out).toMatch(
      /for the leaked key only \(BedrockAPIKey-q7xk-at-222222222222\), not the team's other key/,
    );
    expect(out).toMatch(/being a phantom — its IAM access key/);
    expect(out.match(/^ {2}revoked: /gm)).toHaveLength(2);
  });

  it('ends with a sentence', () => {
    const last = streams.stdout.trimEnd().split('\n').at(-1);
    expect(last).toBe('Done. The working files were deleted (run with --keep to keep them).');
  });
});
