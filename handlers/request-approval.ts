/**
 * Invoked by the workflow's `.waitForTaskToken` task: stores the token under a random id (TTL) and
 * notifies the SOC with a signed link. Its return value is ignored; the workflow waits for the
 * analyst's decision (SendTaskSuccess from the approval endpoint or the custom-action handler).
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { type RequestApprovalInput, requestApproval } from '../src/pipeline/approval';
import { approvalStore } from './lib/approvals';
import { sns } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

export async function handler(event: RequestApprovalInput & { approvalTimeoutSeconds?: number }) {
  begin('request-approval', event.incident?.incidentId);
  const maxLink = Number(process.env['BKS_LINK_TTL_SECONDS'] ?? 86_400);
  const linkTtlSeconds = Math.min(maxLink, event.approvalTimeoutSeconds ?? maxLink);
  const topicArn = env('BKS_TOPIC_ARN');
  const out = await requestApproval(event, {
    store: approvalStore(),
    baseUrl: env('BKS_APPROVAL_URL'),
    now: () => new Date(),
    linkTtlSeconds,
    notify: async (Subject, Message) => {
      await sns().send(new PublishCommand({ TopicArn: topicArn, Subject, Message }));
    },
  });
  logger.info('approval requested', { approvalId: out.approvalId, expiresAt: out.expiresAt });
  return out;
}
