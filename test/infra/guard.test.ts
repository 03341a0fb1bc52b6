import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/guard';
import { RESPONDER_ACTIONS } from '../../infra/responder-roles';
import { loadPipelineRules } from '../../infra/rules';
import { startSim } from '../../sim/server';
import type { CoverageReport } from '../../src/coverage';
import { compilePattern } from '../../src/detect/pattern';
import { pipelineNames } from '../../src/pipeline/names';
import { ALL_MANAGEMENT_EVENTS, ruleStateFor } from '../../src/pipeline/rule-state';
import { rulesForRegion } from '../../src/pipeline/rules';
import { bks } from '../cli/bks-runner';
import { ADMIN_KEY, ADMIN_SECRET, account, MGMT, scenario } from '../coverage/fixtures';
import { scratchDirs } from '../helpers/scratch';

const RULES = loadPipelineRules();

import { cfnLintForFile, type LintMatch, lintLines, skipCfnLint } from './cfn-lint';
import { createStateMachines, deployedParts } from './deployed-pipeline';
import { type Synthesized, synthGuard } from './synth';

type Resources = Synthesized['templates'][string]['Resources'];
type Res = Resources[string];

const byType = (resources: Resources, type: string): Array<[string, Res]> =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

let s: Synthesized;
const cfnLint = cfnLintForFile();
const scratch = scratchDirs('bks-cdk-');
let linted: Promise<LintMatch[]>;

beforeAll(() => {
  s = synthGuard(
    {
      rules: RULES,
      regions: ['eu-west-1', 'us-west-2'],
      organizationId: 'o-abc123def4',
      approvalTimeout: Duration.hours(2),
      timeoutAction: 'contain',
      autoRevoke: ['CRITICAL'],
      allowlistedPrincipals: ['arn:aws:iam::111111111111:role/break-glass'],
      approvalSignIn: {
        issuer: 'https://acme.okta.com/oauth2/default',
        clientId: '0oa1b2c3d4EXAMPLE',
        // An imported secret: a literal ARN, no resource of its own.
        clientSecret: secretsmanager.Secret.fromSecretCompleteArn(
          new Stack(new App({ outdir: scratch() }), 'Secrets', {
            env: { account: '111111111111', region: 'eu-west-1' },
          }),
          'OidcSecret',
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:bks/approval-oidc-AbCdEf',
        ),
        allowedGroups: ['soc-analysts'],
      },
    },
    scratch(),
  );
  linted = cfnLint.lint(s.files);
}, 240_000);

