/**
 * The security account's pipeline exactly as the CDK app deploys it: `BedrockKeyGuard` synthesized
 * (home region us-east-1) and turned into what a local run needs — every IAM role of the template
 * (the functions' execution roles `/bks/bks-fn-<name>` and the responder roles `/bks/bks-reader`…)
 * as bks-sim scenario roles with their policies, each function's role and the variables the
 * template gives it, and the names of the resources those policies grant access to.
 *
 * CloudFormation gives most resources generated names; here each such resource is named after its
 * logical id (a table `GuardApprovalApprovals792E54D5`, its ARN built from that), and the local run
 * creates its tables, topic, queues and state machine with exactly those names, so the policies'
 * resources match what the handlers call. An intrinsic this file cannot resolve throws: a template
 * that changes shape fails the test instead of being loaded half-way.
 *
 * The approval page's sign-in is configured as an operator would (`approvalSignIn`): an issuer, the
 * client id `bks-approval`, allowed group `soc`, and the client secret named
 * `APPROVAL_SECRET_NAME` (`Secret.fromSecretNameV2`: the function gets the partial ARN and may read
 * `<name>-??????` only). The local run creates that secret and registers that client at bks-sim's
 * test provider; only the issuer's address is the local run's (the provider lives on the simulator).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { BedrockKeyGuard } from '../../infra/guard';
import { loadPipelineRules } from '../../infra/rules';
import type { PipelineDeployment } from '../../local/workflow';
import { withScratchDir } from '../helpers/scratch';
import type { DeployedRole } from './deployed-roles';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Doc = { Version?: string; Statement: Array<Record<string, unknown>> };

const REGION = 'us-east-1';
/** The approval page's OIDC client secret, by name, as the synthesized pipeline reads it. */
export const APPROVAL_SECRET_NAME = 'bks/approval-oidc';
const PARTITION = 'aws';

export interface DeployedPipeline {
  /** Every role of the template, as bks-sim scenario roles of the security account. */
  roles: DeployedRole[];
  /** Each role's ARN in the local run, by its logical id in the template. */
  roleArns: Record<string, string>;
  deployment: PipelineDeployment;
  /** The central bus's resource policy statements (AWS::Events::EventBusPolicy), resolved. */
  busPolicy: Doc;
  busName: string;
  /** The raw template (the home region's stack), for assertions and `deployedParts`. */
  resources: Record<string, Resource>;
}

/** The physical name and ARN a resource gets in the local run. */
function physical(id: string, r: Resource, account: string): { ref: string; arn: string } {
  const p = r.Properties;
  const at = (service: string, resource: string) =>
    `arn:${PARTITION}:${service}:${REGION}:${account}:${resource}`;
  switch (r.Type) {
    case 'AWS::DynamoDB::Table': {
      const name = String(p.TableName ?? id);
      return { ref: name, arn: at('dynamodb', `table/${name}`) };
    }
    case 'AWS::SNS::Topic': {
      const arn = at('sns', String(p.TopicName ?? id));
      return { ref: arn, arn };
    }
    case 'AWS::SQS::Queue': {
      const name = String(p.QueueName ?? id);
      return { ref: `https://sqs.${REGION}.amazonaws.com/${account}/${name}`, arn: at('sqs', name) };
    }
    case 'AWS::KMS::Key':
      return { ref: id, arn: at('kms', `key/${id}`) };
    case 'AWS::Logs::LogGroup':
      return { ref: id, arn: at('logs', `log-group:${id}:*`) };
    case 'AWS::S3::Bucket': {
      const name = String(p.BucketName ?? id.toLowerCase());
      return { ref: name, arn: `arn:${PARTITION}:s3:::${name}` };
    }
    case 'AWS::Events::EventBus': {
      const name = String(p.Name ?? id);
      return { ref: name, arn: at('events', `event-bus/${name}`) };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const arn = at('states', `stateMachine:${String(p.StateMachineName ?? id)}`);
      return { ref: arn, arn };
    }
    case 'AWS::Lambda::Function':
      return { ref: id, arn: at('lambda', `function:${id}`) };
    case 'AWS::IAM::Role': {
      const name = String(p.RoleName ?? id);
      return { ref: name, arn: `arn:${PARTITION}:iam::${account}:role${String(p.Path ?? '/')}${name}` };
    }
    default:
      throw new Error(`deployed-pipeline: no local name for ${r.Type} ${id}`);
  }
}

