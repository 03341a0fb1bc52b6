/**
 * AWS Lambda (REST-JSON, PascalCase members): the functions of the simulated accounts and what
 * Lambda does with an *asynchronous* invocation — the way EventBridge invokes a rule's Lambda
 * target. The simulator does not run code: a function's code is whatever the delivery listeners
 * (`onDelivery`, services/events.ts) do with the event; this module is the part of Lambda around
 * it that decides how often it runs and where a failure ends.
 *
 * API: CreateFunction, GetFunction, ListFunctions, DeleteFunction, and the asynchronous invocation
 * settings Put/Update/Get/DeleteFunctionEventInvokeConfig (`MaximumRetryAttempts` 0–2,
 * `MaximumEventAgeInSeconds` 60–21600, `DestinationConfig.OnFailure/OnSuccess.Destination`), plus
 * CreateFunction's `DeadLetterConfig.TargetArn` (the function's own dead-letter queue).
 *
 * Asynchronous invocation, as the Lambda developer guide describes it ("How Lambda handles errors
 * and retries with asynchronous invocation", "Capturing records of Lambda asynchronous
 * invocations"): EventBridge hands the event to Lambda's queue and is done (its delivery succeeded,
 * so the rule's dead-letter queue never sees a function error). Lambda runs the function; when the
 * function throws it runs it again, up to `MaximumRetryAttempts` more times (default 2: three runs in
 * all). When every attempt failed (condition `RetriesExhausted`), or the event got older than
 * `MaximumEventAgeInSeconds` (default 6 hours, on the simulator's clock: `EventAgeExceeded`), the
 * invocation record goes to the on-failure destination:
 *
 *   { version: "1.0", timestamp, requestContext: { requestId, functionArn: "<arn>:$LATEST",
 *     condition, approximateInvokeCount }, requestPayload, responseContext: { statusCode: 200,
 *     executedVersion: "$LATEST", functionError: "Unhandled" }, responsePayload: { errorType,
 *     errorMessage, trace } }
 *
 * as the body of an SQS message when the destination is a queue of the simulator. Without a
 * destination, the event goes to the function's dead-letter queue (the event only, with the
 * attributes RequestID, ErrorCode, ErrorMessage); without either, Lambda discards it — the trace
 * (`GET /_sim/lambda/invocations`) says so, so nothing is dropped unseen here. What the simulator
 * does not model: the waits between attempts (about one and two minutes on AWS; here the retries
 * run at once), throttling retries, and destinations other than SQS queues (SNS, Lambda,
 * EventBridge, S3: the record is counted as a destination delivery failure, as AWS counts
 * `DestinationDeliveryFailures`, and traced).
 *
 * A Lambda target whose function the simulator does not know (never created) is run by the
 * listeners with Lambda's defaults (two retries, no destination): the simulator predates this model
 * and its scenarios name functions they never create.
 */
import { randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { enqueue } from './sqs';

export interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
  LastModified: number;
}

export interface SimFunction {
  FunctionName: string;
  FunctionArn: string;
  Account: string;
  Region: string;
  Role: string;
  Runtime?: string;
  Handler?: string;
  Description?: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  DeadLetterConfig?: { TargetArn: string };
  Environment?: { Variables: Record<string, string> };
  EventInvokeConfig?: EventInvokeConfig;
}

/** How one asynchronous invocation ended (`GET /_sim/lambda/invocations`). */
export interface AsyncInvocationTrace {
  requestId: string;
  functionArn: string;
  /** The function was created in the simulator (else Lambda's defaults applied). */
  declared: boolean;
  at: string;
  maximumRetryAttempts: number;
  /** Runs of the function (the first and the retries). */
  attempts: number;
  errors: string[];
  outcome: 'running' | 'succeeded' | 'on-failure' | 'dead-letter' | 'discarded';
  condition?: 'RetriesExhausted' | 'EventAgeExceeded';
  /** Where the record (on-failure) or the event (dead-letter queue) went, and whether it arrived. */
  destination?: { arn: string; delivered: boolean; error?: string };
}

const DEFAULT_RETRIES = 2;
const DEFAULT_MAX_AGE_SECONDS = 21_600;
const MAX_TRACE = 5_000;

interface LambdaState {
  functions: Map<string, SimFunction>;
  trace: AsyncInvocationTrace[];
}

function lambdaState(ctx: SimContext): LambdaState {
  let s = ctx.scratch.get('lambda:state') as LambdaState | undefined;
  if (!s) {
    s = { functions: new Map(), trace: [] };
    ctx.scratch.set('lambda:state', s);
  }
  return s;
}

const key = (account: string, region: string, name: string) => `${account}/${region}/${name}`;