describe('synthesis', () => {
  it('synthesizes offline with nothing left unacknowledged by cdk-nag or the template validator', () => {
    expect(s.violations).toEqual([]);
    expect(s.error).toBeUndefined();
  });

  it.skipIf(skipCfnLint)(
    'passes cfn-lint in every region, with the accepted findings listed with their reasons',
    async () => {
      expect(lintLines(await linted)).toEqual([]);
    },
    120_000,
  );

  it('makes one stack per region: the home region plus us-west-2 and the IAM region us-east-1', () => {
    expect(Object.keys(s.templates).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
  });
});

describe('detection rules', () => {
  const forwardRules = (region: string) =>
    byType(s.templates[region]!.Resources, 'AWS::Events::Rule').filter(([id]) =>
      id.includes('ForwarderForward'),
    );
  const patternsOf = (rules: Array<[string, Res]>) => rules.map(([, r]) => r.Properties!['EventPattern']);

  it('places IAM rules only in us-east-1 and Bedrock rules in every region, patterns equal to the rule files', () => {
    const iam = RULES.filter((r) => r.deploy === 'us-east-1').map((r) => r.pattern);
    const all = RULES.filter((r) => r.deploy === 'all-regions').map((r) => r.pattern);
    for (const region of ['eu-west-1', 'us-west-2', 'us-east-1']) {
      const patterns = patternsOf(forwardRules(region).filter(([id]) => !id.includes('AnomalyAlarm')));
      const expected = region === 'us-east-1' ? [...iam, ...all] : all;
      expect(patterns).toEqual(expect.arrayContaining(expected));
      expect(patterns).toHaveLength(expected.length);
    }
  });

  it('forwards to the central bus in the home region', () => {
    for (const region of ['us-west-2', 'us-east-1']) {
      for (const [, r] of forwardRules(region)) {
        const t = (r.Properties!['Targets'] as Array<{ Arn: unknown }>)[0]!;
        expect(JSON.stringify(t.Arn)).toContain(':events:eu-west-1:111111111111:event-bus/bks-central');
      }
    }
  });

  it('has central rules with the same patterns, feeding the dispatcher the rule id and severity', () => {
    const central = byType(s.templates['eu-west-1']!.Resources, 'AWS::Events::Rule').filter(
      ([id]) => id.includes('Detect') || id.includes('Count'),
    );
    expect(patternsOf(central)).toEqual(expect.arrayContaining(RULES.map((r) => r.pattern)));
    const rule = RULES.find((r) => r.kind === 'pattern')!;
    const detect = central.find(
      ([, r]) => JSON.stringify(r.Properties!['EventPattern']) === JSON.stringify(rule.pattern),
    )![1];
    const target = (
      detect.Properties!['Targets'] as Array<{ InputTransformer: { InputTemplate: string } }>
    )[0]!;
    expect(target.InputTransformer.InputTemplate).toBe(
      `{"ruleId":"${rule.id}","severity":"${rule.severity}","title":${JSON.stringify(rule.title)},"event":<f1>}`,
    );
  });

  it('gives every target of every rule, in every stack, a dead-letter queue', () => {
    let targets = 0;
    for (const t of Object.values(s.templates)) {
      for (const [id, r] of byType(t.Resources, 'AWS::Events::Rule')) {
        for (const target of r.Properties!['Targets'] as Array<{ DeadLetterConfig?: { Arn: unknown } }>) {
          targets++;
          expect(target.DeadLetterConfig?.Arn, id).toBeDefined();
        }
      }
    }
    expect(targets).toBeGreaterThan(10);
  });

  it('encrypts every queue and refuses plain-HTTP access', () => {
    for (const t of Object.values(s.templates)) {
      for (const [, q] of byType(t.Resources, 'AWS::SQS::Queue'))
        expect(q.Properties!['SqsManagedSseEnabled']).toBe(true);
      const policies = byType(t.Resources, 'AWS::SQS::QueuePolicy');
      expect(JSON.stringify(policies)).toContain('aws:SecureTransport');
    }
  });

  it('never triggers on its own Security Hub findings; only the custom-action rule sees Security Hub', () => {
    const finding = {
      Id: 'bks/pipeline-bks-004-bedrock/111111111111/x',
      ProductFields: { 'bks/RuleId': 'BKS-004' },
    };
    const imported = {
      version: '0',
      id: 'e1',
      source: 'aws.securityhub',
      'detail-type': 'Security Hub Findings - Imported',
      account: '111111111111',
      region: 'eu-west-1',
      resources: ['arn:aws:securityhub:eu-west-1::product/111111111111/default'],
      detail: { findings: [finding] },
    };
    const customAction = {
      ...imported,
      'detail-type': 'Security Hub Findings - Custom Action',
      resources: ['arn:aws:securityhub:eu-west-1:111111111111:action/custom/BksApproveRevoke'],
    };
    let rules = 0;
    for (const t of Object.values(s.templates)) {
      for (const [id, r] of byType(t.Resources, 'AWS::Events::Rule')) {
        const p = r.Properties!['EventPattern'];
        if (!p) continue;
        rules++;
        // The custom actions' ARNs are CloudFormation attributes: resolve them as AWS would.
        const resolved = JSON.parse(
          JSON.stringify(p).replace(
            /\{"Fn::GetAtt":\["GuardApproval(Approve|Reject)Action\w+","ActionTargetArn"\]\}/g,
            (_m, which: string) =>
              JSON.stringify(`arn:aws:securityhub:eu-west-1:111111111111:action/custom/Bks${which}Revoke`),
          ),
        );
        const test = compilePattern(resolved);
        expect(test(imported), id).toBe(false);
        expect(test(customAction), id).toBe(id.includes('CustomActions'));
      }
    }
    expect(rules).toBeGreaterThan(RULES.length);
  });

  it('sets every rule state from its pattern, on the default buses and on the central bus', () => {
    let all = 0;
    for (const t of Object.values(s.templates)) {
      for (const [id, r] of byType(t.Resources, 'AWS::Events::Rule')) {
        const p = r.Properties!['EventPattern'] as Record<string, unknown> | undefined;
        if (!p) continue;
        expect(r.Properties!['State'], id).toBe(ruleStateFor(p));
        if (r.Properties!['State'] === ALL_MANAGEMENT_EVENTS) all++;
      }
    }
    // Every forwarder and central rule of BKS-001…018 (in three regions, IAM rules in us-east-1
    // only): none pins its eventName to documented change events only, the EventBridge guide's
    // read-only list being known only in part (src/detect/read-only-events.ts). Was 7 × 4 while
    // every name starting with a change verb counted as a change.
    expect(all).toBe(80);
    const central = byType(s.templates['eu-west-1']!.Resources, 'AWS::Events::Rule').filter(([id]) =>
      id.includes('DetectBKS011'),
    );
    expect(central.map(([, r]) => r.Properties!['State'])).toEqual([ALL_MANAGEMENT_EVENTS]);
  });

  it('matches only AWS service events (or its own threshold events) on the central bus', () => {
    for (const [id, r] of byType(s.templates['eu-west-1']!.Resources, 'AWS::Events::Rule')) {
      if (!r.Properties!['EventBusName']) continue;
      const p = r.Properties!['EventPattern'] as { source?: unknown[] };
      const sources = p.source ?? [];
      expect(sources.length, id).toBeGreaterThan(0);
      for (const src of sources) {
        const ok =
          (typeof src === 'string' && (src.startsWith('aws.') || src === 'bks.detect')) ||
          JSON.stringify(src) === JSON.stringify({ prefix: 'aws.' });
        expect(ok, `${id}: ${JSON.stringify(src)}`).toBe(true);
      }
    }
  });

  it('accepts from the organization only rules forwarding AWS events, and threshold events only from the stateful role', () => {
    const policies = byType(s.templates['eu-west-1']!.Resources, 'AWS::Events::EventBusPolicy').map(
      ([, p]) => p.Properties!['Statement'] as Record<string, unknown>,
    );
    const allow = policies.find((st) => st['Effect'] === 'Allow')!;
    expect(allow['Condition']).toEqual({
      StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' },
      ArnLike: { 'aws:SourceArn': 'arn:aws*:events:*:*:rule/*' },
      'ForAllValues:StringLike': { 'events:source': 'aws.*' },
    });
    const deny = policies.find((st) => st['Effect'] === 'Deny')!;
    // events:source is a multivalued key: only a set operator matches it.
    expect(JSON.stringify(deny['Condition'])).toContain(
      '"ForAnyValue:StringEquals":{"events:source":"bks.detect"}',
    );
    expect(JSON.stringify(deny['Condition'])).toContain(':role/bks/bks-fn-stateful');
  });

  it('alarms on Bedrock invocations summed over ModelId (Metrics Insights) and on the DLQ in every region', () => {
    for (const [region, t] of Object.entries(s.templates)) {
      const alarms = byType(t.Resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
      const invocations = alarms.filter((a) => String(a['AlarmName']).includes('bedrock-invocations'));
      expect(invocations, region).toHaveLength(1);
      expect(JSON.stringify(invocations[0])).toContain(
        JSON.stringify('SELECT SUM(Invocations) FROM SCHEMA("AWS/Bedrock", ModelId)'),
      );
      expect(invocations[0]!['Threshold']).toBe(1000);
      expect(
        alarms.some((a) => a['AlarmName'] === `bks-forwarded-dead-letters-${region}`),
        region,
      ).toBe(true);
    }
  });

  it('alarms to the SOC topic on every queue and on failed or timed-out executions', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    const alarms = byType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const queues = byType(resources, 'AWS::SQS::Queue').map(([id]) => id);
    for (const q of queues) {
      const watching = alarms.filter((a) => JSON.stringify(a['Dimensions'] ?? []).includes(`"${q}"`));
      expect(watching.length, q).toBe(1);
      // The home region's forwarder DLQ alarm travels as an event; every other one notifies the topic.
      if (!q.includes('Forwarder'))
        expect(JSON.stringify(watching[0]!['AlarmActions']), q).toContain('Notifications');
    }
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      const a = alarms.find((x) => x['MetricName'] === metric);
      expect(a, metric).toBeDefined();
      expect(JSON.stringify(a!['AlarmActions'])).toContain('Notifications');
    }
  });

  it('gives every asynchronously invoked function an on-failure destination (an encrypted queue)', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    const configs = byType(resources, 'AWS::Lambda::EventInvokeConfig');
    const byFunction = new Map(
      configs.map(([, c]) => [
        JSON.stringify(c.Properties!['FunctionName']),
        c.Properties!['DestinationConfig'] as { OnFailure: { Destination: { 'Fn::GetAtt': string[] } } },
      ]),
    );
    for (const name of ['dispatch', 'stateful', 'custom-action', 'reconcile'] as const) {
      const logical = s.stack.getLogicalId(s.guard.functions[name].node.defaultChild as never);
      const config = byFunction.get(JSON.stringify({ Ref: logical }));
      expect(config, name).toBeDefined();
      const queue = resources[config!.OnFailure.Destination['Fn::GetAtt'][0]!]!;
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties!['SqsManagedSseEnabled']).toBe(true);
    }
  });
});

