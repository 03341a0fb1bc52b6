/**
 * Amazon SQS (JSON 1.0, `AmazonSQS.*`, the protocol the current SDKs use): CreateQueue,
 * GetQueueUrl, GetQueueAttributes, SetQueueAttributes, ListQueues, DeleteQueue, PurgeQueue,
 * SendMessage, ReceiveMessage, DeleteMessage — enough for dead-letter queues and EventBridge SQS
 * targets. Queues live in the state (`accounts[].sqs.queues[]`, scenario form: `QueueName`,
 * `Region`, `Attributes`, `Messages`), so `/_sim/state` shows what waits in a DLQ.
 *
 * Queue URLs point at the simulator itself (`http://<host>/<account>/<name>`), as local emulators
 * do: the SDK sends requests to a QueueUrl's host, and the simulator must never send a client to
 * AWS. A QueueUrl of the AWS form (`https://sqs.<region>.amazonaws.com/<account>/<name>`) is
 * accepted too. ReceiveMessage answers at once (no long polling).
 */
import { createHash, randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { ScenarioError, type SimAccount } from '../scenario';

export interface SimMessage {
  MessageId: string;
  Body: string;
  MD5OfBody: string;
  /** Epoch milliseconds. */
  SentTimestamp: number;
  ReceiveCount: number;
  /** Epoch milliseconds before which the message is invisible (delay or in flight). */
  VisibleAt: number;
  FirstReceiveTimestamp?: number;
  ReceiptHandle?: string;
  SenderId?: string;
  MessageAttributes?: Record<string, unknown>;
}

export interface SimQueue {
  QueueName: string;
  Region: string;
  Attributes: Record<string, string>;
  Tags: Record<string, string>;
  /** Epoch seconds. */
  CreatedTimestamp: number;
  LastModifiedTimestamp: number;
  Messages: SimMessage[];
}

export interface SimSqs {
  queues: SimQueue[];
}

const SETTABLE = new Set([
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const DEFAULTS: Record<string, string> = {
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

const READABLE = [
  ...SETTABLE,
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

const QUEUE_NAME_RE = /^[\w-]{1,80}(\.fifo)?$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** A queue of the scenario, after the scenario's JSON Schema checked its shape. */
interface ScenarioQueue {
  QueueName: string;
  Region?: string;
  Attributes?: Record<string, unknown>;
  Tags?: Record<string, string>;
  CreatedTimestamp?: number;
  LastModifiedTimestamp?: number;
  Messages?: (Partial<Omit<SimMessage, 'MD5OfBody'>> & { Body: string })[];
}

/** `accounts[i].sqs` in the state's form (shape checked by the scenario's JSON Schema); absent → no queues. */
export function loadSqs(v: unknown, path: string, regions: string[], nowMs: number): SimSqs | undefined {
  if (v === undefined) return undefined;
  const seen = new Set<string>();
  const queues = (v as { queues: ScenarioQueue[] }).queues.map((q, i): SimQueue => {
    const region = q.Region ?? regions[0] ?? 'us-east-1';
    // What a schema cannot say: a queue name is unique in its region.
    const key = `${region}/${q.QueueName}`;
    if (seen.has(key))
      throw new ScenarioError(
        `${path}.queues[${i}].QueueName`,
        `duplicate queue ${q.QueueName} in ${region}`,
      );
    seen.add(key);
    const attributes: Record<string, string> = {};
    for (const [k, val] of Object.entries(q.Attributes ?? {})) {
      attributes[k] = typeof val === 'string' ? val : JSON.stringify(val);
    }
    const created = q.CreatedTimestamp ?? Math.floor(nowMs / 1000);
    const messages = (q.Messages ?? []).map(
      (m): SimMessage => ({
        MessageId: m.MessageId ?? randomUUID(),
        Body: m.Body,
        MD5OfBody: md5(m.Body),
        SentTimestamp: m.SentTimestamp ?? nowMs,
        ReceiveCount: m.ReceiveCount ?? 0,
        VisibleAt: m.VisibleAt ?? 0,
        ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
      }),
    );
    return {
      QueueName: q.QueueName,
      Region: region,
      Attributes: attributes,
      Tags: q.Tags ?? {},
      CreatedTimestamp: created,
      LastModifiedTimestamp: q.LastModifiedTimestamp ?? created,
      Messages: messages,
    };
  });
  return { queues };
}

function sqsOf(account: SimAccount): SimSqs {
  const a = account as SimAccount & { sqs?: SimSqs };
  a.sqs ??= { queues: [] };
  return a.sqs;
}

export function queueArn(ctx: SimContext, account: string, q: SimQueue): string {
  return `arn:${ctx.state.partition}:sqs:${q.Region}:${account}:${q.QueueName}`;
}

/** The queue an ARN names, anywhere in the state. */
export function queueByArn(ctx: SimContext, arn: string): { account: string; queue: SimQueue } | undefined {
  const m = /^arn:[\w-]+:sqs:([a-z0-9-]+):(\d{12}):([\w.-]+)$/.exec(arn);
  if (!m) return undefined;
  const account = ctx.state.accounts.find((a) => a.id === m[2]);
  const queue = account && sqsOf(account).queues.find((q) => q.Region === m[1] && q.QueueName === m[3]);
  return queue ? { account: m[2]!, queue } : undefined;
}

/** Puts a message on a queue (EventBridge targets and dead-letter queues); false when no such queue. */
export function enqueue(
  ctx: SimContext,
  arn: string,
  body: string,
  attributes?: Record<string, unknown>,
  senderId = 'AIDAEVENTBRIDGE',
): boolean {
  const found = queueByArn(ctx, arn);
  if (!found) return false;
  const now = ctx.nowMs();
  found.queue.Messages.push({
    MessageId: randomUUID(),
    Body: body,
    MD5OfBody: md5(body),
    SentTimestamp: now,
    ReceiveCount: 0,
    VisibleAt: now + Number(attr(found.queue, 'DelaySeconds')) * 1000,
    SenderId: senderId,
    ...(attributes ? { MessageAttributes: attributes } : {}),
  });
  return true;
}

function attr(q: SimQueue, name: string): string {
  return q.Attributes[name] ?? DEFAULTS[name] ?? '';
}

function queueUrl(req: SimRequest, account: string, name: string): string {
  const host = String(req.headers.host ?? '127.0.0.1');
  return `http://${host}/${account}/${name}`;
}

const NON_EXISTENT = () =>
  new SimError('QueueDoesNotExist', 'The specified queue does not exist for this wsdl version.', 400);

/** The queue a request's `QueueUrl` names; cross-account access needs the queue's policy. */
function byUrl(ctx: SimContext, req: SimRequest): { account: string; queue: SimQueue } {
  const url = req.params.QueueUrl;
  if (typeof url !== 'string' || url === '') {
    throw new SimError('MissingParameter', 'The request must contain the parameter QueueUrl.', 400);
  }
  let path: string;
  let region = req.region;
  try {
    const u = new URL(url);
    path = u.pathname;
    const m = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(u.hostname);
    if (m) region = m[1]!;
  } catch {
    throw new SimError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 400);
  }
  const m = /^\/(\d{12})\/([\w.-]+)\/?$/.exec(path);
  if (!m) throw new SimError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 400);
  const account = ctx.state.accounts.find((a) => a.id === m[1]);
  const queue = account && sqsOf(account).queues.find((q) => q.Region === region && q.QueueName === m[2]);
  if (!queue) throw NON_EXISTENT();
  if (m[1] !== req.caller.account && !policyAllows(queue, req.caller.account)) {
    throw new SimError('AccessDenied', `Access to the resource ${url} is denied.`, 403);
  }
  return { account: m[1]!, queue };
}

function policyAllows(q: SimQueue, account: string): boolean {
  const text = q.Attributes.Policy;
  if (!text) return false;
  try {
    const doc = JSON.parse(text) as { Statement?: unknown };
    const st = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return st.some((s) => {
      if (!isObj(s) || s.Effect !== 'Allow') return false;
      const p = s.Principal;
      const aws = isObj(p) ? p.AWS : p;
      const list = Array.isArray(aws) ? aws : [aws];
      return list.some(
        (x) => x === '*' || x === account || (typeof x === 'string' && x.includes(`:${account}:`)),
      );
    });
  } catch {
    return false;
  }
}

function visibleCount(q: SimQueue, now: number): { visible: number; inFlight: number; delayed: number } {
  let visible = 0;
  let inFlight = 0;
  let delayed = 0;
  for (const m of q.Messages) {
    if (m.VisibleAt <= now) visible++;
    else if (m.ReceiveCount > 0) inFlight++;
    else delayed++;
  }
  return { visible, inFlight, delayed };
}

function checkAttributes(input: unknown): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (!isObj(input)) throw new SimError('InvalidAttributeName', 'Attributes must be a map', 400);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (!SETTABLE.has(k)) throw new SimError('InvalidAttributeName', `Unknown Attribute ${k}.`, 400);
    if (typeof v !== 'string')
      throw new SimError('InvalidAttributeValue', `Invalid value for the parameter ${k}.`, 400);
    out[k] = v;
  }
  return out;
}

function createQueue(ctx: SimContext, req: SimRequest): unknown {
  const name = req.params.QueueName;
  if (typeof name !== 'string' || !QUEUE_NAME_RE.test(name)) {
    throw new SimError(
      'InvalidParameterValue',
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      400,
    );
  }
  const attributes = checkAttributes(req.params.Attributes);
  const queues = sqsOf(ctx.account(req.caller.account)).queues;
  const existing = queues.find((q) => q.Region === req.region && q.QueueName === name);
  if (existing) {
    for (const [k, v] of Object.entries(attributes)) {
      if (attr(existing, k) !== v) {
        throw new SimError(
          'QueueNameExists',
          `A queue already exists with the same name and a different value for attribute ${k}`,
          400,
        );
      }
    }
    return { QueueUrl: queueUrl(req, req.caller.account, name) };
  }
  const now = Math.floor(ctx.nowMs() / 1000);
  queues.push({
    QueueName: name,
    Region: req.region,
    Attributes: attributes,
    Tags: isObj(req.params.tags) ? (req.params.tags as Record<string, string>) : {},
    CreatedTimestamp: now,
    LastModifiedTimestamp: now,
    Messages: [],
  });
  return { QueueUrl: queueUrl(req, req.caller.account, name) };
}

function getQueueUrl(ctx: SimContext, req: SimRequest): unknown {
  const name = req.params.QueueName;
  if (typeof name !== 'string' || name === '') {
    throw new SimError('MissingParameter', 'The request must contain the parameter QueueName.', 400);
  }
  const owner =
    typeof req.params.QueueOwnerAWSAccountId === 'string'
      ? req.params.QueueOwnerAWSAccountId
      : req.caller.account;
  const account = ctx.state.accounts.find((a) => a.id === owner);
  const queue = account && sqsOf(account).queues.find((q) => q.Region === req.region && q.QueueName === name);
  if (!queue) throw NON_EXISTENT();
  if (owner !== req.caller.account && !policyAllows(queue, req.caller.account)) throw NON_EXISTENT();
  return { QueueUrl: queueUrl(req, owner, name) };
}

function getQueueAttributes(ctx: SimContext, req: SimRequest): unknown {
  const { account, queue } = byUrl(ctx, req);
  const names = req.params.AttributeNames;
  if (names !== undefined && !Array.isArray(names)) {
    throw new SimError('InvalidAttributeName', 'AttributeNames must be a list', 400);
  }
  const wanted = (names ?? []) as string[];
  for (const n of wanted) {
    if (n !== 'All' && !READABLE.includes(n))
      throw new SimError('InvalidAttributeName', `Unknown Attribute ${n}.`, 400);
  }
  const all = wanted.includes('All');
  const counts = visibleCount(queue, ctx.nowMs());
  const values: Record<string, string> = {
    ...DEFAULTS,
    ...queue.Attributes,
    QueueArn: queueArn(ctx, account, queue),
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(queue.CreatedTimestamp),
    LastModifiedTimestamp: String(queue.LastModifiedTimestamp),
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (all || wanted.includes(k)) out[k] = v;
  return Object.keys(out).length === 0 ? {} : { Attributes: out };
}

function setQueueAttributes(ctx: SimContext, req: SimRequest): unknown {
  const { queue } = byUrl(ctx, req);
  Object.assign(queue.Attributes, checkAttributes(req.params.Attributes));
  queue.LastModifiedTimestamp = Math.floor(ctx.nowMs() / 1000);
  return {};
}

function listQueues(ctx: SimContext, req: SimRequest): unknown {
  const prefix = typeof req.params.QueueNamePrefix === 'string' ? req.params.QueueNamePrefix : '';
  const urls = sqsOf(ctx.account(req.caller.account))
    .queues.filter((q) => q.Region === req.region && q.QueueName.startsWith(prefix))
    .map((q) => queueUrl(req, req.caller.account, q.QueueName));
  const max = typeof req.params.MaxResults === 'number' ? req.params.MaxResults : 1000;
  const start = typeof req.params.NextToken === 'string' ? Number(req.params.NextToken) || 0 : 0;
  const page = urls.slice(start, start + max);
  const out: { QueueUrls?: string[]; NextToken?: string } = {};
  if (page.length > 0) out.QueueUrls = page;
  if (typeof req.params.MaxResults === 'number' && start + max < urls.length)
    out.NextToken = String(start + max);
  return out;
}

function deleteQueue(ctx: SimContext, req: SimRequest): unknown {
  const { account, queue } = byUrl(ctx, req);
  const queues = sqsOf(ctx.account(account)).queues;
  queues.splice(queues.indexOf(queue), 1);
  return {};
}

function purgeQueue(ctx: SimContext, req: SimRequest): unknown {
  byUrl(ctx, req).queue.Messages = [];
  return {};
}

function sendMessage(ctx: SimContext, req: SimRequest): unknown {
  const { queue } = byUrl(ctx, req);
  const body = req.params.MessageBody;
  if (typeof body !== 'string' || body === '') {
    throw new SimError('MissingParameter', 'The request must contain the parameter MessageBody.', 400);
  }
  if (Buffer.byteLength(body) > Number(attr(queue, 'MaximumMessageSize'))) {
    throw new SimError(
      'InvalidParameterValue',
      'One or more parameters are invalid. Reason: Message must be shorter than the queue allows.',
      400,
    );
  }
  const delay =
    typeof req.params.DelaySeconds === 'number'
      ? req.params.DelaySeconds
      : Number(attr(queue, 'DelaySeconds'));
  const now = ctx.nowMs();
  const message: SimMessage = {
    MessageId: randomUUID(),
    Body: body,
    MD5OfBody: md5(body),
    SentTimestamp: now,
    ReceiveCount: 0,
    VisibleAt: now + delay * 1000,
    SenderId: req.caller.principalId,
  };
  queue.Messages.push(message);
  return { MessageId: message.MessageId, MD5OfMessageBody: message.MD5OfBody };
}

function receiveMessage(ctx: SimContext, req: SimRequest): unknown {
  const { queue } = byUrl(ctx, req);
  const max = req.params.MaxNumberOfMessages === undefined ? 1 : Number(req.params.MaxNumberOfMessages);
  if (!Number.isInteger(max) || max < 1 || max > 10) {
    throw new SimError(
      'InvalidParameterValue',
      `Value ${String(req.params.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      400,
    );
  }
  const visibility =
    req.params.VisibilityTimeout === undefined
      ? Number(attr(queue, 'VisibilityTimeout'))
      : Number(req.params.VisibilityTimeout);
  const now = ctx.nowMs();
  const wantAll = [
    ...((req.params.AttributeNames as string[] | undefined) ?? []),
    ...((req.params.MessageSystemAttributeNames as string[] | undefined) ?? []),
  ];
  const out = [];
  for (const m of queue.Messages) {
    if (out.length >= max) break;
    if (m.VisibleAt > now) continue;
    m.ReceiveCount++;
    m.FirstReceiveTimestamp ??= now;
    m.VisibleAt = now + visibility * 1000;
    m.ReceiptHandle = Buffer.from(`${m.MessageId}:${m.ReceiveCount}:${randomUUID()}`).toString('base64');
    const attrs: Record<string, string> = {
      SenderId: m.SenderId ?? 'AIDAUNKNOWN',
      SentTimestamp: String(m.SentTimestamp),
      ApproximateReceiveCount: String(m.ReceiveCount),
      ApproximateFirstReceiveTimestamp: String(m.FirstReceiveTimestamp),
    };
    const picked: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs))
      if (wantAll.includes('All') || wantAll.includes(k)) picked[k] = v;
    // Message attributes (dead-letter queues' ERROR_MESSAGE, …) only when asked for, as SQS answers.
    const wantedAttrs = (req.params.MessageAttributeNames as string[] | undefined) ?? [];
    const messageAttrs = Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).filter(
        ([k]) => wantedAttrs.includes('All') || wantedAttrs.includes('.*') || wantedAttrs.includes(k),
      ),
    );
    out.push({
      MessageId: m.MessageId,
      ReceiptHandle: m.ReceiptHandle,
      MD5OfBody: m.MD5OfBody,
      Body: m.Body,
      ...(Object.keys(picked).length > 0 ? { Attributes: picked } : {}),
      ...(Object.keys(messageAttrs).length > 0 ? { MessageAttributes: messageAttrs } : {}),
    });
  }
  return out.length > 0 ? { Messages: out } : {};
}

function deleteMessage(ctx: SimContext, req: SimRequest): unknown {
  const { queue } = byUrl(ctx, req);
  const handle = req.params.ReceiptHandle;
  if (typeof handle !== 'string' || handle === '') {
    throw new SimError('MissingParameter', 'The request must contain the parameter ReceiptHandle.', 400);
  }
  const i = queue.Messages.findIndex((m) => m.ReceiptHandle === handle);
  if (i < 0)
    throw new SimError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
      400,
    );
  queue.Messages.splice(i, 1);
  return {};
}

const READ_ACTIONS = new Set(['GetQueueAttributes', 'GetQueueUrl', 'ListQueues']);
const DATA_ACTIONS = new Set(['SendMessage', 'ReceiveMessage', 'DeleteMessage']);

export const sqs: ServiceModule = {
  service: 'sqs',
  protocol: 'json',
  jsonVersion: '1.0',
  targetPrefix: 'AmazonSQS',
  throttlingCode: 'RequestThrottled',
  eventSource: 'sqs.amazonaws.com',
  actions: {
    CreateQueue: createQueue,
    GetQueueUrl: getQueueUrl,
    GetQueueAttributes: getQueueAttributes,
    SetQueueAttributes: setQueueAttributes,
    ListQueues: listQueues,
    DeleteQueue: deleteQueue,
    PurgeQueue: purgeQueue,
    SendMessage: sendMessage,
    ReceiveMessage: receiveMessage,
    DeleteMessage: deleteMessage,
  },
  // SendMessage, ReceiveMessage and DeleteMessage are data events: not in the event history; reads
  // are not recorded (as for the other services of the simulator).
  management: (action) =>
    DATA_ACTIONS.has(action) || READ_ACTIONS.has(action) ? undefined : { readOnly: false },
};
