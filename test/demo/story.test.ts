/**
 * The demo tells a true story (issue 15): the live pipeline's incidents, the worst one first,
 * the multi-region rule counting every region the attacker used, a hunt over the whole attack window
 * (it started days before the calls the demo makes), the analyst's "leaked key only" explained next
 * to the two revocations it leads to, and a last line that is a sentence.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the demo story', () => {
  const run = spawnSync(process.execPath, ['bin/bks-demo.mjs', '--fast'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const out = `${run.stdout}${run.stderr}`;

  it('runs', () => {
    expect(run.status).toBe(0);
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
    const last = run.stdout.trimEnd().split('\n').at(-1);
    expect(last).toBe('Done. The working files were deleted (run with --keep to keep them).');
  });
});
