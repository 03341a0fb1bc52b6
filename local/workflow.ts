/**
 * The response workflow run locally, for the workflow tests, the demo and the benchmarks: bks-sim
 * with the pipeline's tables, the workflow deployed into bks-sim's Step Functions through the SDK
 * (CreateStateMachine) and executed by the local engine (`local/engine.ts`: aws-local-stepfunctions
 * with the real handlers) on every StartExecution. The approval step really waits for the
 * SendTaskSuccess / SendTaskFailure that reaches bks-sim. `run` plays a scripted analyst once the
 * approval request went out: through the approval link (read from the message bks-sim's SNS
 * received, as an analyst reads the email), the Security Hub custom action, or nobody (the
 * simulator's clock is moved past the approval timeout).
 */

import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { handler as customAction } from '../handlers/custom-action';
import { resetAws } from '../handlers/lib/aws';
import { resetClients } from '../handlers/lib/clients';
import { type SimHandle, startSim } from '../sim/server';
import { snsMessages } from '../sim/services/sns';
import { abortAll, executionDone, setExecutionEngine } from '../sim/services/stepfunctions';
import { packagePath } from '../src/paths';
import type { ResponsePolicy } from '../src/pipeline/policy';
import { Analyst as Browser, choicesOf, detectedChoice, serveApproval } from './approval';
import { type Doc, type ExecutionTrace, responseEngine } from './engine';
import { FunctionRoles } from './function-roles';

export type { Doc } from './engine';

export interface LocalPipelineOptions {
  /** The scenario bks-sim starts with (a fresh copy per start)… */
  scenario?: unknown;
  /** …or a simulator that is already running (left running by `stop`). */
  sim?: SimHandle;
  /** The security account the pipeline runs in (its SNS topic, custom actions, DLQ). */
  account: string;
  /** The pipeline's own credentials (a principal of the scenario). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Responder roles assumed in the incident's account, per task. */
  roles?: { reader: string; revoker: string; findings: string };
  /** Regions the timeline enrichment searches. */
  regions?: string[];
  /** The approval step's timeout (AskAnalyst TimeoutSeconds). @default 14400 */
  approvalTimeoutSeconds?: number;
  /**
   * The pipeline as deployed (from the synthesized template): every handler then runs as its own
   * function role (`/bks/bks-fn-<name>`, which the scenario must contain), with the template's
   * `BKS_ROLE_NAME`, and the tables, topic, queues, bucket and state machine get the template's
   * names. The approval endpoint too runs as its function (`approval-api`) with the template's
   * sign-in settings (client id, secret name, groups); only the issuer and the endpoint's URL are
   * the simulator's. Without it, handlers call with `credentials`.
   */
  deployment?: PipelineDeployment;
}

/** What the local run takes from the synthesized template (see test/pipeline/deployed-pipeline.ts). */
export interface PipelineDeployment {
  /** By function short name (`enrich`, `revoke`, …): its execution role and its variables. */
  functions: Record<string, { roleArn: string; env: Record<string, string> }>;
  approvalTable: string;
  counterTable: string;
  topicArn: string;
  stateMachineName: string;
  stateMachineRoleArn: string;
  /** Queue names. */
  deadLetterQueue: string;
  failureQueue: string;
  recordBucket: string;
}

export type Analyst =
  | {
      via: 'link';
      decision: 'approve' | 'reject';
      by: string;
      reason: string;
      /** What the approval covers (see ApprovalDecision): credential ids, or every key of the user. */
      scope?: 'credentials' | 'user';
      credentials?: string[];
    }
  | { via: 'custom-action'; decision: 'approve' | 'reject'; by: string; reason: string }
  | { via: 'none' };

export interface RunOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: Doc;
  error?: string;
  /** Task invocations by state name (retries included). */
  calls: Record<string, number>;
  /** Milliseconds from the start to the end of RaiseFinding. */
  findingMs?: number;
  executionArn: string;
}

/**
 * The revocation records' bucket, versioned as the CDK app's (KMS encryption is not simulated),
 * in the current environment's account and region.
 */
export async function createRecordBucket(name: string, config: S3ClientConfig = {}): Promise<void> {
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  } finally {
    s3.destroy();
  }
}

