/**
 * Invoked by the workflow's `.waitForTaskToken` task: stores the token under a random id (TTL) and
 * notifies the SOC with a signed link. Its return value is ignored; the workflow waits for the
 * analyst's decision (SendTaskSuccess from the approval endpoint or the custom-action handler).
 * A run whose incident already has a request ends its own task at once as a duplicate
 * (SendTaskSuccess with `duplicateOf`): one incident, one request, one decision.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { type RequestApprovalInput, requestApproval } from '../src/pipeline/approval';
import { approvalStore } from './lib/approvals';
import { sfn, sns } from './lib/clients';
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
    endDuplicate: async (taskToken, output) => {
      await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
  });
  if (out.duplicate) {
    logger.info('duplicate run: the incident already has an approval request', {
      approvalId: out.approvalId,
    });
  } else {
    logger.info('approval requested', { approvalId: out.approvalId, expiresAt: out.expiresAt });
  }
  return out;
}
