/** Step 2 (one Distributed Map item): inventory one account with the org role → S3. */
import { scanAccountStep } from '../src/report/workflow';
import { logger, runtime } from './compliance-runtime';

export async function handler(event: { runId: string; accountId: string; name?: string }) {
  const { aws, store, cfg } = runtime();
  logger.appendKeys({ runId: event.runId, accountId: event.accountId });
  try {
    const out = await scanAccountStep(aws, store, {
      runId: event.runId,
      accountId: event.accountId,
      name: event.name,
      orgRole: cfg.orgRole,
      externalId: cfg.externalId,
      services: cfg.services,
      maxAgeDays: cfg.maxAgeDays,
    });
    // An account that could not be read is a result (written to S3, named in the report), not a map failure.
    logger.info('account scanned', { ...out, apiCalls: aws.calls.total });
    return out;
  } finally {
    aws.destroy();
  }
}
