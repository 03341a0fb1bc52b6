/**
 * The response workflow's engine for local runs: `statemachines/response.asl.json` executed by
 * aws-local-stepfunctions with the real Lambda handlers, attached to bks-sim's Step Functions as
 * the engine behind StartExecution (`setExecutionEngine`). The handlers talk over HTTP to bks-sim
 * (IAM, STS, Security Hub, Step Functions, Bedrock runtime, DynamoDB, SNS), as on AWS.
 *
 * The approval step really waits: `AskAnalyst` (`lambda:invoke.waitForTaskToken`) runs the real
 * request-approval handler and then pauses on the task token in bks-sim's Step Functions until a
 * SendTaskSuccess / SendTaskFailure for it reaches the simulator (from the approval endpoint, the
 * Security Hub custom action, or any SDK client), or until the state's `TimeoutSeconds` pass on the
 * simulator's clock (aws-local-stepfunctions 3.0 would not pause by itself).
 *
 * Service integrations: `sns:publish` publishes through bks-sim's SNS, `sqs:sendMessage` sends
 * through bks-sim's SQS.
 */
import { randomBytes } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { handler as decide } from '../handlers/decide';
import { handler as enrich } from '../handlers/enrich';
import { handler as finding } from '../handlers/finding';
import { handler as manualAction } from '../handlers/manual-action';
import { handler as normalize } from '../handlers/normalize';
import { handler as requestApproval } from '../handlers/request-approval';
import { handler as revoke } from '../handlers/revoke';
import type { SimContext } from '../sim/core';
import {
  awaitTaskToken,
  type ExecutionEngine,
  type ExecutionRequest,
  type ExecutionResult,
} from '../sim/services/stepfunctions';

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

/** A workflow document, walked freely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: workflow state is arbitrary JSON
export type Doc = Record<string, any>;

/** What happened inside one execution (for tests, the demo and the benchmarks). */
export interface ExecutionTrace {
  executionArn: string;
  name: string;
  /** Task invocations by state name (retries included). */
  calls: Record<string, number>;
  /** Milliseconds from the start of the execution to the end of RaiseFinding. */
  findingMs?: number;
  /** The finding RaiseFinding imported. */
  finding?: Doc;
  /** Set once the approval request went out: the execution now waits on this token. */
  taskToken?: string;
  /** What the Announce state (and the manual-action path) published. */
  announced: Array<{ Subject?: string; Message?: string }>;
  /** What QuarantineMalformed sent to the dead-letter queue. */
  quarantined: unknown[];
  /** What the ManualAction step returned (gate, finding, notification), when the run needed it. */
  manualAction?: Doc;
}

export interface EngineHooks {
  /** Called with each execution's trace as it is created. */
  onStart?(trace: ExecutionTrace): void;
  /** The approval request went out; the execution waits on `trace.taskToken`. */
  onApprovalRequested?(trace: ExecutionTrace): void;
  /** Before each Revoke attempt (tests inject failures here). */
  beforeRevoke?(trace: ExecutionTrace, attempt: number): Promise<void> | void;
}

export interface EngineOptions {
  ctx: SimContext;
  /** bks-sim's URL (the SNS and SQS integrations call it). */
  simUrl: string;
  /** The pipeline's own credentials, for the service integrations. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Responder roles assumed in the incident's account, per task. */
  roles: { reader: string; revoker: string; findings: string };
  /**
   * The deployed functions' own roles: each Task's handler then runs as its function
   * (`bks-fn-<name>`, with the template's `BKS_ROLE_NAME`) instead of the pipeline's credentials.
   */
  functions?: { run<T>(name: string, invoke: () => Promise<T>): Promise<T> };
  hooks?: EngineHooks;
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v ?? null));

