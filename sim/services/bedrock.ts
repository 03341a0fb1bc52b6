/**
 * The Bedrock runtime (REST, SigV4 scope `bedrock`): `POST /model/{modelId}/invoke` and
 * `/model/{modelId}/converse` (and their streaming forms `invoke-with-response-stream` and
 * `converse-stream`, answered as AWS event streams), authenticated by SigV4 or `Authorization: Bearer <API key>`
 * (see ../bearer.ts). Answers a small canned model response in the model family's shape, and logs
 * every call as a management event; bearer calls carry `additionalEventData.callWithBearerToken`.
 *
 * Region: SigV4 calls name it in their scope and short-term keys inside the key. A long-term key
 * carries none, and a client pointed at `AWS_ENDPOINT_URL` sends no region, so the sim takes it from
 * the `X-Bks-Sim-Region` header, else a `bedrock-runtime.<region>.` Host, else `us-east-1`.
 */
import { callerPrincipal, authorize as iamAuthorize } from '../authz';
import { authorizeBearer } from '../bearer';
import { RawResponse, type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { inRegion } from '../detection';
import { eventMessage } from '../eventstream';

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

function headerValue(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearerRegion(req: SimRequest, keyRegion?: string): string {
  const explicit = headerValue(req, 'x-bks-sim-region');
  if (explicit && REGION_RE.test(explicit)) return explicit;
  if (keyRegion && REGION_RE.test(keyRegion)) return keyRegion;
  const host = headerValue(req, 'host') ?? '';
  const m = /bedrock-runtime[.-]((?:[a-z]{2})(?:-[a-z]+)+-\d)\./.exec(host);
  if (m) return m[1] as string;
  return 'us-east-1';
}

/** The resource ARN IAM evaluates for a model id. */
function modelArn(ctx: SimContext, region: string, account: string, modelId: string): string {
  if (modelId.startsWith('arn:')) return modelId;
  const p = ctx.state.partition;
  if (/^(us|eu|apac|jp|au|ca|us-gov|global)\./.test(modelId)) {
    return `arn:${p}:bedrock:${region}:${account}:inference-profile/${modelId}`;
  }
  return `arn:${p}:bedrock:${region}::foundation-model/${modelId}`;
}

/** Whether the SigV4 caller's policies allow the action on the model (sim/authz.ts); AWS's refusal text if not. */
async function sigv4Denied(
  ctx: SimContext,
  req: SimRequest,
  action: string,
  resource: string,
): Promise<string | undefined> {
  const d = await iamAuthorize(ctx, {
    principal: callerPrincipal(ctx, req.caller),
    action,
    resource,
    region: req.region,
    time: req.time,
    sourceIp: req.sourceIp,
  });
  return d.allowed
    ? undefined
    : `User: ${req.caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${d.why}`;
}

function tokenCounts(body: string): { input: number; output: number } {
  return { input: Math.max(1, Math.ceil(body.length / 4)), output: 12 };
}

const CANNED_TEXT = 'Hello from bks-sim. This is a canned model response.';

/** The canned answer in the Messages shape that Converse and Amazon Nova's InvokeModel body share. */
function messagesOutput(counts: { input: number; output: number }) {
  return {
    output: { message: { role: 'assistant', content: [{ text: CANNED_TEXT }] } },
    stopReason: 'end_turn',
    usage: {
      inputTokens: counts.input,
      outputTokens: counts.output,
      totalTokens: counts.input + counts.output,
    },
  };
}

function invokeBody(modelId: string, counts: { input: number; output: number }, requestId: string): unknown {
  if (/anthropic\.|claude/i.test(modelId)) {
    return {
      id: `msg_bdrk_${requestId.replace(/-/g, '').slice(0, 24)}`,
      type: 'message',
      role: 'assistant',
      model: modelId.replace(/^.*anthropic\./, ''),
      content: [{ type: 'text', text: CANNED_TEXT }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: counts.input, output_tokens: counts.output },
    };
  }
  if (/amazon\.nova/i.test(modelId)) {
    return messagesOutput(counts);
  }
  return {
    inputTextTokenCount: counts.input,
    results: [{ tokenCount: counts.output, outputText: CANNED_TEXT, completionReason: 'FINISH' }],
  };
}

/**
 * Authenticates and authorizes the call (IAM action `bedrock:InvokeModel`, or
 * `bedrock:InvokeModelWithResponseStream` for the streaming operations); sets the CloudTrail
 * hints. Throws AccessDeniedException.
 */
async function authorize(
  ctx: SimContext,
  req: SimRequest,
  modelId: string,
  action = 'bedrock:InvokeModel',
): Promise<void> {
  if (req.bearer === undefined) {
    const resource = modelArn(ctx, req.region, req.caller.account, modelId);
    const denied = await sigv4Denied(ctx, req, action, resource);
    req.trail = { ...req.trail, requestParameters: { modelId }, responseElements: null };
    if (denied) throw new SimError('AccessDeniedException', denied, 403);
    return;
  }
  // Bearer: the region and account come from the key.
  const decision = await authorizeBearer(
    ctx,
    req.bearer,
    [action],
    (account, keyRegion) => modelArn(ctx, bearerRegion(req, keyRegion), account, modelId),
    'bedrock',
    (keyRegion) => bearerRegion(req, keyRegion),
  );
  req.region = bearerRegion(req, decision.keyRegion);
  if (decision.account && decision.userIdentity) {
    req.trail = {
      ...req.trail,
      userIdentity: decision.userIdentity,
      recipientAccountId: decision.account,
      requestParameters: { modelId },
      responseElements: null,
      additionalEventData: { callWithBearerToken: true },
    };
  } else {
    // Nothing to attribute the call to: AWS cannot log it in any account either.
    req.trail = { ...req.trail, skip: true };
  }
  if (!decision.ok) throw new SimError('AccessDeniedException', decision.reason, 403);
}

function modelIdOf(req: SimRequest): string {
  const id = req.pathParams.modelId ?? '';
  if (!id || id.length > 2048)
    throw new SimError('ValidationException', 'The provided model identifier is invalid.', 400);
  return id;
}

async function invokeModel(ctx: SimContext, req: SimRequest): Promise<unknown> {
  const modelId = modelIdOf(req);
  await authorize(ctx, req, modelId);
  if (req.rawBody) {
    try {
      JSON.parse(req.rawBody);
    } catch {
      throw new SimError(
        'ValidationException',
        'Malformed input request, please reformat your input and try again.',
        400,
      );
    }
  }
  const counts = tokenCounts(req.rawBody);
  return new RawResponse(200, JSON.stringify(invokeBody(modelId, counts, req.requestId)), {
    'content-type': 'application/json',
    'x-amzn-bedrock-input-token-count': String(counts.input),
    'x-amzn-bedrock-output-token-count': String(counts.output),
    'x-amzn-bedrock-invocation-latency': '42',
  });
}

async function converse(ctx: SimContext, req: SimRequest): Promise<unknown> {
  const modelId = modelIdOf(req);
  await authorize(ctx, req, modelId);
  const messages = req.params.messages;
  if (messages !== undefined && !Array.isArray(messages)) {
    throw new SimError('ValidationException', 'messages must be a list.', 400);
  }
  const counts = tokenCounts(req.rawBody);
  return { ...messagesOutput(counts), metrics: { latencyMs: 42 } };
}

const STREAM_ACTION = 'bedrock:InvokeModelWithResponseStream';

/** The text of the canned answer in two deltas, as a model streams it. */
const DELTAS = [CANNED_TEXT.slice(0, 18), CANNED_TEXT.slice(18)];

function streamResponse(messages: Buffer[]): RawResponse {
  return new RawResponse(200, Buffer.concat(messages), {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-bedrock-content-type': 'application/json',
  });
}

function chunk(body: unknown): Buffer {
  return eventMessage('chunk', { bytes: Buffer.from(JSON.stringify(body)).toString('base64') });
}

async function invokeModelWithResponseStream(ctx: SimContext, req: SimRequest): Promise<unknown> {
  const modelId = modelIdOf(req);
  await authorize(ctx, req, modelId, STREAM_ACTION);
  const counts = tokenCounts(req.rawBody);
  if (!/anthropic\.|claude/i.test(modelId))
    return streamResponse([chunk(invokeBody(modelId, counts, req.requestId))]);
  const message = invokeBody(modelId, counts, req.requestId) as Record<string, unknown>;
  return streamResponse([
    chunk({
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { input_tokens: counts.input, output_tokens: 1 },
      },
    }),
    chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...DELTAS.map((text) =>
      chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    ),
    chunk({ type: 'content_block_stop', index: 0 }),
    chunk({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: counts.output },
    }),
    chunk({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: counts.input,
        outputTokenCount: counts.output,
        invocationLatency: 42,
        firstByteLatency: 20,
      },
    }),
  ]);
}

