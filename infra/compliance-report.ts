/**
 * `ComplianceReport`: the scheduled, org-wide compliance report of API keys and phantom users.
 *
 *   EventBridge Scheduler (weekly) ─▶ Standard workflow `statemachines/compliance.asl.json`
 *     ListAccounts (Lambda: Organizations → s3://bucket/runs/<run>/accounts.json)
 *     ScanAccounts (Distributed Map, ItemReader = that JSON; EXPRESS children, one Lambda per
 *                   account with the org role → s3://bucket/runs/<run>/accounts/<id>.json)
 *     Aggregate    (Lambda: report HTML + JSON → s3://bucket/reports/…, SNS summary with a
 *                   presigned link, Security Hub upsert + archive)
 *
 * Deploy it where Organizations can be listed and the org role assumed (the management account or
 * a delegated administrator), in your own app:
 *
 *   new ComplianceReport(this, 'Compliance', { orgRole: 'BksAuditRole', maxConcurrency: 20 });
 *
 * Children are EXPRESS: one per account, a few seconds to minutes (well under Express's 5 minutes),
 * idempotent (each writes one S3 object keyed by run and account, so Express's at-least-once
 * delivery is harmless), and Express is billed by duration instead of per state transition — the
 * cheaper choice for hundreds of short items. The parent is STANDARD (hours, exactly once, history).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Aws, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { packageRoot } from '../src/paths';
import { alarmOnQueue, alarmOnWorkflow } from './alarms';
import { acknowledgeRuntime, COMPLIANCE_BUNDLE_EXTERNALS, handlerFunctionProps } from './bundling';
import { acknowledgeInvokeGrants } from './function';
import { holdingQueue } from './soc';

const ROOT = packageRoot();
export const COMPLIANCE_ASL: string = join(ROOT, 'statemachines', 'compliance.asl.json');

export interface ComplianceReportProps {
  /** EventBridge Scheduler expression (`cron(…)`, `rate(…)`). @default 'cron(0 6 ? * MON *)' (Mondays 06:00) */
  readonly schedule?: string;
  /** Time zone of the schedule. @default 'UTC' */
  readonly scheduleTimeZone?: string;
  /** Role assumed in every member account. @default 'OrganizationAccountAccessRole' */
  readonly orgRole?: string;
  /** External id for AssumeRole. @default none */
  readonly externalId?: string;
  /** Accounts scanned at once by the Distributed Map (1..1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Share of map items that may fail before the run fails (0..100; the report is written anyway). @default 10 */
  readonly toleratedFailurePercentage?: number;
  /** Days reports are kept (current versions); per-run intermediates keep 14 days. @default 400 */
  readonly retentionDays?: number;
  /** Topic for the summary and link. @default a new KMS-encrypted topic */
  readonly topic?: sns.ITopic;
  /** Services inventoried. @default 'all' */
  readonly services?: readonly ('bedrock' | 'claude-platform')[] | 'all';
  /** Live keys older than this are a finding. @default none */
  readonly maxAgeDays?: number;
  /** How long the presigned report link lives (1 minute .. 12 hours). @default 1 hour */
  readonly linkTtl?: Duration;
  /** Upsert posture findings into Security Hub (and archive fixed ones). @default true */
  readonly securityHub?: boolean;
  /** Only these accounts / never these accounts. @default every active account */
  readonly accounts?: readonly string[];
  readonly skipAccounts?: readonly string[];
}

const ACCOUNT = /^\d{12}$/;

/** The props of a ComplianceReport with their defaults. */
export interface ComplianceSettings {
  maxConcurrency: number;
  tolerated: number;
  retentionDays: number;
  linkTtl: Duration;
  orgRole: string;
  schedule: string;
}