describe('response workflow', () => {
  const definition = () => {
    const [, sm] = byType(s.templates['eu-west-1']!.Resources, 'AWS::StepFunctions::StateMachine')[0]!;
    return { sm, def: JSON.parse(sm.Properties!['DefinitionString'] as string) };
  };

  it('is Standard, traced, logged, with the approval timeout and an explicit States.Timeout branch', () => {
    const { sm, def } = definition();
    expect(sm.Properties!['StateMachineType']).toBe('STANDARD');
    expect(sm.Properties!['TracingConfiguration']).toEqual({ Enabled: true });
    const ask = def.States.AskAnalyst;
    expect(ask.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(ask.TimeoutSeconds).toBe(7200);
    expect(ask.Catch[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'OnApprovalTimeout' });
    for (const [name, state] of Object.entries(
      def.States as Record<string, { Type: string; TimeoutSeconds?: number }>,
    )) {
      if (state.Type === 'Task') expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
    }
  });

  it('substitutes every placeholder of the ASL', () => {
    const { sm } = definition();
    const used = new Set(
      [...(sm.Properties!['DefinitionString'] as string).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]),
    );
    expect(Object.keys(sm.Properties!['DefinitionSubstitutions'] as object).sort()).toEqual([...used].sort());
  });

  it('configures the decide function with the policy from the props', () => {
    const fns = byType(s.templates['eu-west-1']!.Resources, 'AWS::Lambda::Function');
    const decide = fns.find(([id]) => id.startsWith('GuardResponsedecide'))![1];
    const env = (decide.Properties!['Environment'] as { Variables: Record<string, string> }).Variables;
    expect(JSON.parse(env['BKS_POLICY']!)).toEqual({
      autoRevoke: ['CRITICAL'],
      allowlist: ['arn:aws:iam::111111111111:role/break-glass'],
      approvalTimeoutSeconds: 7200,
      timeoutAction: 'contain',
    });
  });

  it('configures the approval page with the identity provider of the props, the secret by ARN only', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    const fn = resources[s.stack.getLogicalId(s.guard.functions['approval-api'].node.defaultChild as never)]!;
    const env = (fn.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      BKS_OIDC_ISSUER: 'https://acme.okta.com/oauth2/default',
      BKS_OIDC_CLIENT_ID: '0oa1b2c3d4EXAMPLE',
      BKS_OIDC_CLIENT_SECRET_ARN:
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:bks/approval-oidc-AbCdEf',
      BKS_APPROVER_GROUPS: 'soc-analysts',
      BKS_OIDC_GROUPS_CLAIM: 'groups',
    });
    const finding = resources[s.stack.getLogicalId(s.guard.functions['finding'].node.defaultChild as never)]!;
    expect(JSON.stringify(finding.Properties!['Environment'])).toContain('BKS_APPROVAL_TABLE');
  });

  it('creates the two Security Hub custom actions with names of at most 20 characters', () => {
    const actions = byType(s.templates['eu-west-1']!.Resources, 'AWS::SecurityHub::ActionTarget').map(
      ([, r]) => r.Properties!['Name'] as string,
    );
    expect(actions.sort()).toEqual(['Approve revoke', 'Reject']);
    for (const name of actions) expect(name.length).toBeLessThanOrEqual(20);
  });
});

