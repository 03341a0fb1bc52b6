/** Security Hub custom actions "Approve revoke" / "Reject" → resume the waiting workflow. */
import { type CustomActionEvent, handleCustomAction } from '../src/pipeline/approval';
import { approvalStore, resume } from './lib/approvals';
import { begin, env, logger } from './lib/runtime';

export async function handler(event: CustomActionEvent) {
  begin('custom-action', event.id);
  const results = await handleCustomAction(event, {
    store: approvalStore(),
    resume,
    now: () => new Date(),
    approveActionArn: env('BKS_APPROVE_ACTION_ARN'),
    rejectActionArn: env('BKS_REJECT_ACTION_ARN'),
  });
  logger.info('custom action handled', { results });
  return results;
}
