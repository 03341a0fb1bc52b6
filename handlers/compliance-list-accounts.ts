/** Step 1 of the compliance workflow: the organization's accounts → `runs/<runId>/accounts.json`. */
import { listAccountsStep } from '../src/report/workflow';
import { logger, runtime } from './compliance-runtime';

export async function handler(event: { runId: string }) {
  const { aws, store, cfg } = runtime();
  logger.appendKeys({ runId: event.runId });
  try {
    const out = await listAccountsStep(aws, store, {
      runId: event.runId,
      include: cfg.include,
      skip: cfg.skip,
    });
    logger.info('accounts listed', { accounts: out.accounts, apiCalls: aws.calls.total });
    return out;
  } finally {
    aws.destroy();
  }
}