/** The props with their defaults, or an Error naming the first bad one. */
export function complianceSettings(props: ComplianceReportProps): ComplianceSettings {
  const settings = {
    maxConcurrency: props.maxConcurrency ?? 10,
    tolerated: props.toleratedFailurePercentage ?? 10,
    retentionDays: props.retentionDays ?? 400,
    linkTtl: props.linkTtl ?? Duration.hours(1),
    orgRole: props.orgRole ?? 'OrganizationAccountAccessRole',
    schedule: props.schedule ?? 'cron(0 6 ? * MON *)',
  };
  const { maxConcurrency, tolerated, retentionDays, linkTtl, orgRole, schedule } = settings;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 1000)
    throw new Error('ComplianceReport: maxConcurrency must be a whole number in 1..1000');
  if (!(tolerated >= 0 && tolerated <= 100))
    throw new Error('ComplianceReport: toleratedFailurePercentage must be in 0..100');
  if (!Number.isInteger(retentionDays) || retentionDays < 15)
    throw new Error('ComplianceReport: retentionDays must be a whole number of at least 15');
  if (linkTtl.toSeconds() < 60 || linkTtl.toSeconds() > 43_200)
    throw new Error('ComplianceReport: linkTtl must be between 1 minute and 12 hours');
  if (!/^(cron|rate)\(.+\)$/.test(schedule))
    throw new Error(`ComplianceReport: schedule "${schedule}" is not cron(…) or rate(…)`);
  if (!/^[\w+=,.@-]{1,64}$/.test(orgRole))
    throw new Error(`ComplianceReport: orgRole "${orgRole}" is not a role name`);
  for (const a of [...(props.accounts ?? []), ...(props.skipAccounts ?? [])])
    if (!ACCOUNT.test(a)) throw new Error(`ComplianceReport: "${a}" is not a 12-digit account id`);
  if (props.maxAgeDays !== undefined && !(Number.isInteger(props.maxAgeDays) && props.maxAgeDays >= 1))
    throw new Error('ComplianceReport: maxAgeDays must be a positive whole number');
  return settings;
}

