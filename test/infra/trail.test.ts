/**
 * The organization trail option (issue: trails and data events): the trail the pipeline needs,
 * synthesized offline with cdk-nag and checked with cfn-lint — multi-region, organization-wide,
 * every management event read and write, one data-event selector per Bedrock resource type, and
 * bedrock-mantle's selector as the Bedrock user guide gives it, with a bucket only the
 * organization's trail may write to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { BedrockKeyGuard } from '../../infra/guard';
import { OrganizationTrail } from '../../infra/trail';
import { scratchDirs } from '../helpers/scratch';
import { cfnLintForFile, type LintMatch, lintLines, skipCfnLint } from './cfn-lint';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let resources: Resources;
let file: string;
let violations: unknown[];
let error: string | undefined;
const cfnLint = cfnLintForFile();
const scratch = scratchDirs('bks-trail-');
let linted: Promise<LintMatch[]>;

beforeAll(() => {
  process.env['CDK_DISABLE_CLI_TELEMETRY'] = 'true';
  const outdir = scratch();
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Trail', { env: { account: '111111111111', region: 'us-east-1' } });
  new OrganizationTrail(stack, 'Trail', { organizationId: 'o-abc123def4', trailName: 'bks-organization' });
  try {
    app.synth();
  } catch (err) {
    error = String(err);
  }
  file = join(outdir, 'Trail.template.json');
  linted = cfnLint.lint({ 'us-east-1': file });
  resources = JSON.parse(readFileSync(file, 'utf8')).Resources;
  const report = join(outdir, 'validation-report.json');
  violations = existsSync(report)
    ? (
        JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> }
      ).pluginReports.flatMap((p) => p.violations)
    : [];
});

const byType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe('OrganizationTrail', () => {
  it('synthesizes with nothing unacknowledged by cdk-nag', () => {
    expect(error).toBeUndefined();
    expect(violations).toEqual([]);
  });

  it.skipIf(skipCfnLint)(
    'passes cfn-lint',
    async () => {
      expect(lintLines(await linted)).toEqual([]);
    },
    120_000,
  );

  it('is an organization, multi-region trail with log file validation, KMS-encrypted', () => {
    const [trail] = byType('AWS::CloudTrail::Trail');
    expect(trail!.Properties).toMatchObject({
      TrailName: 'bks-organization',
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
    });
    expect(trail!.Properties['KMSKeyId']).toBeDefined();
    expect(trail!.Properties['EventSelectors']).toBeUndefined();
  });

  it('logs every management event (read-only included) and the data events of each Bedrock resource type', () => {
    const [trail] = byType('AWS::CloudTrail::Trail');
    const selectors = trail!.Properties['AdvancedEventSelectors'] as Array<{
      Name: string;
      FieldSelectors: Array<{ Field: string; Equals: string[] }>;
    }>;
    const management = selectors.filter((s) =>
      s.FieldSelectors.some((f) => f.Field === 'eventCategory' && f.Equals.includes('Management')),
    );
    // No readOnly field: read and write management events both (InvokeModel is read-only).
    expect(management).toHaveLength(1);
    expect(management[0]!.FieldSelectors).toEqual([{ Field: 'eventCategory', Equals: ['Management'] }]);
    const data = selectors.filter((s) =>
      s.FieldSelectors.some((f) => f.Field === 'eventCategory' && f.Equals.includes('Data')),
    );
    // CloudTrail requires resources.type in every data-event selector; nothing else narrows them.
    for (const s of data)
      expect(s.FieldSelectors.map((f) => f.Field).sort(), s.Name).toEqual([
        'eventCategory',
        'resources.type',
      ]);
    const types = (s: (typeof data)[number]) =>
      s.FieldSelectors.find((f) => f.Field === 'resources.type')!.Equals;
    // Written out from the CloudTrail user guide's data-event table (Bedrock rows used) …
    expect(data.slice(0, -1).map(types)).toEqual([
      ['AWS::Bedrock::AgentAlias'],
      ['AWS::Bedrock::KnowledgeBase'],
      ['AWS::Bedrock::FlowAlias'],
      ['AWS::Bedrock::Guardrail'],
      ['AWS::Bedrock::PromptVersion'],
      ['AWS::Bedrock::Model'],
      ['AWS::Bedrock::AsyncInvoke'],
      ['AWS::Bedrock::InlineAgent'],
    ]);
    // … and the one selector "Monitor bedrock-mantle API calls using CloudTrail" gives for mantle's
    // inference and file data events, as the page writes it.
    expect(data.at(-1)).toEqual({
      Name: 'Log Bedrock Mantle inference and file events',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        {
          Field: 'resources.type',
          Equals: [
            'AWS::BedrockMantle::Project',
            'AWS::BedrockMantle::CustomizedModel',
            'AWS::BedrockMantle::Reservation',
          ],
        },
      ],
    });
  });

  it("lets CloudTrail write the organization's logs only for this trail, over TLS", () => {
    const policy = JSON.stringify(byType('AWS::S3::BucketPolicy'));
    expect(policy).toContain('AWSLogs/o-abc123def4/*');
    expect(policy).toContain(':trail/bks-organization');
    expect(policy).toContain('aws:SecureTransport');
  });
});

describe('BedrockKeyGuard organizationTrail', () => {
  it('is refused without organizationId, before anything is built', () => {
    const stack = new Stack(new App({ outdir: scratch() }), 'NoOrg', {
      env: { account: '111111111111', region: 'us-east-1' },
    });
    expect(() => new BedrockKeyGuard(stack, 'Guard', { organizationTrail: true })).toThrow(
      /organizationTrail needs organizationId/,
    );
  });
});