/** `my-fn`, `arn:…:function:my-fn[:qualifier]` or `123456789012:function:my-fn`: account, region, name. */
function parseFunctionName(
  value: unknown,
  account: string,
  region: string,
): { account: string; region: string; name: string; qualifier?: string } {
  const s = typeof value === 'string' ? decodeURIComponent(value) : '';
  const full = /^arn:[\w-]+:lambda:([a-z0-9-]+):(\d{12}):function:([\w-]{1,64})(?::([\w$-]+))?$/.exec(s);
  if (full)
    return {
      region: full[1]!,
      account: full[2]!,
      name: full[3]!,
      ...(full[4] ? { qualifier: full[4] } : {}),
    };
  const partial = /^(\d{12}):function:([\w-]{1,64})$/.exec(s);
  if (partial) return { account: partial[1]!, region, name: partial[2]! };
  if (/^[\w-]{1,64}$/.test(s)) return { account, region, name: s };
  throw new SimError(
    'ValidationException',
    `1 validation error detected: Value '${s}' at 'functionName' failed to satisfy constraint`,
    400,
  );
}

/** The function a Lambda ARN names, if the simulator has it. */
export function functionByArn(ctx: SimContext, arn: string): SimFunction | undefined {
  const m = /^arn:[\w-]+:lambda:([a-z0-9-]+):(\d{12}):function:([\w-]+)/.exec(arn);
  return m ? lambdaState(ctx).functions.get(key(m[2]!, m[1]!, m[3]!)) : undefined;
}

function notFound(ctx: SimContext, f: { account: string; region: string; name: string }): SimError {
  return new SimError(
    'ResourceNotFoundException',
    `Function not found: arn:${ctx.state.partition}:lambda:${f.region}:${f.account}:function:${f.name}`,
    404,
  );
}

function findFunction(ctx: SimContext, req: SimRequest): SimFunction {
  const f = parseFunctionName(req.pathParams.FunctionName, req.caller.account, req.region);
  const fn = lambdaState(ctx).functions.get(key(f.account, f.region, f.name));
  if (!fn) throw notFound(ctx, f);
  return fn;
}

function configuration(fn: SimFunction): Record<string, unknown> {
  const { Account: _a, Region: _r, EventInvokeConfig: _e, ...out } = fn;
  return { ...out, Version: '$LATEST', State: 'Active', PackageType: 'Zip', Architectures: ['arm64'] };
}

function createFunction(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const name = typeof p.FunctionName === 'string' ? p.FunctionName : '';
  if (!/^[\w-]{1,64}$/.test(name))
    throw new SimError('ValidationException', 'FunctionName must be 1 to 64 letters, digits, - or _.', 400);
  if (typeof p.Role !== 'string' || !/^arn:[\w-]+:iam::\d{12}:role\/.+$/.test(p.Role))
    throw new SimError('ValidationException', 'Role must be the ARN of an IAM role.', 400);
  const s = lambdaState(ctx);
  const k = key(req.caller.account, req.region, name);
  if (s.functions.has(k))
    throw new SimError('ResourceConflictException', `Function already exist: ${name}`, 409);
  const dlq = (p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn;
  const env = (p.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
  const fn: SimFunction = {
    FunctionName: name,
    FunctionArn: `arn:${ctx.state.partition}:lambda:${req.region}:${req.caller.account}:function:${name}`,
    Account: req.caller.account,
    Region: req.region,
    Role: p.Role,
    Timeout: typeof p.Timeout === 'number' ? p.Timeout : 3,
    MemorySize: typeof p.MemorySize === 'number' ? p.MemorySize : 128,
    LastModified: ctx.now().toISOString().replace('Z', '+0000'),
    ...(typeof p.Runtime === 'string' ? { Runtime: p.Runtime } : {}),
    ...(typeof p.Handler === 'string' ? { Handler: p.Handler } : {}),
    ...(typeof p.Description === 'string' ? { Description: p.Description } : {}),
    ...(typeof dlq === 'string' && dlq ? { DeadLetterConfig: { TargetArn: dlq } } : {}),
    ...(env ? { Environment: { Variables: env } } : {}),
  };
  s.functions.set(k, fn);
  return configuration(fn);
}

function listFunctions(ctx: SimContext, req: SimRequest): unknown {
  const fns = [...lambdaState(ctx).functions.values()].filter(
    (f) => f.Account === req.caller.account && f.Region === req.region,
  );
  return { Functions: fns.map(configuration) };
}

function getFunction(ctx: SimContext, req: SimRequest): unknown {
  return { Configuration: configuration(findFunction(ctx, req)) };
}

function deleteFunction(ctx: SimContext, req: SimRequest): unknown {
  const fn = findFunction(ctx, req);
  lambdaState(ctx).functions.delete(key(fn.Account, fn.Region, fn.FunctionName));
  return {};
}

function invokeConfigOut(fn: SimFunction, c: EventInvokeConfig): unknown {
  return {
    FunctionArn: `${fn.FunctionArn}:$LATEST`,
    LastModified: c.LastModified / 1000,
    ...(c.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: c.MaximumRetryAttempts } : {}),
    ...(c.MaximumEventAgeInSeconds !== undefined
      ? { MaximumEventAgeInSeconds: c.MaximumEventAgeInSeconds }
      : {}),
    ...(c.DestinationConfig ? { DestinationConfig: c.DestinationConfig } : {}),
  };
}

function validInvokeConfig(p: Record<string, unknown>): Omit<EventInvokeConfig, 'LastModified'> {
  const out: Omit<EventInvokeConfig, 'LastModified'> = {};
  const retries = p.MaximumRetryAttempts;
  if (retries !== undefined) {
    if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 2)
      throw new SimError('ValidationException', 'MaximumRetryAttempts must be 0, 1 or 2.', 400);
    out.MaximumRetryAttempts = retries;
  }
  const age = p.MaximumEventAgeInSeconds;
  if (age !== undefined) {
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 21_600)
      throw new SimError('ValidationException', 'MaximumEventAgeInSeconds must be 60 to 21600.', 400);
    out.MaximumEventAgeInSeconds = age;
  }
  const d = p.DestinationConfig as EventInvokeConfig['DestinationConfig'] | undefined;
  if (d !== undefined) {
    for (const dest of [d.OnFailure?.Destination, d.OnSuccess?.Destination]) {
      if (dest !== undefined && !/^arn:[\w-]+:(sqs|sns|lambda|events|s3):/.test(String(dest)))
        throw new SimError(
          'InvalidParameterValueException',
          `The destination ARN ${String(dest)} is invalid.`,
          400,
        );
    }
    out.DestinationConfig = d;
  }
  return out;
}

