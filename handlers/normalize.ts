/** Workflow step 1: a detection match → Incident, or `MalformedEvent` (not retried; see the ASL). */
import { normalize } from '../src/pipeline/incident';
import { begin, logger } from './lib/runtime';

export async function handler(event: { input: unknown }) {
  const input = event?.input as { event?: { id?: string } } | undefined;
  begin('normalize', input?.event?.id);
  try {
    const incident = normalize(event?.input);
    logger.info('normalized', {
      incidentId: incident.incidentId,
      ruleId: incident.ruleId,
      target: incident.target.kind,
    });
    return incident;
  } catch (err) {
    logger.warn('malformed input', { error: (err as Error).message });
    throw err;
  }
}