async function converseStream(ctx: SimContext, req: SimRequest): Promise<unknown> {
  const modelId = modelIdOf(req);
  await authorize(ctx, req, modelId, STREAM_ACTION);
  const counts = tokenCounts(req.rawBody);
  return streamResponse([
    eventMessage('messageStart', { role: 'assistant' }),
    ...DELTAS.map((text) => eventMessage('contentBlockDelta', { delta: { text }, contentBlockIndex: 0 })),
    eventMessage('contentBlockStop', { contentBlockIndex: 0 }),
    eventMessage('messageStop', { stopReason: 'end_turn' }),
    eventMessage('metadata', {
      usage: {
        inputTokens: counts.input,
        outputTokens: counts.output,
        totalTokens: counts.input + counts.output,
      },
      metrics: { latencyMs: 42 },
    }),
  ]);
}

/**
 * Control plane: GetModelInvocationLoggingConfiguration answers the account's `bedrockLogging` in
 * the regions it holds in; elsewhere (and without it) an empty answer, as for an account that never
 * configured logging.
 */
function getLoggingConfiguration(ctx: SimContext, req: SimRequest): unknown {
  const account = ctx.account(req.caller.account);
  const config = account.bedrockLogging;
  if (!config || !inRegion(config, account.regions, req.region)) return {};
  const { regions: _r, ...loggingConfig } = config;
  return { loggingConfig };
}

