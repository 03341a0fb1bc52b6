/**
 * Runs `statemachines/response.asl.json` locally (aws-local-stepfunctions) with the real handlers,
 * which talk over HTTP to bks-sim (IAM, STS, Security Hub, Step Functions SendTask*, Bedrock
 * runtime, DynamoDB, SNS). The workflow tests and the demo both use it. The approval link is read
 * from the message bks-sim's SNS received, as an analyst reads the email. One thing is stood in
 * for, because it is not what a local run is about:
 * - the waiting itself: aws-local-stepfunctions 3.0 does not pause on `.waitForTaskToken`, so the
 *   AskAnalyst stand-in runs the real request-approval handler, lets the caller act as the analyst
 *   (approval link or Security Hub custom action, through the real handlers, which call
 *   SendTaskSuccess on bks-sim), then returns the output bks-sim recorded for that token.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { handler as approvalApi } from '../handlers/approval-api';
import { handler as customAction } from '../handlers/custom-action';
import { handler as decide } from '../handlers/decide';
import { handler as enrich } from '../handlers/enrich';
import { handler as finding } from '../handlers/finding';
import { resetAws } from '../handlers/lib/aws';
import { resetClients } from '../handlers/lib/clients';
import { handler as normalize } from '../handlers/normalize';
import { handler as requestApproval } from '../handlers/request-approval';
import { handler as revoke } from '../handlers/revoke';
import { type SimHandle, startSim } from '../sim/server';
import { snsMessages } from '../sim/services/sns';
import type { ResponsePolicy } from '../src/pipeline/policy';

// aws-local-stepfunctions 3.0 calls Promise.withResolvers, which Node 20 lacks.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

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

/** A workflow document, walked freely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: workflow state is arbitrary JSON
export type Doc = Record<string, any>;

export interface RunOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output?: Doc;
  error?: string;
  /** Task invocations by state name (retries included). */
  calls: Record<string, number>;
  /** Milliseconds from the start to the end of RaiseFinding. */
  findingMs?: number;
}

export class LocalPipeline {
  sim!: SimHandle;
  /** What the workflow published to its SNS topic (bks-sim's SNS keeps it), oldest first. */
  get published(): Array<{ subject: string; message: string }> {
    const topic = `arn:aws:sns:us-east-1:${this.account}:bks`;
    return snsMessages(this.sim.ctx)
      .filter((m) => m.topicArn === topic)
      .map((m) => ({ subject: m.subject ?? '', message: m.message }));
  }
  announced: Array<{ Subject?: string; Message?: string }> = [];
  quarantined: unknown[] = [];
  /** The task tokens the runs handed to the approval step (never to leave the server side). */
  taskTokens: string[] = [];
  logs: string[] = [];
  private savedEnv = { ...process.env };
  private restores: Array<() => void> = [];
  private static tables = 0;
  readonly account: string;
  readonly approveArn: string;
  readonly rejectArn: string;
  private readonly roles: { reader: string; revoker: string; findings: string };

  constructor(readonly options: LocalPipelineOptions) {
    this.account = options.account;
    this.approveArn = `arn:aws:securityhub:us-east-1:${options.account}:action/custom/BksApproveRevoke`;
    this.rejectArn = `arn:aws:securityhub:us-east-1:${options.account}:action/custom/BksRejectRevoke`;
    this.roles = options.roles ?? { reader: 'bks-reader', revoker: 'bks-revoker', findings: 'bks-findings' };
  }