describe('least privilege', () => {
  const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const DDB_RW = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
  const ON_FAILURE = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
  // No SendTaskHeartbeat: the approval handlers never send one.
  const TASK = ['states:SendTaskFailure', 'states:SendTaskSuccess'];
  const EXPECTED: Record<FunctionName, string[]> = {
    normalize: LOGS,
    // reads the record of a bks selftest canary (src/pipeline/canary.ts)
    decide: [...LOGS, 'dynamodb:GetItem'],
    enrich: [...LOGS, 'sts:AssumeRole'],
    // UpdateItem: the closing step reports what was done to the approval request (the page).
    // GetItem: the finding step reads the incident record (its severity and every signal so far).
    finding: [...LOGS, 'sts:AssumeRole', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    // UpdateItem: a run stopping before its closing step reports that to the approval request.
    'manual-action': [
      ...LOGS,
      'sts:AssumeRole',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ],
    revoke: [...LOGS, 'sts:AssumeRole', 's3:PutObject', 'kms:GenerateDataKey'],
    reconcile: [...LOGS, ...ON_FAILURE, 'sts:AssumeRole', 'states:StartExecution'],
    // One key, one incident: the incident record (Put/Get/Update/Delete), whether its workflow still
    // runs (DescribeExecution), and an escalation: the finding raised through the findings role
    // (AssumeRole) and one notice on the SOC topic (Publish; the topic's KMS key).
    dispatch: [
      ...LOGS,
      ...ON_FAILURE,
      'states:StartExecution',
      'states:DescribeExecution',
      'dynamodb:PutItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'sts:AssumeRole',
      'sns:Publish',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    ],
    stateful: [
      ...LOGS,
      ...ON_FAILURE,
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'events:PutEvents',
    ],
    // The OIDC client secret: this one secret only.
    'approval-api': [
      ...LOGS,
      ...DDB_RW,
      ...TASK,
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ],
    'custom-action': [...LOGS, ...ON_FAILURE, ...DDB_RW, ...TASK],
    'request-approval': [
      ...LOGS,
      ...DDB_RW,
      // A duplicate run of an incident that already has a request ends its own task.
      'states:SendTaskSuccess',
      'sns:Publish',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    ],
  };

  function actionsOfRole(resources: Resources, roleId: string): { actions: string[]; resources: string[] } {
    const actions = new Set<string>();
    const res: string[] = [];
    for (const [, p] of byType(resources, 'AWS::IAM::Policy')) {
      const roles = JSON.stringify(p.Properties!['Roles']);
      if (!roles.includes(`"${roleId}"`)) continue;
      for (const st of (
        p.Properties!['PolicyDocument'] as {
          Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }>;
        }
      ).Statement) {
        if (st.Effect !== 'Allow') continue;
        for (const a of [st.Action].flat()) actions.add(a);
        // Task tokens: no resource-level permissions exist for these actions ("*" is required).
        if ([st.Action].flat().every((a) => TASK.includes(a))) continue;
        res.push(JSON.stringify(st.Resource));
      }
    }
    return { actions: [...actions].sort(), resources: res };
  }

  it.each(FUNCTION_NAMES)('gives %s exactly the actions it calls, and no managed policy', (name) => {
    const resources = s.templates['eu-west-1']!.Resources;
    const fnLogical = s.stack.getLogicalId(s.guard.functions[name].node.defaultChild as never);
    const fnRes = resources[fnLogical]!;
    const roleId = (fnRes.Properties!['Role'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const role = resources[roleId]!;
    expect(role.Properties!['ManagedPolicyArns']).toBeUndefined();
    const { actions, resources: scoped } = actionsOfRole(resources, roleId);
    expect(actions).toEqual([...EXPECTED[name]].sort());
    expect(scoped.every((r) => r !== '"*"')).toBe(true);
  });

  it('scopes assume-role to one named responder role per function', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    const text = JSON.stringify(resources);
    for (const role of ['bks-reader', 'bks-revoker', 'bks-findings'])
      expect(text).toContain(`:iam::*:role/bks/${role}`);
  });

  it('deploys the responder roles with the documented actions only', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    const roles = byType(resources, 'AWS::IAM::Role').filter(([, r]) =>
      ['bks-reader', 'bks-revoker', 'bks-findings'].includes(r.Properties!['RoleName'] as string),
    );
    expect(roles).toHaveLength(3);
    const all = new Set<string>();
    for (const [id] of roles) for (const a of actionsOfRole(resources, id).actions) all.add(a);
    const documented = new Set(Object.values(RESPONDER_ACTIONS).flat());
    for (const a of all) expect(documented.has(a as never), a).toBe(true);
    // The one Delete (issue: revoke-key on a phantom removes its console password): see
    // test/infra/revoker-login-profile.test.ts for its phantom-only resources.
    for (const a of all) if (a !== 'iam:DeleteLoginProfile') expect(a).not.toMatch(/Delete|\*$/);
  });

  it('trusts only the function roles that use each responder role, and denies them any change to the pipeline roles', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    const fnRole = (fn: string) => `arn:aws:iam::111111111111:role/bks/bks-fn-${fn}`;
    const TRUST: Record<string, string[]> = {
      'bks-reader': [fnRole('enrich'), fnRole('reconcile')],
      'bks-revoker': [fnRole('revoke')],
      'bks-findings': [fnRole('finding'), fnRole('manual-action')],
    };
    for (const [id, role] of byType(resources, 'AWS::IAM::Role')) {
      const name = role.Properties!['RoleName'] as string;
      if (!(name in TRUST)) continue;
      expect(role.Properties!['Path']).toBe('/bks/');
      const trust = role.Properties!['AssumeRolePolicyDocument'] as {
        Statement: Array<{ Condition: { ArnEquals: Record<string, string[]> } }>;
      };
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0]!.Condition.ArnEquals['aws:PrincipalArn']).toEqual(TRUST[name]);
      const denies = byType(resources, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties!['Roles']).includes(`"${id}"`))
        .flatMap(
          ([, p]) =>
            (p.Properties!['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement,
        )
        .filter((st) => st['Effect'] === 'Deny');
      expect(denies, name).toHaveLength(1);
      expect(JSON.stringify(denies[0]!['Resource'])).toContain(':role/bks/*');
      expect(denies[0]!['Action']).toEqual(
        expect.arrayContaining(['iam:Put*', 'iam:Attach*', 'iam:Update*']),
      );
    }
  });

  it('names every function role under the /bks/ path', () => {
    const resources = s.templates['eu-west-1']!.Resources;
    for (const name of FUNCTION_NAMES) {
      const fnRes = resources[s.stack.getLogicalId(s.guard.functions[name].node.defaultChild as never)]!;
      const roleId = (fnRes.Properties!['Role'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      expect(resources[roleId]!.Properties).toMatchObject({ RoleName: `bks-fn-${name}`, Path: '/bks/' });
    }
  });
});