const ROUTE_RE = /^\/model\/([^/]+)\/(invoke|converse|invoke-with-response-stream|converse-stream)$/;
const ACTIONS: Record<string, string> = {
  invoke: 'InvokeModel',
  converse: 'Converse',
  'invoke-with-response-stream': 'InvokeModelWithResponseStream',
  'converse-stream': 'ConverseStream',
};

export const bedrock: ServiceModule = {
  service: 'bedrock',
  protocol: 'rest-json',
  throttlingCode: 'ThrottlingException',
  eventSource: 'bedrock.amazonaws.com',
  actions: {
    InvokeModel: invokeModel,
    Converse: converse,
    InvokeModelWithResponseStream: invokeModelWithResponseStream,
    ConverseStream: converseStream,
    GetModelInvocationLoggingConfiguration: getLoggingConfiguration,
  },
  route: (method, path) => {
    // The control plane (`bedrock.<region>.amazonaws.com`) signs with the same scope: route by path.
    if (method.toUpperCase() === 'GET' && path === '/logging/modelinvocations') {
      return { action: 'GetModelInvocationLoggingConfiguration', pathParams: {} as Record<string, string> };
    }
    if (method.toUpperCase() !== 'POST') return undefined;
    const m = ROUTE_RE.exec(path);
    if (!m) return undefined;
    let modelId: string;
    try {
      modelId = decodeURIComponent(m[1] as string);
    } catch {
      return undefined;
    }
    return { action: ACTIONS[m[2] as string] as string, pathParams: { modelId } };
  },
  // Control-plane reads are not recorded (as for the other services of the simulator).
  management: (action) =>
    action === 'GetModelInvocationLoggingConfiguration' ? undefined : { readOnly: true },
};
