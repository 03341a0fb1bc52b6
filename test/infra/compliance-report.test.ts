/**
 * The ComplianceReport construct synthesized offline (esbuild bundling, no Docker, no AWS) with
 * cdk-nag's AwsSolutions pack; the state machine file validated with asl-validator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPLIANCE_ASL, ComplianceReport, type ComplianceReportProps } from '../../infra/compliance-report';
import { scratchDirs } from '../helpers/scratch';

interface Violation {
  rule: string;
  path: string;
}

const scratch = scratchDirs('bks-cdk-');

function synth(props: ComplianceReportProps) {
  process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
  const outdir = scratch();
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Compliance', { env: { account: '111111111111', region: 'eu-west-1' } });
  new ComplianceReport(stack, 'Report', props);
  let error: string | undefined;
  try {
    app.synth();
  } catch (err) {
    error = String(err);
  }
  const violations: Violation[] = [];
  const file = join(outdir, 'validation-report.json');
  if (existsSync(file)) {
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      pluginReports: {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    for (const p of report.pluginReports)
      for (const v of p.violations)
        for (const c of v.violatingConstructs) violations.push({ rule: v.ruleName, path: c.constructPath });
  }
  const template = JSON.parse(readFileSync(join(outdir, 'Compliance.template.json'), 'utf8'));
  return { error, violations, template: Template.fromJSON(template) };
}

const asl = readFileSync(COMPLIANCE_ASL, 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: an ASL document is walked freely in assertions
function substituted(): Record<string, any> {
  return JSON.parse(
    asl.replace(/\$\{(\w+)\}/g, (_m, name: string) =>
      name === 'Partition'
        ? 'aws'
        : name === 'ReportBucket'
          ? 'bks-reports'
          : `arn:aws:lambda:eu-west-1:111111111111:function:${name}`,
    ),
  );
}

describe('statemachines/compliance.asl.json', () => {
  it('is valid Amazon States Language once substituted, and uses placeholders only for ARNs, the bucket and the partition', () => {
    const result = aslValidator(substituted());
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    const names = new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...names].sort()).toEqual(
      [
        'AggregateFunctionArn',
        'ListAccountsFunctionArn',
        'Partition',
        'ReportBucket',
        'ScanAccountFunctionArn',
      ].sort(),
    );
    expect(asl).not.toMatch(/arn:aws:/);
  });

  it('fans out with a Distributed Map over the S3 account list, and reports even past the failure threshold', () => {
    const def = substituted();
    const map = def.States.ScanAccounts;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemReader.Resource).toBe('arn:aws:states:::s3:getObject');
    expect(map.ItemReader.ReaderConfig.InputType).toBe('JSON');
    expect(map.ItemSelector['accountId.$']).toBe('$$.Map.Item.Value.accountId');
    // Past the failure threshold, and when the ItemReader or ResultWriter fails, the report is still
    // written (saying what failed: test/report/map-failure.sim.test.ts) and the run then fails.
    expect(map.Catch).toEqual([
      {
        ErrorEquals: [
          'States.ExceedToleratedFailureThreshold',
          'States.ItemReaderFailed',
          'States.ResultWriterFailed',
        ],
        ResultPath: '$.mapError',
        Next: 'Aggregate',
      },
    ]);
    expect(def.States.Aggregate.Parameters).toEqual({ 'runId.$': '$.runId', 'workflow.$': '$' });
    expect(def.States.MapHealthy.Choices[0].Next).toBe('ScanIncomplete');
    expect(def.States.ScanIncomplete).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.mapError.Error',
      CausePath: '$.mapError.Cause',
    });
    // Every task has a timeout (Lambda tasks never hang the run).
    for (const s of [def.States.ListAccounts, map.ItemProcessor.States.ScanAccount, def.States.Aggregate]) {
      expect(s.TimeoutSeconds).toBeGreaterThan(0);
    }
  });
});

describe('ComplianceReport construct', () => {
  let synthesized: ReturnType<typeof synth>;
  beforeAll(() => {
    synthesized = synth({
      maxConcurrency: 25,
      toleratedFailurePercentage: 5,
      retentionDays: 200,
      orgRole: 'BksAudit',
      maxAgeDays: 90,
      linkTtl: Duration.minutes(30),
    });
  }, 240_000);

  it('is cdk-nag clean (AwsSolutions) with justified acknowledgements only', () => {
    expect(synthesized.error).toBeUndefined();
    expect(synthesized.violations).toEqual([]);
  });

  it('asserts the Distributed Map configuration in the synthesized definition', () => {
    const sms = synthesized.template.findResources('AWS::StepFunctions::StateMachine');
    const [sm] = Object.values(sms);
    expect(sm?.Properties.StateMachineType).toBe('STANDARD');
    const body = sm?.Properties.DefinitionString;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    // The definition is the file's JSON with the construct's numbers; tokens only inside strings.
    const joined =
      typeof body === 'string'
        ? body
        : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
    const def = JSON.parse(joined);
    expect(def.States.ScanAccounts.MaxConcurrency).toBe(25);
    expect(def.States.ScanAccounts.ToleratedFailurePercentage).toBe(5);
    expect(def.States.ScanAccounts.ItemProcessor.ProcessorConfig).toEqual({
      Mode: 'DISTRIBUTED',
      ExecutionType: 'EXPRESS',
    });
    expect(text).toContain('"Mode":"DISTRIBUTED"');
    expect(sm?.Properties.DefinitionSubstitutions).toMatchObject({
      Partition: { Ref: 'AWS::Partition' },
      ReportBucket: { Ref: expect.stringMatching(/Reports/) },
    });
    expect(sm?.Properties.LoggingConfiguration.Level).toBe('ALL');
    expect(sm?.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('schedules the workflow weekly through EventBridge Scheduler with a role that may only start it', () => {
    synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 ? * MON *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('Workflow') },
        RetryPolicy: Match.anyValue(),
      }),
    });
  });

  it('keeps reports in an encrypted, versioned, private, TLS-only bucket with lifecycle rules and access logs', () => {
    synthesized.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: Match.objectLike({ ServerSideEncryptionConfiguration: Match.anyValue() }),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'reports-bucket/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'reports', Prefix: 'reports/', ExpirationInDays: 200, Status: 'Enabled' }),
        ]),
      },
    });
    const policies = synthesized.template.findResources('AWS::S3::BucketPolicy');
    const denyHttp = Object.values(policies).every((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('"aws:SecureTransport":"false"'),
    );
    expect(denyHttp).toBe(true);
  });

  it('passes typed props to the functions (nodejs22.x) and scopes AssumeRole to the named org role', () => {
    const fns = Object.values(synthesized.template.findResources('AWS::Lambda::Function')).filter(
      (f) =>
        String(f.Properties.Environment?.Variables?.REPORT_BUCKET ?? '') !== '' ||
        f.Properties.Environment?.Variables?.REPORT_BUCKET !== undefined,
    );
    expect(fns).toHaveLength(3);
    for (const f of fns) {
      expect(f.Properties.Runtime).toBe('nodejs22.x');
      expect(f.Properties.Environment.Variables).toMatchObject({
        ORG_ROLE: 'BksAudit',
        MAX_AGE_DAYS: '90',
        LINK_TTL_SECONDS: '1800',
      });
    }
    const text = JSON.stringify(synthesized.template.toJSON());
    expect(text).toContain(':iam::*:role/BksAudit');
    expect(text).toContain('securityhub:BatchImportFindings');
  });

  it('rejects bad props with a message naming them', () => {
    const stack = new Stack(new App({ outdir: scratch() }), 'Bad');
    expect(() => new ComplianceReport(stack, 'A', { maxConcurrency: 0 })).toThrow(/maxConcurrency/);
    expect(() => new ComplianceReport(stack, 'B', { toleratedFailurePercentage: 101 })).toThrow(
      /toleratedFailurePercentage/,
    );
    expect(() => new ComplianceReport(stack, 'C', { linkTtl: Duration.days(2) })).toThrow(/linkTtl/);
    expect(() => new ComplianceReport(stack, 'D', { schedule: 'weekly' })).toThrow(/schedule/);
    expect(() => new ComplianceReport(stack, 'E', { accounts: ['12'] })).toThrow(/12-digit/);
  });
});