/** Put replaces the whole configuration; Update changes only what it names. */
function putInvokeConfig(replace: boolean) {
  return (ctx: SimContext, req: SimRequest): unknown => {
    const fn = findFunction(ctx, req);
    if (!replace && !fn.EventInvokeConfig)
      throw new SimError(
        'ResourceNotFoundException',
        `The function ${fn.FunctionArn} has no configuration.`,
        404,
      );
    const given = validInvokeConfig(req.params);
    fn.EventInvokeConfig = {
      ...(replace ? {} : fn.EventInvokeConfig),
      ...given,
      LastModified: ctx.nowMs(),
    };
    return invokeConfigOut(fn, fn.EventInvokeConfig);
  };
}

function getInvokeConfig(ctx: SimContext, req: SimRequest): unknown {
  const fn = findFunction(ctx, req);
  if (!fn.EventInvokeConfig)
    throw new SimError(
      'ResourceNotFoundException',
      `The function ${fn.FunctionArn} doesn't have an EventInvokeConfig`,
      404,
    );
  return invokeConfigOut(fn, fn.EventInvokeConfig);
}

function deleteInvokeConfig(ctx: SimContext, req: SimRequest): unknown {
  const fn = findFunction(ctx, req);
  delete fn.EventInvokeConfig;
  return {};
}

// ---------------------------------------------------------------------------------------------
// Asynchronous invocation

/** What a function throws, as the Node.js runtime reports it in the response payload. */
function errorPayload(e: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    errorType: err.name || 'Error',
    errorMessage: err.message,
    trace: (err.stack ?? `${err.name}: ${err.message}`).split('\n').slice(0, 10),
  };
}

function sendTo(
  ctx: SimContext,
  arn: string,
  body: string,
  attributes?: Record<string, unknown>,
): { arn: string; delivered: boolean; error?: string } {
  if (arn.split(':')[2] !== 'sqs')
    return { arn, delivered: false, error: 'the simulator delivers to SQS queues only' };
  return enqueue(ctx, arn, body, attributes, 'AIDALAMBDAASYNCINVOKE')
    ? { arn, delivered: true }
    : { arn, delivered: false, error: `SQS queue ${arn} does not exist` };
}

/**
 * Hands an event to Lambda's asynchronous queue for the function `functionArn` and returns at once
 * with the trace entry; `done` resolves when Lambda is finished with it (retries, destination).
 * `run` is one run of the function (it throws when the function fails).
 */