/** The response workflow's definition as deployed: ARNs substituted, the approval timeout set. */
export function responseDefinitionFor(
  account: string,
  opts: { region?: string; approvalTimeoutSeconds?: number; topicArn?: string; dlqUrl?: string } = {},
): string {
  const region = opts.region ?? 'us-east-1';
  const text = readFileSync(packagePath('statemachines', 'response.asl.json'), 'utf8');
  const def = JSON.parse(
    text.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      if (name === 'Partition') return 'aws';
      if (name === 'DeadLetterQueueUrl')
        return opts.dlqUrl ?? `https://sqs.${region}.amazonaws.com/${account}/bks-dlq`;
      if (name === 'NotificationTopicArn') return opts.topicArn ?? `arn:aws:sns:${region}:${account}:bks`;
      const fn = name
        .replace(/FunctionArn$/, '')
        .replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase());
      return `arn:aws:lambda:${region}:${account}:function:bks-${fn}`;
    }),
  );
  if (opts.approvalTimeoutSeconds !== undefined)
    def.States.AskAnalyst.TimeoutSeconds = opts.approvalTimeoutSeconds;
  return JSON.stringify(def);
}

/**
 * The approval endpoint's sign-in as the template configures it: its client id, allowed groups and
 * the name of its client secret (the last part of the function's `BKS_OIDC_CLIENT_SECRET_ARN`, a
 * partial ARN), which the run creates (the deployer does on AWS) in bks-sim's Secrets Manager.
 */
function deployedSignIn(d: PipelineDeployment): {
  secretName: string;
  clientId: string;
  allowedGroups: string[];
} {
  const env = d.functions['approval-api']?.env ?? {};
  const secretName = /:secret:(.+)$/.exec(env['BKS_OIDC_CLIENT_SECRET_ARN'] ?? '')?.[1];
  const clientId = env['BKS_OIDC_CLIENT_ID'];
  const groups = env['BKS_APPROVER_GROUPS'];
  if (!secretName || !clientId || !groups)
    throw new Error(
      'the deployed approval-api function has no sign-in (BKS_OIDC_CLIENT_SECRET_ARN as a partial ARN, BKS_OIDC_CLIENT_ID, BKS_APPROVER_GROUPS)',
    );
  return { secretName, clientId, allowedGroups: groups.split(',') };
}

export class LocalPipeline {
  sim!: SimHandle;
  /** The approval requests the workflow published to its SNS topic (bks-sim's SNS keeps them), oldest first. */
  get published(): Array<{ subject: string; message: string }> {
    const announced = new Set(this.traces.flatMap((t) => t.announced.map((a) => a.Message)));
    return snsMessages(this.sim.ctx)
      .filter((m) => m.topicArn === this.topicArn && !announced.has(m.message))
      .map((m) => ({ subject: m.subject ?? '', message: m.message }));
  }
  /** What the Announce states published (closing notifications), oldest first. */
  get announced(): Array<{ Subject?: string; Message?: string }> {
    return this.traces.flatMap((t) => t.announced);
  }
  /** What the malformed-input branch sent to the dead-letter queue, oldest first. */
  get quarantined(): unknown[] {
    return this.traces.flatMap((t) => t.quarantined);
  }
  /** The task tokens the runs handed to the approval step (never to leave the server side). */
  get taskTokens(): string[] {
    return this.traces.flatMap((t) => (t.taskToken ? [t.taskToken] : []));
  }
  logs: string[] = [];
  readonly traces: ExecutionTrace[] = [];
  private savedEnv = { ...process.env };
  private restores: Array<() => void> = [];
  private static tables = 0;
  private runs = 0;
  private stateMachineArn = '';
  private sfn!: SFNClient;
  private waiting = new Map<string, (trace: ExecutionTrace) => void>();
  private revokeHooks = new Map<string, (attempt: number) => Promise<void>>();
  readonly account: string;
  readonly approveArn: string;
  readonly rejectArn: string;
  readonly topicArn: string;
  /** The revocation records' bucket (versioned, as the CDK app deploys it): BKS_RECORD_BUCKET. */
  recordBucket = '';
  /** The approval timeout the workflow is deployed with (AskAnalyst's TimeoutSeconds). */
  readonly approvalTimeoutSeconds: number;
  private readonly roles: { reader: string; revoker: string; findings: string };
  /** The functions' own roles, when running as deployed. */
  functionRoles: FunctionRoles | undefined;