/** Error names the ASL's Catch and Retry match on. */
function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * The definitions asl-validator has accepted in this process. Validating builds and compiles a fresh
 * JSON Schema validator every time (most of a StartExecution's CPU); a state machine's definition
 * does not change between its executions, so each distinct text is checked once: the first execution
 * of a definition validates it as before, the next ones skip the identical check. The simulator's
 * URL (in the dead-letter queue's URL) is keyed as one placeholder: each simulator listens on a port
 * of its own, and a string value's content does not change what the validator accepts.
 */
const validDefinitions = new Set<string>();

function stateMachine(text: string, definition: Doc, simUrl: string): StateMachine {
  const key = simUrl ? text.split(simUrl).join('\u0000bks-sim-url\u0000') : text;
  const noValidate = validDefinitions.has(key);
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, noValidate },
  });
  validDefinitions.add(key);
  return machine;
}

/** The engine behind bks-sim's StartExecution for the response workflow. */
export function responseEngine(opts: EngineOptions): ExecutionEngine {
  return async (req: ExecutionRequest): Promise<ExecutionResult> => {
    const definition = JSON.parse(req.stateMachine.definition) as Doc;
    const trace: ExecutionTrace = {
      executionArn: req.executionArn,
      name: req.name,
      calls: {},
      announced: [],
      quarantined: [],
    };
    opts.hooks?.onStart?.(trace);
    const taskToken = `AQ${randomBytes(48).toString('base64url')}`;
    const machine = stateMachine(req.stateMachine.definition, definition, opts.simUrl);
    const retryIntervalOverrides = Object.fromEntries(
      Object.keys(definition.States ?? {}).map((s) => [s, 0]),
    );
    const execution = machine.run(JSON.parse(req.input), {
      context: {
        Task: { Token: taskToken },
        Execution: { Id: req.executionArn, Name: req.name, Input: JSON.parse(req.input) },
        StateMachine: { Id: req.stateMachine.stateMachineArn, Name: req.stateMachine.name },
      } as never,
      overrides: {
        retryIntervalOverrides,
        taskResourceLocalHandlers: taskHandlers(opts, req, definition, trace) as never,
      },
    });
    return executionResult(execution, req.signal);
  };
}

type TaskHandler = (payload: unknown) => Promise<unknown>;

/** The workflow's Task states, each run by its real handler (or bks-sim's SNS / SQS). */
function taskHandlers(
  opts: EngineOptions,
  req: ExecutionRequest,
  definition: Doc,
  trace: ExecutionTrace,
): Record<string, TaskHandler> {
  const { ctx, roles, hooks = {}, functions } = opts;
  const askTimeout = Number(definition.States?.AskAnalyst?.TimeoutSeconds ?? 14_400);
  const t0 = performance.now();
  let revokeAttempts = 0;
  const as = (role: string) => {
    // Read synchronously by the handler before its first await (handlers/lib/aws.ts). As
    // deployed functions, the role comes from each function's own environment instead.
    if (!functions) process.env['BKS_ROLE_NAME'] = role;
  };
  /** One invocation of a pipeline function (as its own role when deployed). */
  const invoke = <T>(fn: string, run: () => Promise<T>): Promise<T> =>
    functions ? functions.run(fn, run) : run();
  const announce = (p: unknown) => {
    const params = p as { TopicArn: string; Subject?: string; Message?: string };
    trace.announced.push({ Subject: params.Subject, Message: params.Message });
    return publishToTopic(opts, req.stateMachine.region, params);
  };
  const handlers: Record<string, TaskHandler> = {
    Normalize: async (p) => json(await invoke('normalize', () => normalize(p as never))),
    QuarantineMalformed: async (p) => {
      const params = p as { QueueUrl: string; MessageBody: unknown };
      const sent = await sendToQueue(opts, params.QueueUrl, JSON.stringify(params.MessageBody));
      trace.quarantined.push(params.MessageBody);
      return sent;
    },
    Enrich: async (p) => {
      as(roles.reader);
      return json(await invoke('enrich', () => enrich(p as never)));
    },
    RaiseFinding: async (p) => {
      as(roles.findings);
      const out = json(await invoke('finding', () => finding(p as never)));
      trace.findingMs = performance.now() - t0;
      trace.finding = out;
      return out;
    },
    Decide: async (p) => json(await invoke('decide', () => decide(p as never))),
    AskAnalyst: async (p) => {
      const payload = (p as { Payload: { taskToken: string } }).Payload;
      // Registered before the request goes out, so that no answer can arrive unseen.
      const answer = awaitTaskToken(ctx, payload.taskToken, { timeoutSeconds: askTimeout });
      await invoke('request-approval', () => requestApproval(payload as never));
      trace.taskToken = payload.taskToken;
      hooks.onApprovalRequested?.(trace);
      const outcome = await answer;
      if (outcome.status === 'success') return JSON.parse(outcome.output);
      if (outcome.status === 'timeout') throw namedError('States.Timeout', 'approval timed out');
      throw namedError(outcome.error ?? 'States.TaskFailed', outcome.cause ?? '');
    },
    Revoke: async (p) => {
      revokeAttempts++;
      await hooks.beforeRevoke?.(trace, revokeAttempts);
      as(roles.revoker);
      return json(await invoke('revoke', () => revoke(p as never)));
    },
    Contain: async (p) => {
      as(roles.revoker);
      return json(await invoke('revoke', () => revoke(p as never)));
    },
    CloseFinding: async (p) => {
      as(roles.findings);
      return json(await invoke('finding', () => finding(p as never)));
    },
    Announce: async (p) => announce(p),
    ManualAction: async (p) => {
      as(roles.findings);
      const out = json(await invoke('manual-action', () => manualAction(p as never)));
      trace.manualAction = out;
      return out;
    },
    // The manual-action notifications are closing notifications too.
    NotifyManualAction: async (p) => announce(p),
    NotifyManualActionFallback: async (p) => announce(p),
  };
  // Every invocation is counted by state name (retries included) before its handler runs.
  return Object.fromEntries(
    Object.entries(handlers).map(([name, run]) => [
      name,
      (p: unknown) => {
        trace.calls[name] = (trace.calls[name] ?? 0) + 1;
        return run(p);
      },
    ]),
  );
}

