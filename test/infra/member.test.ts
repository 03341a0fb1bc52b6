import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockKeyGuardMemberStage } from '../../infra/member';
import { loadPipelineRules } from '../../infra/rules';

describe('BedrockKeyGuardMemberStage', () => {
  it('deploys forwarders per region to the security account bus and the responder roles once, nag-clean', () => {
    process.env['CDK_DISABLE_CLI_TELEMETRY'] = 'true';
    const rules = loadPipelineRules();
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'bks-member-')) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stage = new BedrockKeyGuardMemberStage(app, 'Member-222222222222', {
      env: { account: '222222222222', region: 'eu-west-1' },
      rules,
      regions: ['eu-west-1', 'us-west-2'],
      homeRegion: 'eu-west-1',
      securityAccount: '111111111111',
    });
    // The app-level synth runs cdk-nag over the stage's stacks and throws on any unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
    const assembly = stage.synth();
    const templates = stage.stacks.map((s) => ({
      region: s.region,
      t: JSON.parse(readFileSync(join(assembly.directory, `${s.artifactId}.template.json`), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      },
    }));
    expect(templates.map((x) => x.region)).toEqual(['eu-west-1', 'us-west-2', 'us-east-1']);
    for (const { region, t } of templates) {
      const rulesHere = Object.values(t.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
      const iamRules = rules.filter((r) => r.deploy === 'us-east-1').length;
      const allRules = rules.filter((r) => r.deploy === 'all-regions').length;
      expect(rulesHere).toHaveLength((region === 'us-east-1' ? iamRules + allRules : allRules) + 1);
      expect(JSON.stringify(t)).toContain(':events:eu-west-1:111111111111:event-bus/bks-central');
      const roles = Object.values(t.Resources).filter(
        (r) => r.Type === 'AWS::IAM::Role' && String(r.Properties?.['RoleName'] ?? '').startsWith('bks-'),
      );
      expect(roles).toHaveLength(region === 'eu-west-1' ? 3 : 0);
      if (roles.length) expect(JSON.stringify(roles)).toContain(':iam::111111111111:root');
    }
  });
});
