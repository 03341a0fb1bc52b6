import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockKeyGuardMemberStage } from '../../infra/member';
import { loadPipelineRules } from '../../infra/rules';
import { scratchDirs } from '../helpers/scratch';
import { cfnLintForFile, lintLines, skipCfnLint } from './cfn-lint';

const cfnLint = cfnLintForFile();
const scratch = scratchDirs('bks-member-');

describe('BedrockKeyGuardMemberStage', () => {
  it('deploys forwarders per region to the security account bus and the responder roles once, nag-clean', async () => {
    process.env['CDK_DISABLE_CLI_TELEMETRY'] = 'true';
    const rules = loadPipelineRules();
    const app = new App({ outdir: scratch() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stage = new BedrockKeyGuardMemberStage(app, 'Member-222222222222', {
      env: { account: '222222222222', region: 'eu-west-1' },
      rules,
      regions: ['us-west-2', 'eu-west-1'],
      homeRegion: 'eu-west-1',
      securityAccount: '111111111111',
      organizationId: 'o-abc123def4',
    });
    // The app-level synth runs cdk-nag over the stage's stacks and throws on any unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
    const assembly = stage.synth();
    const fileOf = (s: (typeof stage.stacks)[number]) =>
      join(assembly.directory, `${s.artifactId}.template.json`);
    // Each template in its region, linted in the background while the assertions below run.
    const linted = cfnLint.lint(Object.fromEntries(stage.stacks.map((s) => [s.region, fileOf(s)])));
    const templates = stage.stacks.map((s) => ({
      region: s.region,
      t: JSON.parse(readFileSync(fileOf(s), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      },
    }));
    expect(templates.map((x) => x.region)).toEqual(['us-west-2', 'eu-west-1', 'us-east-1']);
    for (const { region, t } of templates) {
      const rulesHere = Object.values(t.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
      const iamRules = rules.filter((r) => r.deploy === 'us-east-1').length;
      const allRules = rules.filter((r) => r.deploy === 'all-regions').length;
      expect(rulesHere).toHaveLength((region === 'us-east-1' ? iamRules + allRules : allRules) + 1);
      expect(JSON.stringify(t)).toContain(':events:eu-west-1:111111111111:event-bus/bks-central');
      const roles = Object.values(t.Resources).filter(
        (r) => r.Type === 'AWS::IAM::Role' && String(r.Properties?.['RoleName'] ?? '').startsWith('bks-'),
      );
      expect(roles).toHaveLength(region === 'us-west-2' ? 3 : 0);
      if (roles.length) {
        // Trusted: only the security account's function roles, by ARN (never the whole account).
        const trust = JSON.stringify(roles.map((r) => r.Properties?.['AssumeRolePolicyDocument']));
        expect(trust).toContain('"aws:PrincipalArn":["arn:aws:iam::111111111111:role/bks/bks-fn-enrich"');
        expect(trust).toContain('arn:aws:iam::111111111111:role/bks/bks-fn-revoke');
        // Security Hub in the home region, not the first region of the list.
        expect(JSON.stringify(t)).toContain(':securityhub:eu-west-1:222222222222:hub/default');
      }
    }
    if (!skipCfnLint) expect(lintLines(await linted)).toEqual([]);
  }, 300_000);

  it('is refused without organizationId, naming it', () => {
    const app = new App({ outdir: scratch() });
    expect(
      () =>
        new BedrockKeyGuardMemberStage(app, 'Member-333333333333', {
          env: { account: '333333333333', region: 'eu-west-1' },
          rules: loadPipelineRules(),
          regions: ['eu-west-1'],
          homeRegion: 'eu-west-1',
          securityAccount: '111111111111',
          organizationId: undefined as unknown as string,
        }),
    ).toThrow(/organizationId/);
  });
});