  /** Starts bks-sim with a fresh state (IAM, STS, Security Hub, SendTask*, Bedrock, DynamoDB). */
  async start(): Promise<void> {
    this.sim =
      this.options.sim ?? (await startSim({ scenario: structuredClone(this.options.scenario), port: 0 }));
    const suffix = ++LocalPipeline.tables;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: this.sim.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: this.options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.options.credentials.secretAccessKey,
      BKS_APPROVAL_TABLE: `approvals-${suffix}`,
      BKS_COUNTER_TABLE: `counters-${suffix}`,
      BKS_APPROVAL_URL: 'https://approve.example.test/',
      BKS_TOPIC_ARN: `arn:aws:sns:us-east-1:${this.account}:bks`,
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
    const ddb = new DynamoDBClient({});
    for (const name of [`approvals-${suffix}`, `counters-${suffix}`]) {
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

  /** The approval link of the last SNS message, as a query object. */
  lastLink(): Record<string, string> {
    const last = this.published[this.published.length - 1]!;
    const link = new URL(/https:\/\/approve\.example\.test\/\S+/.exec(last.message)![0]);
    return Object.fromEntries(link.searchParams);
  }

  /** A request to the real approval endpoint handler (Lambda function URL event). */
  async approvalRequest(method: string, query: Record<string, string>, body?: string): Promise<number> {
    const res = (await approvalApi({
      requestContext: { requestId: 'r', http: { method, sourceIp: '198.51.100.9' } },
      queryStringParameters: query,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      isBase64Encoded: false,
    } as never)) as { statusCode: number };
    return res.statusCode;
  }

  /** What the analyst does, through the real approval handlers. */
  private async actAsAnalyst(analyst: Analyst, findingId: string): Promise<void> {
    if (analyst.via === 'link') {
      const last = this.published[this.published.length - 1]!;
      const link = new URL(/https:\/\/approve\.example\.test\/\S+/.exec(last.message)![0]);
      const query = Object.fromEntries(link.searchParams);
      const event = (method: string, body?: string) =>
        ({
          requestContext: { requestId: 'r', http: { method, sourceIp: '198.51.100.9' } },
          queryStringParameters: query,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
          isBase64Encoded: false,
        }) as never;
      const view = (await approvalApi(event('GET'))) as { statusCode: number };
      if (view.statusCode !== 200) throw new Error(`approval page answered ${view.statusCode}`);
      const body = new URLSearchParams({
        decision: analyst.decision,
        by: analyst.by,
        reason: analyst.reason,
        ...(analyst.scope ? { scope: analyst.scope } : {}),
      });
      for (const id of analyst.credentials ?? []) body.append('credential', id);
      const post = (await approvalApi(event('POST', body.toString()))) as { statusCode: number };
      if (post.statusCode !== 200) throw new Error(`approval POST answered ${post.statusCode}`);
    } else if (analyst.via === 'custom-action') {
      await customAction({
        id: 'ca-1',
        account: this.account,
        time: new Date().toISOString(),
        resources: [analyst.decision === 'approve' ? this.approveArn : this.rejectArn],
        detail: {
          actionName: analyst.decision === 'approve' ? 'Approve revoke' : 'Reject',
          findings: [{ Id: findingId, Note: { Text: analyst.reason, UpdatedBy: analyst.by } }],
        },
      });
    }
  }

  /** Runs one execution of the workflow. */
  async run(
    input: unknown,
    opts: {
      policy?: Partial<ResponsePolicy>;
      analyst?: Analyst;
      onRevoke?: (attempt: number) => Promise<void>;
    } = {},
  ): Promise<RunOutcome> {
    process.env['BKS_POLICY'] = JSON.stringify(opts.policy ?? {});
    const calls: Record<string, number> = {};
    const count = (name: string) => {
      calls[name] = (calls[name] ?? 0) + 1;
    };
    const as = (role: string) => {
      process.env['BKS_ROLE_NAME'] = role;
    };
    const json = (v: unknown) => JSON.parse(JSON.stringify(v ?? null));
    const t0 = performance.now();
    let findingMs: number | undefined;
    const text = readFileSync(new URL('../statemachines/response.asl.json', import.meta.url), 'utf8').replace(
      /\$\{(\w+)\}/g,
      (_m, name: string) =>
        name === 'Partition'
          ? 'aws'
          : name.endsWith('Url')
            ? `https://sqs.us-east-1.amazonaws.com/${this.account}/bks-dlq`
            : `arn:aws:lambda:us-east-1:${this.account}:function:${name}`,
    );
    const machine = new StateMachine(JSON.parse(text), { validationOptions: { checkArn: false } });
    const analyst = opts.analyst ?? { via: 'none' };
    let revokeAttempts = 0;
    const taskToken = `AQ${randomBytes(48).toString('base64url')}`;
    this.taskTokens.push(taskToken);
    const execution = machine.run(json(input), {
      context: {
        Task: { Token: taskToken },
        Execution: { Id: `arn:aws:states:us-east-1:${this.account}:execution:bks-response:local` },
      } as never,
      overrides: {
        retryIntervalOverrides: {
          Normalize: 0,
          Enrich: 0,
          RaiseFinding: 0,
          Decide: 0,
          Revoke: 0,
          Contain: 0,
          CloseFinding: 0,
          Announce: 0,
          QuarantineMalformed: 0,
          AskAnalyst: 0,
        },
        taskResourceLocalHandlers: {
          Normalize: async (p) => {
            count('Normalize');
            return json(await normalize(p as never));
          },
          QuarantineMalformed: async (p) => {
            count('QuarantineMalformed');
            this.quarantined.push(p);
            return { MessageId: 'q' };
          },
          Enrich: async (p) => {
            count('Enrich');
            as(this.roles.reader);
            return json(await enrich(p as never));
          },
          RaiseFinding: async (p) => {
            count('RaiseFinding');
            as(this.roles.findings);
            const out = json(await finding(p as never));
            findingMs = performance.now() - t0;
            return out;
          },
          Decide: async (p) => {
            count('Decide');
            return json(await decide(p as never));
          },
          AskAnalyst: async (p) => {
            count('AskAnalyst');
            const payload = (p as { Payload: { taskToken: string; finding: { id: string } } }).Payload;
            await fetch(`${this.sim.url}/_sim/task-tokens`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ tokens: [payload.taskToken] }),
            });
            await requestApproval(payload as never);
            if (analyst.via === 'none') {
              const e = new Error('approval timed out');
              e.name = 'States.Timeout';
              throw e;
            }
            await this.actAsAnalyst(analyst, payload.finding.id);
            const { calls: list } = await this.simGet<{
              calls: Array<{ taskToken: string; output?: string }>;
            }>('/_sim/task-tokens');
            const sent = list.find((t) => t.taskToken === payload.taskToken);
            if (!sent?.output) {
              throw new Error('no SendTaskSuccess reached bks-sim');
            }
            return JSON.parse(sent.output);
          },
          Revoke: async (p) => {
            count('Revoke');
            revokeAttempts++;
            await opts.onRevoke?.(revokeAttempts);
            as(this.roles.revoker);
            return json(await revoke(p as never));
          },
          Contain: async (p) => {
            count('Contain');
            as(this.roles.revoker);
            return json(await revoke(p as never));
          },
          CloseFinding: async (p) => {
            count('CloseFinding');
            as(this.roles.findings);
            return json(await finding(p as never));
          },
          Announce: async (p) => {
            count('Announce');
            this.announced.push(p as { Subject?: string; Message?: string });
            return { MessageId: 'a' };
          },
        },
      },
    });
    try {
      const output = (await execution.result) as Doc;
      return { status: 'SUCCEEDED', output, calls, ...(findingMs !== undefined ? { findingMs } : {}) };
    } catch (err) {
      if (err instanceof ExecutionError) {
        return {
          status: 'FAILED',
          error: (err as Error).message,
          calls,
          ...(findingMs !== undefined ? { findingMs } : {}),
        };
      }
      throw err;
    }
  }
}
