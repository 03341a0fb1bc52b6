/**
 * Step Functions (JSON 1.0, `AWSStepFunctions.*`).
 *
 * State machines and executions: CreateStateMachine, DescribeStateMachine, ListStateMachines,
 * DeleteStateMachine, StartExecution, DescribeExecution, ListExecutions, StopExecution. The
 * simulator keeps the definitions and the executions; it does not interpret Amazon States
 * Language itself. Whoever composes the simulator with a workflow engine (the local pipeline)
 * attaches one with `setExecutionEngine`; every StartExecution then runs there and the engine's
 * result becomes the execution's status. Without an engine an execution stays `RUNNING`, which is
 * what DescribeExecution says (never a made-up result).
 *
 * Task tokens: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, each recorded in the
 * state's `taskTokens` (what `/_sim/task-tokens` returns). A token that is not printable text
 * answers `InvalidToken`. When tokens were registered (`registerTaskTokens`, `awaitTaskToken`,
 * the control API), only those exist: any other answers `TaskDoesNotExist`, and a token whose task
 * already got its success or failure, or timed out, answers `TaskTimedOut` (AWS: "Provided task does
 * not exist anymore"). With no token registered the simulator accepts every well-formed token (a
 * workflow run elsewhere can report to it).
 *
 * `awaitTaskToken` is how an engine pauses at `.waitForTaskToken`: it registers the token and
 * returns a promise that the SendTaskSuccess / SendTaskFailure reaching the simulator settles, or
 * that the task's timeout rejects (measured on the simulator's clock, so `POST /_sim/clock` moves
 * an approval past its deadline as waiting would).
 */
import { randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';

/** How a paused task ended. */
export type TaskOutcome =
  | { status: 'success'; output: string }
  | { status: 'failure'; error?: string; cause?: string }
  | { status: 'timeout' };

interface TokenState {
  open: boolean;
  settle?: (outcome: TaskOutcome) => void;
  deadline?: number;
  timer?: ReturnType<typeof setTimeout>;
}

function registry(ctx: SimContext): Map<string, TokenState> {
  let map = ctx.scratch.get('states:tokens') as Map<string, TokenState> | undefined;
  if (!map) {
    map = new Map();
    ctx.scratch.set('states:tokens', map);
  }
  return map;
}

/** Registers task tokens a test considers live (open tasks). */
export function registerTaskTokens(ctx: SimContext, tokens: string[]): void {
  const map = registry(ctx);
  for (const t of tokens) if (!map.has(t)) map.set(t, { open: true });
}

/**
 * Pauses on a task token: the promise settles when SendTaskSuccess or SendTaskFailure for it
 * reaches the simulator, or with `timeout` once the simulator's clock passes `timeoutSeconds`
 * after now (the token then answers `TaskTimedOut`, as AWS's does).
 */
export function awaitTaskToken(
  ctx: SimContext,
  token: string,
  opts: { timeoutSeconds?: number } = {},
): Promise<TaskOutcome> {
  if (!TOKEN_RE.test(token)) throw new Error('task token: not a well-formed token');
  const map = registry(ctx);
  const state: TokenState = map.get(token) ?? { open: true };
  map.set(token, state);
  if (!state.open) return Promise.resolve({ status: 'timeout' });
  return new Promise<TaskOutcome>((resolve) => {
    state.settle = (outcome) => {
      if (state.timer) clearTimeout(state.timer);
      state.settle = undefined;
      state.open = false;
      resolve(outcome);
    };
    if (opts.timeoutSeconds !== undefined) {
      state.deadline = ctx.nowMs() + opts.timeoutSeconds * 1000;
      const check = () => {
        const left = (state.deadline ?? 0) - ctx.nowMs();
        if (left <= 0) state.settle?.({ status: 'timeout' });
        // Re-read the clock at least twice a second: a clock advance ends the wait promptly.
        else state.timer = setTimeout(check, Math.min(left, 500));
      };
      check();
    }
  });
}

/**
 * Shutting down: every running execution is aborted (`ABORTED`, as StopExecution does) and every
 * pending wait on a task token ends, so that no timer outlives the simulator.
 */
export function abortAll(ctx: SimContext): void {
  const m = machines(ctx);
  for (const e of m.executions.values()) {
    if (e.status !== 'RUNNING') continue;
    m.aborts.get(e.executionArn)?.abort();
    finish(ctx, e, { status: 'ABORTED', error: 'States.Aborted', cause: 'the simulator stopped' });
  }
  for (const s of registry(ctx).values()) s.settle?.({ status: 'timeout' });
}

const TOKEN_RE = /^[\x21-\x7e]{1,2048}$/;

function checkToken(ctx: SimContext, token: unknown, closes: boolean): { token: string; state?: TokenState } {
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) {
    throw new SimError('InvalidToken', 'Invalid token', 400);
  }
  const map = registry(ctx);
  if (map.size === 0) return { token };
  const state = map.get(token);
  if (!state) throw new SimError('TaskDoesNotExist', 'Task does not exist', 400);
  if (!state.open)
    throw new SimError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore', 400);
  if (closes) state.open = false;
  return { token, state };
}

