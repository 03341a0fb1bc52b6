/**
 * The construct with nothing but safe defaults, as the getting-started snippet writes it:
 * `new BedrockKeyGuard(this, 'Guard', { autoRevoke: false })` — rules from detections/, one region,
 * auto-revoke off, nag-clean and cfn-lint-clean.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineRules } from '../../infra/rules';
import { scratchDirs } from '../helpers/scratch';
import { cfnLintForFile, type LintMatch, lintLines, skipCfnLint } from './cfn-lint';
import { type Synthesized, synthGuard } from './synth';

let s: Synthesized;
const cfnLint = cfnLintForFile();
const scratch = scratchDirs('bks-cdk-');
let linted: Promise<LintMatch[]>;
beforeAll(() => {
  s = synthGuard({ autoRevoke: false }, scratch(), 'Default', 'us-east-1');
  linted = cfnLint.lint(s.files);
}, 240_000);

describe('BedrockKeyGuard with defaults', () => {
  it('synthesizes with nothing unacknowledged by cdk-nag', () => {
    expect(s.error).toBeUndefined();
    expect(s.violations).toEqual([]);
  });

  it.skipIf(skipCfnLint)(
    'passes cfn-lint',
    async () => {
      expect(lintLines(await linted)).toEqual([]);
    },
    120_000,
  );

  it('revokes nothing without asking, deploys every rule of detections/ in the one region', () => {
    expect(s.guard.policy.autoRevoke).toEqual([]);
    expect(s.guard.policy.timeoutAction).toBe('notify-only');
    expect(Object.keys(s.templates)).toEqual(['us-east-1']);
    const forwarded = s.guard.forwarders.flatMap((f) => f.forwardedRuleIds).sort();
    expect(forwarded).toEqual(
      loadPipelineRules()
        .map((r) => r.id)
        .sort(),
    );
  });

  it('creates no trail unless asked (organizationTrail is off by default)', () => {
    const trails = Object.values(s.templates['us-east-1']!.Resources).filter(
      (r) => r.Type === 'AWS::CloudTrail::Trail',
    );
    expect(trails).toEqual([]);
    expect(s.guard.trail).toBeUndefined();
  });

  it('accepts no event from other accounts on the central bus without an organizationId', () => {
    const policies = Object.values(s.templates['us-east-1']!.Resources).filter(
      (r) => r.Type === 'AWS::Events::EventBusPolicy',
    );
    expect(policies.map((p) => (p.Properties!['Statement'] as { Effect: string }).Effect)).toEqual(['Deny']);
  });
});