/** The execution's outcome in bks-sim's terms (an abort through `signal` stops it). */
async function executionResult(
  execution: { result: Promise<unknown>; abort(): void },
  signal: AbortSignal,
): Promise<ExecutionResult> {
  const onAbort = () => execution.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) };
  } catch (err) {
    if (err instanceof ExecutionError) {
      const cause = (err as { cause?: unknown }).cause as { name?: string; message?: string } | undefined;
      return {
        status: 'FAILED',
        error: cause?.name ?? 'States.TaskFailed',
        cause: cause?.message ?? (err as Error).message,
      };
    }
    if (signal.aborted) return { status: 'ABORTED' };
    return { status: 'FAILED', error: 'States.Runtime', cause: (err as Error).message };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** SNS Publish through bks-sim's SNS. */
async function publishToTopic(
  opts: EngineOptions,
  region: string,
  params: { TopicArn: string; Subject?: string; Message?: string },
): Promise<{ MessageId: string }> {
  const client = new SNSClient({
    endpoint: opts.simUrl,
    region,
    credentials: opts.credentials,
    maxAttempts: 3,
  });
  try {
    const out = await client.send(
      new PublishCommand({
        TopicArn: params.TopicArn,
        Message: params.Message ?? '',
        ...(params.Subject ? { Subject: params.Subject } : {}),
      }),
    );
    return { MessageId: out.MessageId ?? '' };
  } finally {
    client.destroy();
  }
}

/** SQS SendMessage through bks-sim's SQS. */
async function sendToQueue(
  opts: EngineOptions,
  queueUrl: string,
  body: string,
): Promise<{ MessageId: string }> {
  const client = new SQSClient({
    endpoint: opts.simUrl,
    region: /sqs\.([\w-]+)\.amazonaws/.exec(queueUrl)?.[1] ?? 'us-east-1',
    credentials: opts.credentials,
    maxAttempts: 3,
  });
  try {
    const out = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    return { MessageId: out.MessageId ?? '' };
  } finally {
    client.destroy();
  }
}