function recordCall(ctx: SimContext, req: SimRequest, fields: Record<string, unknown>): void {
  ctx.state.taskTokens.push({
    action: req.action,
    ...fields,
    account: req.caller.account,
    region: req.region,
    time: req.time.toISOString(),
  });
}

function sendTaskSuccess(ctx: SimContext, req: SimRequest): unknown {
  const { taskToken, output } = req.params;
  if (typeof output !== 'string') throw new SimError('InvalidOutput', 'output is required', 400);
  try {
    JSON.parse(output);
  } catch {
    throw new SimError('InvalidOutput', 'Invalid State Machine Output: output is not valid JSON', 400);
  }
  if (output.length > 262144) throw new SimError('InvalidOutput', 'output is larger than 256 KB', 400);
  const { token, state } = checkToken(ctx, taskToken, true);
  recordCall(ctx, req, { taskToken: token, output });
  state?.settle?.({ status: 'success', output });
  return {};
}

function sendTaskFailure(ctx: SimContext, req: SimRequest): unknown {
  const { taskToken, error, cause } = req.params;
  if (error !== undefined && (typeof error !== 'string' || error.length > 256)) {
    throw new SimError('ValidationException', 'error: at most 256 characters', 400);
  }
  if (cause !== undefined && (typeof cause !== 'string' || cause.length > 32768)) {
    throw new SimError('ValidationException', 'cause: at most 32768 characters', 400);
  }
  const { token, state } = checkToken(ctx, taskToken, true);
  recordCall(ctx, req, {
    taskToken: token,
    ...(error !== undefined ? { error } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
  state?.settle?.({
    status: 'failure',
    ...(typeof error === 'string' ? { error } : {}),
    ...(typeof cause === 'string' ? { cause } : {}),
  });
  return {};
}

function sendTaskHeartbeat(ctx: SimContext, req: SimRequest): unknown {
  const { token } = checkToken(ctx, req.params.taskToken, false);
  recordCall(ctx, req, { taskToken: token });
  return {};
}

// ---------------------------------------------------------------------------------------------
// State machines and executions

export interface SimStateMachine {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
  account: string;
  region: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface SimExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** What an engine is handed for each StartExecution. */
export interface ExecutionRequest {
  executionArn: string;
  stateMachine: SimStateMachine;
  name: string;
  input: string;
  /** Aborted by StopExecution. */
  signal: AbortSignal;
}

export type ExecutionResult =
  | { status: 'SUCCEEDED'; output: string }
  | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error?: string; cause?: string };

export type ExecutionEngine = (req: ExecutionRequest) => Promise<ExecutionResult>;

interface Machines {
  machines: Map<string, SimStateMachine>;
  executions: Map<string, SimExecution>;
  aborts: Map<string, AbortController>;
  engine?: ExecutionEngine;
  /** Settled executions, for whoever awaits them (`executionDone`). */
  done: Map<string, Array<(e: SimExecution) => void>>;
}

function machines(ctx: SimContext): Machines {
  let m = ctx.scratch.get('states:machines') as Machines | undefined;
  if (!m) {
    m = { machines: new Map(), executions: new Map(), aborts: new Map(), done: new Map() };
    ctx.scratch.set('states:machines', m);
  }
  return m;
}

/** Attaches the engine that runs every execution started from now on (undefined detaches it). */
export function setExecutionEngine(ctx: SimContext, engine: ExecutionEngine | undefined): void {
  machines(ctx).engine = engine;
}

/** The simulator's executions (newest last). */
export function listExecutions(ctx: SimContext): SimExecution[] {
  return [...machines(ctx).executions.values()];
}

/** Resolves when the execution is no longer RUNNING. */
export function executionDone(ctx: SimContext, executionArn: string): Promise<SimExecution> {
  const m = machines(ctx);
  const e = m.executions.get(executionArn);
  if (!e) return Promise.reject(new Error(`no execution ${executionArn}`));
  if (e.status !== 'RUNNING') return Promise.resolve(e);
  return new Promise((resolve) => {
    const list = m.done.get(executionArn) ?? [];
    list.push(resolve);
    m.done.set(executionArn, list);
  });
}

const NAME_RE = /^[A-Za-z0-9_-]{1,80}$/;
const EXEC_NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$/;

function machineArn(ctx: SimContext, req: SimRequest, name: string): string {
  return `arn:${ctx.state.partition}:states:${req.region}:${req.caller.account}:stateMachine:${name}`;
}

function strParam(req: SimRequest, name: string, required: true): string;
function strParam(req: SimRequest, name: string, required?: false): string | undefined;
function strParam(req: SimRequest, name: string, required = false): string | undefined {
  const v = req.params[name];
  if (v === undefined || v === null) {
    if (required) throw new SimError('ValidationException', `${name}: must not be null`, 400);
    return undefined;
  }
  if (typeof v !== 'string') throw new SimError('ValidationException', `${name}: must be a string`, 400);
  return v;
}

function ownMachine(ctx: SimContext, req: SimRequest, arnParam = 'stateMachineArn'): SimStateMachine {
  const arn = strParam(req, arnParam, true);
  if (!/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(arn)) {
    throw new SimError('InvalidArn', `Invalid Arn: '${arn}'`, 400);
  }
  const sm = machines(ctx).machines.get(arn);
  if (!sm || sm.account !== req.caller.account || sm.region !== req.region) {
    throw new SimError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`, 400);
  }
  return sm;
}

function createStateMachine(ctx: SimContext, req: SimRequest): unknown {
  const name = strParam(req, 'name', true);
  const definition = strParam(req, 'definition', true);
  const roleArn = strParam(req, 'roleArn', true);
  const type = (strParam(req, 'type') ?? 'STANDARD') as SimStateMachine['type'];
  if (!NAME_RE.test(name)) throw new SimError('InvalidName', `Invalid Name: '${name}'`, 400);
  if (type !== 'STANDARD' && type !== 'EXPRESS') {
    throw new SimError('ValidationException', `type: must be STANDARD or EXPRESS`, 400);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    throw new SimError('InvalidDefinition', 'Invalid State Machine Definition: not valid JSON', 400);
  }
  const def = parsed as { StartAt?: unknown; States?: unknown };
  if (
    typeof def !== 'object' ||
    def === null ||
    typeof def.StartAt !== 'string' ||
    typeof def.States !== 'object' ||
    def.States === null ||
    !(def.StartAt in (def.States as object))
  ) {
    throw new SimError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET or SCHEMA_VALIDATION_FAILED'",
      400,
    );
  }
  if (!/^arn:[\w-]+:iam::\d{12}:role\/.+$/.test(roleArn)) {
    throw new SimError('InvalidArn', `Invalid Arn: '${roleArn}'`, 400);
  }
  const arn = machineArn(ctx, req, name);
  const m = machines(ctx);
  const existing = m.machines.get(arn);
  if (existing) {
    // AWS: an identical request is idempotent, a different one is refused.
    if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type) {
      return { stateMachineArn: arn, creationDate: existing.creationDate };
    }
    throw new SimError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`, 400);
  }
  const sm: SimStateMachine = {
    stateMachineArn: arn,
    name,
    definition,
    roleArn,
    type,
    creationDate: ctx.nowMs() / 1000,
    account: req.caller.account,
    region: req.region,
  };
  m.machines.set(arn, sm);
  return { stateMachineArn: arn, creationDate: sm.creationDate };
}

function describeStateMachine(ctx: SimContext, req: SimRequest): unknown {
  const sm = ownMachine(ctx, req);
  return {
    stateMachineArn: sm.stateMachineArn,
    name: sm.name,
    status: 'ACTIVE',
    definition: sm.definition,
    roleArn: sm.roleArn,
    type: sm.type,
    creationDate: sm.creationDate,
  };
}

/** One page of a List* answer: `{ [key]: shaped items, nextToken? }` (maxResults and nextToken as AWS takes them). */
function page<T>(
  req: SimRequest,
  items: T[],
  key: string,
  shape: (item: T) => Record<string, unknown>,
): Record<string, unknown> {
  const max = req.params.maxResults === undefined ? 100 : Number(req.params.maxResults);
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new SimError('ValidationException', 'maxResults: must be 0..1000', 400);
  }
  const size = max === 0 ? 100 : max;
  const token = strParam(req, 'nextToken');
  const start = token === undefined ? 0 : Number.parseInt(Buffer.from(token, 'base64').toString(), 10);
  if (Number.isNaN(start) || start < 0 || start > items.length) {
    throw new SimError('InvalidToken', 'Invalid Token', 400);
  }
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return { [key]: slice.map(shape), ...(next ? { nextToken: next } : {}) };
}

function listStateMachines(ctx: SimContext, req: SimRequest): unknown {
  const own = [...machines(ctx).machines.values()].filter(
    (s) => s.account === req.caller.account && s.region === req.region,
  );
  return page(req, own, 'stateMachines', (s) => ({
    stateMachineArn: s.stateMachineArn,
    name: s.name,
    type: s.type,
    creationDate: s.creationDate,
  }));
}

function deleteStateMachine(ctx: SimContext, req: SimRequest): unknown {
  const arn = strParam(req, 'stateMachineArn', true);
  const m = machines(ctx);
  const sm = m.machines.get(arn);
  // AWS answers success for a machine that is already gone.
  if (sm && sm.account === req.caller.account && sm.region === req.region) m.machines.delete(arn);
  return {};
}

function finish(ctx: SimContext, exec: SimExecution, result: ExecutionResult): void {
  if (exec.status !== 'RUNNING') return;
  exec.status = result.status;
  exec.stopDate = ctx.nowMs() / 1000;
  if (result.status === 'SUCCEEDED') exec.output = result.output;
  else {
    if (result.error !== undefined) exec.error = result.error;
    if (result.cause !== undefined) exec.cause = result.cause;
  }
  const m = machines(ctx);
  m.aborts.delete(exec.executionArn);
  for (const resolve of m.done.get(exec.executionArn) ?? []) resolve(exec);
  m.done.delete(exec.executionArn);
}

function startExecution(ctx: SimContext, req: SimRequest): unknown {
  const sm = ownMachine(ctx, req);
  const name = strParam(req, 'name') ?? randomUUID();
  if (!EXEC_NAME_RE.test(name)) throw new SimError('InvalidName', `Invalid Name: '${name}'`, 400);
  const input = strParam(req, 'input') ?? '{}';
  try {
    JSON.parse(input);
  } catch {
    throw new SimError('InvalidExecutionInput', 'Invalid Execution Input: not valid JSON', 400);
  }
  if (Buffer.byteLength(input) > 262_144) {
    throw new SimError('InvalidExecutionInput', 'Invalid Execution Input: larger than 256 KB', 400);
  }
  const executionArn = sm.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
  const m = machines(ctx);
  const existing = m.executions.get(executionArn);
  if (existing) {
    // AWS (Standard): the same name and input while running answers the same execution.
    if (existing.status === 'RUNNING' && existing.input === input) {
      return { executionArn, startDate: existing.startDate };
    }
    throw new SimError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`, 400);
  }
  const exec: SimExecution = {
    executionArn,
    stateMachineArn: sm.stateMachineArn,
    name,
    status: 'RUNNING',
    startDate: ctx.nowMs() / 1000,
    input,
  };
  m.executions.set(executionArn, exec);
  const engine = m.engine;
  if (engine) {
    const abort = new AbortController();
    m.aborts.set(executionArn, abort);
    // The engine runs after this call answers, as AWS starts executions asynchronously.
    setImmediate(() => {
      engine({ executionArn, stateMachine: sm, name, input, signal: abort.signal }).then(
        (result) => finish(ctx, exec, result),
        (err) =>
          finish(ctx, exec, {
            status: 'FAILED',
            error: 'States.Runtime',
            cause: `the local engine failed: ${(err as Error).message}`,
          }),
      );
    });
  }
  return { executionArn, startDate: exec.startDate };
}

function ownExecution(ctx: SimContext, req: SimRequest): SimExecution {
  const arn = strParam(req, 'executionArn', true);
  if (!/^arn:[\w-]+:states:[\w-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:.{1,80}$/.test(arn)) {
    throw new SimError('InvalidArn', `Invalid Arn: '${arn}'`, 400);
  }
  const e = machines(ctx).executions.get(arn);
  const [, , , region, account] = arn.split(':');
  if (!e || account !== req.caller.account || region !== req.region) {
    throw new SimError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`, 400);
  }
  return e;
}