  constructor(readonly options: LocalPipelineOptions) {
    this.account = options.account;
    this.approveArn = `arn:aws:securityhub:us-east-1:${options.account}:action/custom/BksApproveRevoke`;
    this.rejectArn = `arn:aws:securityhub:us-east-1:${options.account}:action/custom/BksRejectRevoke`;
    this.topicArn = options.deployment?.topicArn ?? `arn:aws:sns:us-east-1:${options.account}:bks`;
    this.roles = options.roles ?? { reader: 'bks-reader', revoker: 'bks-revoker', findings: 'bks-findings' };
    this.approvalTimeoutSeconds = options.approvalTimeoutSeconds ?? 14_400;
  }

  /**
   * Starts bks-sim with a fresh state, creates the pipeline's tables and deploys the workflow into
   * bks-sim's Step Functions, with the local engine behind it.
   */
  async start(): Promise<void> {
    this.sim =
      this.options.sim ?? (await startSim({ scenario: structuredClone(this.options.scenario), port: 0 }));
    const suffix = ++LocalPipeline.tables;
    const d = this.options.deployment;
    this.recordBucket = d?.recordBucket ?? `bks-records-${this.account}-${suffix}`;
    const approvalTable = d?.approvalTable ?? `approvals-${suffix}`;
    const counterTable = d?.counterTable ?? `counters-${suffix}`;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: this.sim.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: this.options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.options.credentials.secretAccessKey,
      BKS_APPROVAL_TABLE: approvalTable,
      BKS_COUNTER_TABLE: counterTable,
      BKS_TOPIC_ARN: this.topicArn,
      BKS_HOME_REGION: 'us-east-1',
      BKS_REGIONS: (this.options.regions ?? ['us-east-1', 'us-west-2']).join(','),
      BKS_TIMELINE_HOURS: '24',
      BKS_APPROVE_ACTION_ARN: this.approveArn,
      BKS_REJECT_ACTION_ARN: this.rejectArn,
      POWERTOOLS_DEV: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    resetClients();
    resetAws();
    this.functionRoles = d ? new FunctionRoles(this.sim, this.options.credentials, d.functions) : undefined;
    const approval = await serveApproval(this.sim, {
      region: 'us-east-1',
      credentials: this.options.credentials,
      ...(d ? deployedSignIn(d) : { allowedGroups: ['soc'], secretName: `bks-approval-oidc-${suffix}` }),
      ...(this.functionRoles ? { invoke: (run) => this.asFunction('approval-api', run) } : {}),
    });
    Object.assign(process.env, approval.env);
    this.restores.push(approval.stop);
    const ddb = new DynamoDBClient({});
    for (const name of [approvalTable, counterTable]) {
      await ddb.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
    ddb.destroy();
    await createRecordBucket(this.recordBucket);
    process.env['BKS_RECORD_BUCKET'] = this.recordBucket;
    const sqs = new SQSClient({});
    // One name for every start (CreateQueue returns the queue a name already has) and the URL in the
    // AWS form the CDK app deploys (bks-sim's SQS accepts it as well as its own, which carries the
    // simulator's port): every start in a process deploys the same definition, which the engine then
    // validates once (local/engine.ts).
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: d?.deadLetterQueue ?? 'bks-response-dlq' }),
    );
    const dlqUrl = `https://sqs.us-east-1.amazonaws.com${new URL(dlq.QueueUrl!).pathname}`;
    if (d) await sqs.send(new CreateQueueCommand({ QueueName: d.failureQueue }));
    sqs.destroy();
    setExecutionEngine(
      this.sim.ctx,
      responseEngine({
        ctx: this.sim.ctx,
        simUrl: this.sim.url,
        credentials: this.options.credentials,
        roles: this.roles,
        ...(this.functionRoles ? { functions: this.functionRoles } : {}),
        hooks: {
          onStart: (trace) => this.traces.push(trace),
          onApprovalRequested: (trace) => this.waiting.get(trace.name)?.(trace),
          beforeRevoke: (trace, attempt) => this.revokeHooks.get(trace.name)?.(attempt),
        },
      }),
    );
    this.sfn = new SFNClient({});
    const created = await this.sfn.send(
      new CreateStateMachineCommand({
        name: d?.stateMachineName ?? `bks-response-${suffix}`,
        definition: responseDefinitionFor(this.account, {
          approvalTimeoutSeconds: this.approvalTimeoutSeconds,
          topicArn: this.topicArn,
          dlqUrl,
        }),
        roleArn: d?.stateMachineRoleArn ?? `arn:aws:iam::${this.account}:role/bks-response`,
        type: 'STANDARD',
      }),
    );
    this.stateMachineArn = created.stateMachineArn!;
    // Structured logs go to stdout: keep them, to search them for secrets.
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      this.logs.push(String(chunk));
      return true;
    }) as never;
    this.restores.push(() => {
      process.stdout.write = write;
    });
  }

  async stop(): Promise<void> {
    for (const r of this.restores.splice(0).reverse()) r();
    abortAll(this.sim.ctx);
    setExecutionEngine(this.sim.ctx, undefined);
    this.sfn?.destroy();
    if (!this.options.sim) await this.sim?.close();
    process.env = this.savedEnv;
    resetClients();
    resetAws();
  }

  async simGet<T>(path: string): Promise<T> {
    return (await (await fetch(`${this.sim.url}${path}`)).json()) as T;
  }

  async findings(): Promise<Array<Doc>> {
    const r = await this.simGet<unknown>('/_sim/findings');
    return (Array.isArray(r) ? r : ((r as { findings?: unknown[] }).findings ?? [])) as Array<Doc>;
  }

  async setFaults(faults: unknown[]): Promise<void> {
    await fetch(`${this.sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults }),
    });
  }

  /** The approval link of the last approval request, as the analyst reads it in the notification. */
  lastLinkUrl(): string {
    const last = this.published[this.published.length - 1]!;
    return /https?:\/\/\S+\/_pipeline\/approve\?\S+/.exec(last.message)![0];
  }

  /** The approval link of the last approval request, as a query object. */
  lastLink(): Record<string, string> {
    return Object.fromEntries(new URL(this.lastLinkUrl()).searchParams);
  }

  /** A browser signed in at the simulator's identity provider as `name` (group `soc` unless given). */
  async analyst(name: string, groups = ['soc']): Promise<Browser> {
    const b = new Browser(this.sim.url);
    await b.signIn({ sub: `${name}@example.test`, name, groups });
    return b;
  }

  /**
   * A request to the approval endpoint over HTTP as a signed-in analyst (alice, group soc): a POST
   * carries the CSRF token of the page a GET of the same link shows. Returns the status.
   */
  async approvalRequest(method: string, query: Record<string, string>, body?: string): Promise<number> {
    const b = await this.analyst('alice');
    const url = `${process.env['BKS_APPROVAL_URL']}?${new URLSearchParams(query)}`;
    const view = await b.request(url);
    const csrf = /name="csrf" value="([^"]*)"/.exec(view.html)?.[1];
    if (method === 'GET') return view.status;
    const form = new URLSearchParams(body ?? '');
    if (csrf && !form.has('csrf')) form.set('csrf', csrf);
    return (await b.request(url, { method, body: form.toString() })).status;
  }

  /**
   * After the simulator's clock jumped, the handlers' cached role sessions are stale there; on AWS
   * they refresh on the wall clock, so drop them as time passing would.
   */
  resetClientSessions(): void {
    resetAws();
  }

  /** Runs a handler as its deployed function (its role), or as the pipeline's credentials. */
  asFunction<T>(name: string, run: () => Promise<T>): Promise<T> {
    return this.functionRoles ? this.functionRoles.run(name, run) : run();
  }

  /** What the analyst does, through the real approval handlers (which call SendTaskSuccess on bks-sim). */
  async actAsAnalyst(analyst: Analyst, findingId: string): Promise<void> {
    if (analyst.via === 'link') {
      // The analyst opens the link from the notification, signs in, reads the page and chooses.
      const b = await this.analyst(analyst.by);
      const view = await b.request(this.lastLinkUrl());
      if (view.status !== 200) throw new Error(`approval page answered ${view.status}`);
      const offered = choicesOf(view.html);
      const detected = detectedChoice(view.html);
      const choice =
        analyst.decision === 'reject'
          ? 'reject'
          : analyst.credentials?.[0]
            ? `credential:${analyst.credentials[0]}`
            : analyst.scope === 'user'
              ? 'user'
              : detected
                ? detected
                : offered.includes('target')
                  ? 'target'
                  : 'user';
      const post = await b.submit(view, { choice, reason: analyst.reason });
      if (post.status !== 200) throw new Error(`approval POST answered ${post.status}`);
    } else if (analyst.via === 'custom-action') {
      await this.asFunction('custom-action', () =>
        customAction({
          id: 'ca-1',
          account: this.account,
          time: new Date().toISOString(),
          resources: [analyst.decision === 'approve' ? this.approveArn : this.rejectArn],
          detail: {
            actionName: analyst.decision === 'approve' ? 'Approve revoke' : 'Reject',
            findings: [{ Id: findingId, Note: { Text: analyst.reason, UpdatedBy: analyst.by } }],
          },
        }),
      );
    } else {
      // Nobody answers: the approval's deadline passes on the simulator's clock.
      this.sim.advanceClock(this.approvalTimeoutSeconds + 1);
      this.resetClientSessions();
    }
  }

  /**
   * Starts one execution through bks-sim's Step Functions (StartExecution, as the dispatch
   * function does) and returns at once; `approval` resolves when the run waits for a decision,
   * `done` when it ends.
   */
  async startRun(
    input: unknown,
    opts: { policy?: Partial<ResponsePolicy>; onRevoke?: (attempt: number) => Promise<void> } = {},
  ): Promise<{ executionArn: string; approval: Promise<ExecutionTrace>; done: Promise<RunOutcome> }> {
    process.env['BKS_POLICY'] = JSON.stringify(opts.policy ?? {});
    const name = `local-${++this.runs}-${Date.now()}`;
    const approval = new Promise<ExecutionTrace>((resolve) => this.waiting.set(name, resolve));
    if (opts.onRevoke) this.revokeHooks.set(name, opts.onRevoke);
    const out = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    );
    const executionArn = out.executionArn!;
    const done = executionDone(this.sim.ctx, executionArn).then((e): RunOutcome => {
      this.waiting.delete(name);
      this.revokeHooks.delete(name);
      const trace = this.traces.find((t) => t.executionArn === executionArn);
      return {
        status: e.status === 'RUNNING' ? 'FAILED' : e.status,
        executionArn,
        calls: trace?.calls ?? {},
        ...(e.output !== undefined ? { output: JSON.parse(e.output) as Doc } : {}),
        ...(e.status !== 'SUCCEEDED' ? { error: `${e.error ?? ''}: ${e.cause ?? ''}` } : {}),
        ...(trace?.findingMs !== undefined ? { findingMs: trace.findingMs } : {}),
      };
    });
    return { executionArn, approval, done };
  }

  /** Runs one execution to its end, playing the scripted analyst when it asks for a decision. */
  async run(
    input: unknown,
    opts: {
      policy?: Partial<ResponsePolicy>;
      analyst?: Analyst;
      onRevoke?: (attempt: number) => Promise<void>;
    } = {},
  ): Promise<RunOutcome> {
    const started = await this.startRun(input, opts);
    const asked = await Promise.race([started.approval, started.done.then(() => undefined)]);
    if (asked) {
      try {
        await this.actAsAnalyst(opts.analyst ?? { via: 'none' }, String(asked.finding?.id ?? ''));
      } catch (e) {
        // The scripted analyst could not decide: end the waiting run rather than leave it paused.
        await this.sfn.send(
          new StopExecutionCommand({ executionArn: started.executionArn, error: 'AnalystFailed' }),
        );
        await started.done;
        throw e;
      }
    }
    return started.done;
  }
}