export function invokeAsync(
  ctx: SimContext,
  functionArn: string,
  payload: unknown,
  run: () => Promise<unknown>,
): { trace: AsyncInvocationTrace; done: Promise<void> } {
  const fn = functionByArn(ctx, functionArn);
  const config = fn?.EventInvokeConfig;
  const retries = config?.MaximumRetryAttempts ?? DEFAULT_RETRIES;
  const maxAgeMs = (config?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
  const queuedAt = ctx.nowMs();
  const trace: AsyncInvocationTrace = {
    requestId: randomUUID(),
    functionArn: fn?.FunctionArn ?? functionArn,
    declared: fn !== undefined,
    at: ctx.now().toISOString(),
    maximumRetryAttempts: retries,
    attempts: 0,
    errors: [],
    outcome: 'running',
  };
  const s = lambdaState(ctx);
  s.trace.push(trace);
  if (s.trace.length > MAX_TRACE) s.trace.splice(0, s.trace.length - MAX_TRACE);

  const done = (async () => {
    let lastError: unknown;
    let condition: AsyncInvocationTrace['condition'];
    for (;;) {
      if (ctx.nowMs() - queuedAt > maxAgeMs) {
        condition = 'EventAgeExceeded';
        break;
      }
      trace.attempts++;
      try {
        await run();
        trace.outcome = 'succeeded';
        return;
      } catch (e) {
        lastError = e;
        trace.errors.push(e instanceof Error ? e.message : String(e));
      }
      if (trace.attempts > retries) {
        condition = 'RetriesExhausted';
        break;
      }
    }
    trace.condition = condition;
    const onFailure = config?.DestinationConfig?.OnFailure?.Destination;
    if (onFailure) {
      const record = {
        version: '1.0',
        timestamp: ctx.now().toISOString(),
        requestContext: {
          requestId: trace.requestId,
          functionArn: `${trace.functionArn}:$LATEST`,
          condition,
          approximateInvokeCount: trace.attempts,
        },
        requestPayload: payload,
        ...(trace.attempts > 0
          ? {
              responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
              responsePayload: errorPayload(lastError),
            }
          : {}),
      };
      trace.outcome = 'on-failure';
      trace.destination = sendTo(ctx, onFailure, JSON.stringify(record));
      return;
    }
    if (fn?.DeadLetterConfig) {
      const message = lastError instanceof Error ? lastError.message : String(lastError ?? condition);
      trace.outcome = 'dead-letter';
      trace.destination = sendTo(ctx, fn.DeadLetterConfig.TargetArn, JSON.stringify(payload), {
        RequestID: { DataType: 'String', StringValue: trace.requestId },
        ErrorCode: { DataType: 'Number', StringValue: '200' },
        ErrorMessage: { DataType: 'String', StringValue: message.slice(0, 1000) },
      });
      return;
    }
    trace.outcome = 'discarded';
  })();
  return { trace, done };
}

/** The asynchronous invocations so far, oldest first (the last 5,000). */
export function asyncInvocations(ctx: SimContext): AsyncInvocationTrace[] {
  return lambdaState(ctx).trace;
}

const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)$/;

export const lambda: ServiceModule = {
  service: 'lambda',
  protocol: 'rest-json',
  throttlingCode: 'TooManyRequestsException',
  eventSource: 'lambda.amazonaws.com',
  actions: {
    CreateFunction: createFunction,
    GetFunction: getFunction,
    ListFunctions: listFunctions,
    DeleteFunction: deleteFunction,
    PutFunctionEventInvokeConfig: putInvokeConfig(true),
    UpdateFunctionEventInvokeConfig: putInvokeConfig(false),
    GetFunctionEventInvokeConfig: getInvokeConfig,
    DeleteFunctionEventInvokeConfig: deleteInvokeConfig,
  },
  route: (method, path): { action: string; pathParams: Record<string, string> } | undefined => {
    const m = method.toUpperCase();
    if (/^\/2015-03-31\/functions\/?$/.test(path)) {
      if (m === 'POST') return { action: 'CreateFunction', pathParams: {} };
      if (m === 'GET') return { action: 'ListFunctions', pathParams: {} };
      return undefined;
    }
    const cfg = /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/.exec(path);
    if (cfg) {
      const action = {
        PUT: 'PutFunctionEventInvokeConfig',
        POST: 'UpdateFunctionEventInvokeConfig',
        GET: 'GetFunctionEventInvokeConfig',
        DELETE: 'DeleteFunctionEventInvokeConfig',
      }[m];
      return action ? { action, pathParams: { FunctionName: cfg[1]! } } : undefined;
    }
    const fn = FUNCTION_PATH.exec(path);
    if (fn) {
      const action = { GET: 'GetFunction', DELETE: 'DeleteFunction' }[m];
      return action ? { action, pathParams: { FunctionName: fn[1]! } } : undefined;
    }
    return undefined;
  },
  // Lambda's CloudTrail event names carry API versions (CreateFunction20150331, …), which the
  // simulator's recorder does not model: not recorded.
  management: () => undefined,
  control: {
    'GET /_sim/lambda/invocations': (ctx) => ({ invocations: asyncInvocations(ctx) }),
  },
};