describe('fixed names: bks coverage finds the synthesized pipeline', () => {
  const REGIONS = ['eu-west-1', 'us-west-2', 'us-east-1'];
  const names = pipelineNames('bks');

  it('names the bus, state machine, forwarders, central rules and queues as src/pipeline/names.ts says', () => {
    const home = s.templates['eu-west-1']!.Resources;
    const named = (t: Resources, type: string, key: string) =>
      byType(t, type).map(([, r]) => r.Properties![key] as string);
    expect(named(home, 'AWS::Events::EventBus', 'Name')).toEqual([names.centralBus]);
    expect(named(home, 'AWS::StepFunctions::StateMachine', 'StateMachineName')).toEqual([names.stateMachine]);
    expect(named(home, 'AWS::DynamoDB::Table', 'TableName').sort()).toEqual(
      [names.approvalTable, names.counterTable].sort(),
    );
    for (const region of REGIONS) {
      const t = s.templates[region]!.Resources;
      const rules = named(t, 'AWS::Events::Rule', 'Name');
      const expected = rulesForRegion(RULES, region).map((r) => names.forwarder(r.id));
      expect(rules.filter((n) => n.startsWith('bks-fwd-')).sort(), region).toEqual(
        [...expected, names.anomalyForwarder].sort(),
      );
      for (const q of named(t, 'AWS::SQS::Queue', 'QueueName'))
        expect(names.isDeadLetterQueue(q), q).toBe(true);
      expect(named(t, 'AWS::SQS::Queue', 'QueueName'), region).toContain(names.deadLetterQueue('forwarder'));
    }
    const central = byType(home, 'AWS::Events::Rule')
      .filter(([, r]) => r.Properties!['EventBusName'])
      .map(([, r]) => r.Properties!['Name'] as string);
    for (const r of RULES) expect(central, r.id).toContain(names.centralRule(r.id));
    for (const r of RULES.filter((x) => x.kind === 'stateful'))
      expect(central).toContain(names.thresholdRule(r.id));
  });

  it('the templates loaded into bks-sim: every pipeline control of bks coverage is ok', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', ADMIN_KEY);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', ADMIN_SECRET);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    vi.stubEnv('AWS_PROFILE', '');
    vi.stubEnv('AWS_CONFIG_FILE', '/dev/null');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/dev/null');
    const parts = deployedParts(MGMT, s.templates);
    const sim = await startSim({
      scenario: scenario({
        accounts: [account(MGMT, { regions: REGIONS, eventBridge: parts.eventBridge, sqs: parts.sqs })],
      }),
    });
    try {
      await createStateMachines(parts, sim.url, MGMT, {
        accessKeyId: ADMIN_KEY,
        secretAccessKey: ADMIN_SECRET,
      });
      const r = await bks([
        'coverage',
        '--endpoint-url',
        sim.url,
        '-o',
        'json',
        '--regions',
        REGIONS.join(','),
        '--home-region',
        'eu-west-1',
      ]);
      const report = JSON.parse(r.stdout) as CoverageReport;
      const checks = report.accounts[0]!.checks.filter((c) => c.control.startsWith('pipeline.'));
      const got = Object.fromEntries(
        checks.map((c) => [`${c.region} ${c.control}`, `${c.status}: ${c.detail}`]),
      );
      const expected = [
        ...REGIONS.map((region) => `${region} pipeline.forwarders`),
        'eu-west-1 pipeline.central-bus',
        'eu-west-1 pipeline.state-machine',
        'eu-west-1 pipeline.dlq',
      ];
      expect(Object.keys(got).sort()).toEqual(expected.sort());
      for (const [k, v] of Object.entries(got)) expect(v, k).toMatch(/^ok: /);
      expect(got['eu-west-1 pipeline.state-machine']).toContain(':stateMachine:bks-response');
    } finally {
      await sim.close();
      vi.unstubAllEnvs();
    }
  }, 60_000);
});