function resolver(resources: Record<string, Resource>, account: string) {
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (!value || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    if ('Ref' in o) {
      const ref = String(o.Ref);
      if (ref === 'AWS::Partition') return PARTITION;
      if (ref === 'AWS::AccountId') return account;
      if (ref === 'AWS::Region') return REGION;
      const r = resources[ref];
      if (!r) throw new Error(`deployed-pipeline: Ref to unknown ${ref}`);
      return physical(ref, r, account).ref;
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      const r = resources[id];
      if (!r) throw new Error(`deployed-pipeline: GetAtt of unknown ${id}`);
      if (attr === 'Arn') return physical(id, r, account).arn;
      if (r.Type === 'AWS::Lambda::Url' && attr === 'FunctionUrl') return 'https://approve.example.test/';
      if (r.Type === 'AWS::SecurityHub::ActionTarget' && attr === 'ActionTargetArn')
        return `arn:${PARTITION}:securityhub:${REGION}:${account}:action/custom/${String(r.Properties.Id)}`;
      throw new Error(`deployed-pipeline: no local value for ${id}.${attr}`);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((x) => String(resolve(x))).join(sep);
    }
    const fn = Object.keys(o).find((k) => k.startsWith('Fn::'));
    if (fn) throw new Error(`deployed-pipeline: ${fn} is not resolved here`);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

const cache = new Map<string, DeployedPipeline>();

/** The pipeline of `account` (its security account), synthesized once per process and options. */
export function deployedPipeline(account: string, opts: { organizationId?: string } = {}): DeployedPipeline {
  const cacheKey = `${account}|${opts.organizationId ?? ''}`;
  const hit = cache.get(cacheKey);
  if (hit) return structuredClone(hit);
  process.env['CDK_DISABLE_CLI_TELEMETRY'] = 'true';
  // The cloud assembly is read here and not needed afterwards. The handlers are not bundled (CDK's
  // `aws:cdk:bundling-stacks` context, by which the CDK CLI bundles only the stacks it was asked for):
  // the local runs call them from source, and the template then differs only in the functions' S3
  // keys (the bundles' hashes), which nothing here reads. test/infra/guard.test.ts and
  // default-app.test.ts synthesize with the bundling.
  const resources = withScratchDir('bks-cdk-', (outdir) => {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bks', { env: { account, region: REGION } });
    new BedrockKeyGuard(stack, 'Guard', {
      rules: loadPipelineRules(),
      homeRegion: REGION,
      regions: [REGION],
      ...(opts.organizationId ? { organizationId: opts.organizationId } : {}),
      approvalSignIn: {
        issuer: 'https://idp.example.test',
        clientId: 'bks-approval',
        clientSecret: Secret.fromSecretNameV2(stack, 'ApprovalClientSecret', APPROVAL_SECRET_NAME),
        allowedGroups: ['soc'],
      },
    });
    return Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  });
  const resolve = resolver(resources, account);
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  const roles = new Map<string, DeployedRole & { path: string }>();
  const roleArns: Record<string, string> = {};
  for (const [id, r] of of('AWS::IAM::Role')) {
    roleArns[id] = physical(id, r, account).arn;
    // Roles without a fixed name (the state machine's, the forwarders') are named by logical id.
    const name = String(r.Properties.RoleName ?? id);
    const trust = resolve(r.Properties.AssumeRolePolicyDocument) as Doc;
    // A role a service assumes (lambda.amazonaws.com, states.amazonaws.com, events.amazonaws.com):
    // the local run plays the service and assumes it with the pipeline's own credentials in this
    // account. A role AWS principals assume (the responder roles) keeps its trust policy, which
    // bks-sim evaluates on every AssumeRole.
    const byService = trust.Statement.some(
      (s) => (s.Principal as { Service?: unknown } | undefined)?.Service,
    );
    const byAws = trust.Statement.some((s) => (s.Principal as { AWS?: unknown } | undefined)?.AWS);
    if (byService && byAws)
      throw new Error(`deployed-pipeline: role ${id} is trusted by a service and by AWS principals`);
    const inline: Record<string, Doc> = {};
    for (const [i, pol] of (
      (r.Properties.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>) ?? []
    ).entries())
      inline[`${i}-${pol.PolicyName}`] = resolve(pol.PolicyDocument) as Doc;
    if (r.Properties.ManagedPolicyArns)
      throw new Error(`deployed-pipeline: role ${name} has managed policies; load them too`);
    roles.set(id, {
      name,
      path: String(r.Properties.Path ?? '/'),
      ...(byService ? { trustedAccounts: [account] } : { trustPolicy: trust }),
      inlinePolicies: inline,
    });
  }
  for (const [id, r] of of('AWS::IAM::Policy')) {
    for (const ref of r.Properties.Roles as Array<{ Ref: string }>) {
      const role = roles.get(ref.Ref);
      if (!role) throw new Error(`policy ${id} names a role outside the template`);
      role.inlinePolicies[id] = resolve(r.Properties.PolicyDocument) as Doc;
    }
  }

  const functions: PipelineDeployment['functions'] = {};
  for (const [, r] of of('AWS::Lambda::Function')) {
    const roleId = (r.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = roles.get(roleId);
    const m = /^[\w+=,.@-]+-fn-([\w-]+)$/.exec(role?.name ?? '');
    if (!role || !m) continue; // not a pipeline function (CDK's own helpers)
    const vars = (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    functions[m[1] as string] = {
      roleArn: physical(roleId, resources[roleId] as Resource, account).arn,
      env: Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, String(resolve(v))])),
    };
  }
  const envOf = (fn: string, key: string) => {
    const v = functions[fn]?.env[key];
    if (v === undefined) throw new Error(`deployed-pipeline: function ${fn} has no ${key}`);
    return v;
  };
  const [smId, sm] = of('AWS::StepFunctions::StateMachine').find(([id]) => /Response/.test(id)) ?? [];
  if (!smId || !sm) throw new Error('deployed-pipeline: no response state machine');
  const queueNamed = (re: RegExp) => {
    const q = of('AWS::SQS::Queue').find(([id]) => re.test(id));
    if (!q) throw new Error(`deployed-pipeline: no queue matching ${re}`);
    return String(q[1].Properties.QueueName ?? q[0]);
  };
  const [busId, bus] = of('AWS::Events::EventBus')[0] ?? [];
  if (!busId || !bus) throw new Error('deployed-pipeline: no central bus');
  const busPolicy: Doc = { Version: '2012-10-17', Statement: [] };
  for (const [, p] of of('AWS::Events::EventBusPolicy')) {
    const st = resolve(p.Properties.Statement) as Record<string, unknown>;
    if (st) busPolicy.Statement.push(st);
  }
  const smRoleId = (sm.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const out: DeployedPipeline = {
    roles: [...roles.values()],
    roleArns,
    resources,
    busPolicy,
    busName: physical(busId, bus, account).ref,
    deployment: {
      functions,
      approvalTable: envOf('request-approval', 'BKS_APPROVAL_TABLE'),
      counterTable: envOf('dispatch', 'BKS_COUNTER_TABLE'),
      topicArn: envOf('request-approval', 'BKS_TOPIC_ARN'),
      stateMachineName: String(sm.Properties.StateMachineName ?? smId),
      stateMachineRoleArn: physical(smRoleId, resources[smRoleId] as Resource, account).arn,
      deadLetterQueue: queueNamed(/^GuardDeadLetters/),
      failureQueue: queueNamed(/FailedInvocations/),
      recordBucket: envOf('revoke', 'BKS_RECORD_BUCKET'),
    },
  };
  cache.set(cacheKey, out);
  return structuredClone(out);
}
