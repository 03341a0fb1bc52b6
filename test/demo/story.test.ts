/**
 * The demo tells a true story (issue 15): one incident per key whose severity is its worst signal,
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

  it('starts one incident from the worst signal on the key (HIGH multi-region, not the LOW invoke rule)', () => {
    expect(out).toMatch(/BKS-010-BEDROCK \(LOW\) ×3, BKS-018 \(HIGH\) on one key/);
    expect(out).toMatch(/one incident, severity HIGH/);
    expect(out).toMatch(/# EventBridge rule BKS-018 \(HIGH\) → Step Functions workflow/);
    expect(out).toMatch(/Security Hub finding \(in the simulator\): \[HIGH\] BKS-018/);
    expect(out).not.toMatch(/EventBridge rule BKS-010-BEDROCK \(LOW\)/);
  });

  it('the multi-region rule counts the three regions the attacker just used', () => {
    const today = out.split('\n').filter((l) => /HIGH\s+BKS-018\s+InvokeModel/.test(l));
    expect(today.at(-1)).toMatch(/3 \(eu-west-1,us-east-1,us-west-2\)/);
  });

  it('hunt covers the whole attack window, days before the demo’s own calls', () => {
    const hunted = out.slice(out.indexOf('$ bks hunt'), out.indexOf('# the attacker'));
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
