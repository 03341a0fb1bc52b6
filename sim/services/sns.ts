/**
 * Amazon SNS, minimal (query protocol): Publish to a topic ARN of the caller's own account and
 * partition; every message is kept (`snsMessages`) so tests can read what was sent. Topics need
 * not be created first (no CreateTopic): a topic of another account answers AuthorizationError.
 */
import { randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError } from '../core';
import { pReq, pStr } from '../protocols';

export interface SnsMessage {
  topicArn: string;
  subject?: string;
  message: string;
  messageId: string;
  account: string;
  at: string;
}

export function snsMessages(ctx: SimContext): SnsMessage[] {
  let list = ctx.scratch.get('sns:messages') as SnsMessage[] | undefined;
  if (!list) {
    list = [];
    ctx.scratch.set('sns:messages', list);
  }
  return list;
}

export const sns: ServiceModule = {
  service: 'sns',
  control: {
    // What an email subscriber of each topic would have received, oldest first.
    'GET /_sim/notifications': (ctx) =>
      snsMessages(ctx).map((m) => ({
        topicArn: m.topicArn,
        ...(m.subject !== undefined ? { subject: m.subject } : {}),
        message: m.message,
        at: m.at,
      })),
  },
  protocol: 'query',
  xmlNamespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
  throttlingCode: 'Throttling',
  eventSource: 'sns.amazonaws.com',
  actions: {
    Publish(ctx, req) {
      const topicArn = pReq(req.params, 'TopicArn', 'InvalidParameter');
      const message = pReq(req.params, 'Message', 'InvalidParameter');
      const m = /^arn:([\w-]+):sns:([\w-]+):(\d{12}):[\w-]{1,256}$/.exec(topicArn);
      if (!m) throw new SimError('InvalidParameter', 'Invalid parameter: TopicArn', 400);
      if (m[1] !== ctx.state.partition || m[3] !== req.caller.account) {
        throw new SimError(
          'AuthorizationError',
          `User: ${req.caller.arn} is not authorized to perform: SNS:Publish on resource: ${topicArn}`,
          403,
        );
      }
      const subject = pStr(req.params, 'Subject');
      if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject))) {
        throw new SimError('InvalidParameter', 'Invalid parameter: Subject', 400);
      }
      if (Buffer.byteLength(message) > 262_144)
        throw new SimError('InvalidParameter', 'Invalid parameter: Message too long', 400);
      const messageId = randomUUID();
      snsMessages(ctx).push({
        topicArn,
        ...(subject ? { subject } : {}),
        message,
        messageId,
        account: req.caller.account,
        at: ctx.nowIso(),
      });
      return { MessageId: messageId };
    },
  },
};