export class ComplianceReport extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly topic: sns.ITopic;
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.CfnSchedule;
  /** Where the scheduler puts a start it could not deliver. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly functions: ComplianceFunctions['functions'];

  constructor(scope: Construct, id: string, props: ComplianceReportProps = {}) {
    super(scope, id);
    const settings = complianceSettings(props);
    const storage = new ReportStorage(this, 'Storage', { retentionDays: settings.retentionDays });
    this.bucket = storage.bucket;
    this.accessLogs = storage.accessLogs;
    if (props.topic) {
      this.topic = props.topic;
    } else {
      const key = new kms.Key(this, 'TopicKey', {
        enableKeyRotation: true,
        description: 'bks compliance report notifications',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.topic = new sns.Topic(this, 'Topic', {
        displayName: 'bks compliance report',
        masterKey: key,
        enforceSSL: true,
      });
    }
    this.functions = new ComplianceFunctions(this, 'Functions', {
      ...props,
      bucket: this.bucket,
      topic: this.topic,
      orgRole: settings.orgRole,
      linkTtl: settings.linkTtl,
    }).functions;
    this.stateMachine = new ComplianceWorkflow(this, 'Workflow', {
      bucket: this.bucket,
      functions: this.functions,
      maxConcurrency: settings.maxConcurrency,
      toleratedFailurePercentage: settings.tolerated,
    }).stateMachine;

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    this.stateMachine.grantStartExecution(schedulerRole);
    this.scheduleDeadLetterQueue = holdingQueue(
      this,
      'ScheduleDeadLetters',
      'This queue is the dead-letter queue of the report schedule; a DLQ of a DLQ adds nothing.',
    );
    // The scheduler sends undeliverable starts with the schedule's execution role.
    this.scheduleDeadLetterQueue.grantSendMessages(schedulerRole);
    alarmOnWorkflow(this, 'Compliance', this.stateMachine, this.topic);
    alarmOnQueue(
      this,
      'ScheduleDeadLettersAlarm',
      this.scheduleDeadLetterQueue,
      'the report schedule DLQ',
      this.topic,
    );
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: 'bks compliance report',
      scheduleExpression: settings.schedule,
      scheduleExpressionTimezone: props.scheduleTimeZone ?? 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: schedulerRole.roleArn,
        input: '{}',
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.scheduleDeadLetterQueue.queueArn },
      },
    });
  }
}

/** The report bucket (versioned, private, TLS only, lifecycle per prefix) and its access-log bucket. */
export class ReportStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: { retentionDays: number }) {
    super(scope, id);
    const { retentionDays } = props;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the server access log target of the report bucket; logging it into itself would recurse.',
    });
    const scratch = (prefix: string) => ({
      id: prefix,
      prefix: `${prefix}/`,
      expiration: Duration.days(14),
      noncurrentVersionExpiration: Duration.days(1),
    });
    this.bucket = new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'reports-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'reports',
          prefix: 'reports/',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(30),
        },
        scratch('runs'),
        scratch('map-runs'),
        { id: 'latest', prefix: 'latest/', noncurrentVersionExpiration: Duration.days(retentionDays) },
        { id: 'uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}

export interface ComplianceFunctionsProps extends ComplianceReportProps {
  readonly bucket: s3.Bucket;
  readonly topic: sns.ITopic;
  readonly orgRole: string;
  readonly linkTtl: Duration;
}

/** The three functions of the report (list accounts, scan one account, aggregate) and their grants. */
export class ComplianceFunctions extends Construct {
  readonly functions: {
    listAccounts: nodejs.NodejsFunction;
    scanAccount: nodejs.NodejsFunction;
    aggregate: nodejs.NodejsFunction;
  };

  constructor(scope: Construct, id: string, props: ComplianceFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket, orgRole } = props;
    const environment: Record<string, string> = {
      REPORT_BUCKET: bucket.bucketName,
      ORG_ROLE: orgRole,
      SERVICES: props.services === undefined || props.services === 'all' ? 'all' : props.services.join(','),
      LINK_TTL_SECONDS: String(props.linkTtl.toSeconds()),
      SECURITY_HUB: String(props.securityHub ?? true),
      TOPIC_ARN: props.topic.topicArn,
      POWERTOOLS_SERVICE_NAME: 'bks-compliance',
    };
    if (props.externalId) environment.EXTERNAL_ID = props.externalId;
    if (props.maxAgeDays) environment.MAX_AGE_DAYS = String(props.maxAgeDays);
    if (props.accounts?.length) environment.ACCOUNTS = props.accounts.join(',');
    if (props.skipAccounts?.length) environment.SKIP_ACCOUNTS = props.skipAccounts.join(',');

    const fn = (name: string, entry: string, timeout: Duration, memorySize: number) =>
      complianceFunction(this, name, { entry, timeout, memorySize, environment });
    const listAccounts = fn('ListAccounts', 'compliance-list-accounts.ts', Duration.minutes(5), 512);
    const scanAccount = fn(
      'ScanAccount',
      'compliance-scan-account.ts',
      Duration.seconds(SCAN_LAMBDA_TIMEOUT),
      1024,
    );
    const aggregate = fn('Aggregate', 'compliance-aggregate.ts', Duration.minutes(15), 2048);
    this.functions = { listAccounts, scanAccount, aggregate };

    listAccounts.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['organizations:ListAccounts'], resources: ['*'] }),
    );
    bucket.grantPut(listAccounts, 'runs/*');
    bucket.grantPut(scanAccount, 'runs/*');
    scanAccount.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [
          stack.formatArn({
            service: 'iam',
            region: '',
            account: '*',
            resource: 'role',
            resourceName: orgRole,
          }),
        ],
      }),
    );
    bucket.grantRead(aggregate);
    bucket.grantPut(aggregate, 'reports/*');
    bucket.grantPut(aggregate, 'latest/*');
    props.topic.grantPublish(aggregate);
    aggregate.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['securityhub:BatchImportFindings'],
        resources: [
          stack.formatArn({
            service: 'securityhub',
            resource: 'product',
            resourceName: `${Aws.ACCOUNT_ID}/default`,
          }),
        ],
      }),
    );
    this.acknowledge(bucket, orgRole);
  }

  private acknowledge(bucket: s3.Bucket, orgRole: string) {
    const { listAccounts, scanAccount, aggregate } = this.functions;
    const all = [listAccounts, scanAccount, aggregate];
    const policyOf = (f: nodejs.NodejsFunction) => (f.role as iam.Role).node.findChild('DefaultPolicy');
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(policyOf(listAccounts)).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'organizations:ListAccounts supports no resource-level permissions; X-Ray tracing needs * too.',
    });
    Validations.of(policyOf(scanAccount)).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${orgRole}]`,
      reason:
        'The inventory runs in every account of the organization; the function may assume only this one named role.',
    });
    for (const [id, reason] of [
      [
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (Lambda active tracing).',
      ],
      [
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/runs/*]`,
        'Writes are limited to the run prefix; object keys are per run and account, unknown at deploy time.',
      ],
      ['AwsSolutions-IAM5[Action::s3:GetBucket*]', 'grantRead: the report bucket only.'],
      ['AwsSolutions-IAM5[Action::s3:GetObject*]', 'grantRead: the report bucket only.'],
      [
        'AwsSolutions-IAM5[Action::s3:List*]',
        'grantRead: the report bucket only (account results are listed by prefix).',
      ],
      ['AwsSolutions-IAM5[Action::s3:Abort*]', 'grantPut: multipart uploads of the report objects.'],
      [
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
        'The aggregate reads every account result of the run and the previous report.',
      ],
      [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/reports/*]`, 'Reports are keyed by date and run id.'],
      [
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/latest/*]`,
        'The latest report, the next run’s previous report.',
      ],
      [
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        "Publishing to the KMS-encrypted topic needs kms:GenerateDataKey* on the topic's key.",
      ],
    ] as const) {
      for (const f of all) Validations.of(policyOf(f)).acknowledge({ id, reason });
    }
  }
}

/**
 * Lambda timeout of the per-account scan. The map task's own timeout (`TimeoutSeconds` in the ASL)
 * is shorter, so a hung scan ends in `States.Timeout`, which the task retries once; were the
 * Lambda timeout the shorter one, the error would be the function's and that retry could never fire.
 */
export const SCAN_LAMBDA_TIMEOUT = 300;

function complianceFunction(
  scope: Construct,
  name: string,
  opts: { entry: string; timeout: Duration; memorySize: number; environment: Record<string, string> },
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${name}Logs`, {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const f = new nodejs.NodejsFunction(scope, name, {
    ...handlerFunctionProps(opts.entry.replace(/\.ts$/, ''), COMPLIANCE_BUNDLE_EXTERNALS),
    timeout: opts.timeout,
    memorySize: opts.memorySize,
    environment: opts.environment,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
  });
  acknowledgeRuntime(f);
  Validations.of(f.role as iam.IRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The AWS-managed basic execution role only lets the function write its own CloudWatch Logs.',
  });
  return f;
}

export interface ComplianceWorkflowProps {
  readonly bucket: s3.Bucket;
  readonly functions: ComplianceFunctions['functions'];
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
}

/** The Standard workflow of `statemachines/compliance.asl.json` and what its role may do. */
export class ComplianceWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ComplianceWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket } = props;
    const { listAccounts, scanAccount, aggregate } = props.functions;
    const definition = JSON.parse(readFileSync(COMPLIANCE_ASL, 'utf8')) as {
      States: { ScanAccounts: { MaxConcurrency: number; ToleratedFailurePercentage: number } };
    };
    definition.States.ScanAccounts.MaxConcurrency = props.maxConcurrency;
    definition.States.ScanAccounts.ToleratedFailurePercentage = props.toleratedFailurePercentage;
    const stateMachineName = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const smLogs = new logs.LogGroup(this, 'WorkflowLogs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Workflow', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: {
        Partition: Aws.PARTITION,
        ReportBucket: bucket.bucketName,
        ListAccountsFunctionArn: listAccounts.functionArn,
        ScanAccountFunctionArn: scanAccount.functionArn,
        AggregateFunctionArn: aggregate.functionArn,
      },
      tracingEnabled: true,
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      timeout: Duration.hours(6),
    });
    for (const f of [listAccounts, scanAccount, aggregate]) f.grantInvoke(this.stateMachine);
    bucket.grantRead(this.stateMachine, 'runs/*'); // ItemReader
    bucket.grantPut(this.stateMachine, 'map-runs/*'); // ResultWriter
    const smArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const execArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const [actions, resource] of [
      [['s3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], bucket.arnForObjects('map-runs/*')],
      // The Distributed Map starts, describes and stops its child executions on this state machine.
      [['states:StartExecution'], smArn],
      [['states:DescribeExecution', 'states:StopExecution'], execArn],
    ] as const) {
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({ actions: [...actions], resources: [resource] }),
      );
    }
    this.acknowledge(bucket, stateMachineName, [listAccounts, scanAccount, aggregate]);
  }

  private acknowledge(bucket: s3.Bucket, stateMachineName: string, functions: lambda.IFunction[]) {
    const stack = Stack.of(this);
    const smPolicy = this.stateMachine.role.node.findChild('DefaultPolicy');
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    for (const [idRule, reason] of [
      [
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray tracing and CloudWatch Logs delivery support no resource-level permissions.',
      ],
      [
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/runs/*]`,
        'ItemReader reads the run’s account list; keys are per run.',
      ],
      [
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/map-runs/*]`,
        'ResultWriter writes the map run’s manifest under this prefix.',
      ],
      ['AwsSolutions-IAM5[Action::s3:GetBucket*]', 'grantRead on the report bucket (ItemReader).'],
      ['AwsSolutions-IAM5[Action::s3:GetObject*]', 'grantRead on the report bucket (ItemReader).'],
      ['AwsSolutions-IAM5[Action::s3:List*]', 'grantRead on the report bucket (ItemReader).'],
      ['AwsSolutions-IAM5[Action::s3:Abort*]', 'ResultWriter multipart uploads.'],
      [
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${stateMachineName}/*]`,
        'The Distributed Map describes and stops its own child executions, whose names are generated per run.',
      ],
    ] as const) {
      Validations.of(smPolicy).acknowledge({ id: idRule, reason });
    }
    acknowledgeInvokeGrants(smPolicy, functions);
  }
}