/** An execution as ListExecutions lists it (DescribeExecution answers these fields and more). */
function executionListItem(e: SimExecution): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
  };
}

function describeExecution(ctx: SimContext, req: SimRequest): unknown {
  const e = ownExecution(ctx, req);
  return {
    ...executionListItem(e),
    input: e.input,
    inputDetails: { included: true },
    ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

function listExecutionsAction(ctx: SimContext, req: SimRequest): unknown {
  const sm = ownMachine(ctx, req);
  const filter = strParam(req, 'statusFilter');
  if (filter !== undefined && !STATUSES.has(filter)) {
    throw new SimError('ValidationException', `statusFilter: must be one of ${[...STATUSES].join(', ')}`);
  }
  const list = [...machines(ctx).executions.values()]
    .filter((e) => e.stateMachineArn === sm.stateMachineArn && (!filter || e.status === filter))
    .reverse();
  return page(req, list, 'executions', executionListItem);
}

function stopExecution(ctx: SimContext, req: SimRequest): unknown {
  const e = ownExecution(ctx, req);
  const error = strParam(req, 'error');
  const cause = strParam(req, 'cause');
  if (e.status === 'RUNNING') {
    machines(ctx).aborts.get(e.executionArn)?.abort();
    finish(ctx, e, {
      status: 'ABORTED',
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
  }
  return { stopDate: e.stopDate ?? ctx.nowMs() / 1000 };
}

const MANAGEMENT: Record<string, { readOnly: boolean }> = {
  CreateStateMachine: { readOnly: false },
  DeleteStateMachine: { readOnly: false },
  DescribeStateMachine: { readOnly: true },
  ListStateMachines: { readOnly: true },
  StartExecution: { readOnly: false },
  StopExecution: { readOnly: false },
  DescribeExecution: { readOnly: true },
  ListExecutions: { readOnly: true },
};

export const states: ServiceModule = {
  service: 'states',
  protocol: 'json',
  jsonVersion: '1.0',
  targetPrefix: 'AWSStepFunctions',
  throttlingCode: 'ThrottlingException',
  eventSource: 'states.amazonaws.com',
  actions: {
    SendTaskSuccess: sendTaskSuccess,
    SendTaskFailure: sendTaskFailure,
    SendTaskHeartbeat: sendTaskHeartbeat,
    CreateStateMachine: createStateMachine,
    DescribeStateMachine: describeStateMachine,
    ListStateMachines: listStateMachines,
    DeleteStateMachine: deleteStateMachine,
    StartExecution: startExecution,
    DescribeExecution: describeExecution,
    ListExecutions: listExecutionsAction,
    StopExecution: stopExecution,
  },
  // CloudTrail logs the SendTask* calls as data events (nothing for LookupEvents); the state machine
  // and execution APIs as management events.
  management: (action) => MANAGEMENT[action],
  control: {
    'POST /_sim/task-tokens': (ctx, input) => {
      const tokens = input.tokens;
      if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string' || !TOKEN_RE.test(t))) {
        throw new SimError('ValidationException', 'tokens: must be an array of task tokens', 400);
      }
      registerTaskTokens(ctx, tokens as string[]);
      return { ok: true, registered: tokens.length };
    },
  },
};
