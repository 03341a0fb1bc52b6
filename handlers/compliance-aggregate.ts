/** Step 3: every account result → the report (HTML + JSON) in S3, SNS summary, Security Hub. */
import { aggregateStep, type MapFailure } from '../src/report/workflow';
import { logger, runtime } from './compliance-runtime';

/** `workflow`: the workflow state (`$`), whose `mapError` is set when the map's Catch led here. */
export async function handler(event: { runId: string; workflow?: { mapError?: MapFailure } }) {
  const { aws, store, cfg } = runtime();
  logger.appendKeys({ runId: event.runId });
  try {
    const out = await aggregateStep(aws, store, {
      runId: event.runId,
      ...(event.workflow?.mapError ? { mapFailure: event.workflow.mapError } : {}),
      services: cfg.services,
      maxAgeDays: cfg.maxAgeDays,
      topicArn: cfg.topicArn,
      linkTtlSeconds: cfg.linkTtlSeconds,
      securityHub: cfg.securityHub,
    });
    // The presigned link is a bearer credential for the report: it goes to SNS only, never to the
    // logs or to the execution history (the state's output).
    const { link: _link, ...logged } = out;
    logger.info('report written', { ...logged, apiCalls: aws.calls.total });
    return logged;
  } finally {
    aws.destroy();
  }
}
