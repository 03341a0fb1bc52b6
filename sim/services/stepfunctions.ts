/**
 * Step Functions (JSON 1.0, `AWSStepFunctions.*`): SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat, each recorded in the state's `taskTokens` (what `/_sim/task-tokens` returns).
 *
 * Token checks: a token that is not printable text answers `InvalidToken`. When tests registered
 * tokens (`registerTaskTokens`, the control API), only those exist: any other answers
 * `TaskDoesNotExist`, and a token whose task already got its success or failure answers
 * `TaskTimedOut` (AWS: "Provided task does not exist anymore"). With no token registered the
 * simulator accepts every well-formed token (a workflow run elsewhere can report to it).
 */
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';

interface TokenState {
  open: boolean;
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
  for (const t of tokens) map.set(t, { open: true });
}

const TOKEN_RE = /^[\x21-\x7e]{1,2048}$/;

function checkToken(ctx: SimContext, token: unknown, closes: boolean): string {
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) {
    throw new SimError('InvalidToken', 'Invalid token', 400);
  }
  const map = registry(ctx);
  if (map.size === 0) return token;
  const state = map.get(token);
  if (!state) throw new SimError('TaskDoesNotExist', 'Task does not exist', 400);
  if (!state.open)
    throw new SimError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore', 400);
  if (closes) state.open = false;
  return token;
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
  const token = checkToken(ctx, taskToken, true);
  recordCall(ctx, req, { taskToken: token, output });
  return {};
}

function sendTaskFailure(ctx: SimContext, req: SimRequest): unknown {
  const { taskToken, error, cause } = req.params;
  const token = checkToken(ctx, taskToken, true);
  recordCall(ctx, req, {
    taskToken: token,
    ...(error !== undefined ? { error } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
  return {};
}

function sendTaskHeartbeat(ctx: SimContext, req: SimRequest): unknown {
  const token = checkToken(ctx, req.params.taskToken, false);
  recordCall(ctx, req, { taskToken: token });
  return {};
}

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
  },
  // CloudTrail logs the SendTask* calls as data events: nothing for LookupEvents.
  management: () => undefined,
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
