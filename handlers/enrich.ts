/** Workflow step 2: timeline (bounded window and time budget) and IAM state of the incident's principal. */
import type { Incident } from '../src/pipeline/incident';
import { enrichIncident } from '../src/pipeline/respond';
import { responderAws } from './lib/aws';
import { begin, env, logger } from './lib/runtime';

export async function handler(event: { incident: Incident }) {
  begin('enrich', event.incident.incidentId);
  const aws = await responderAws(event.incident.account);
  const summary = await enrichIncident(aws, event.incident, {
    regions: env('BKS_REGIONS').split(','),
    hours: Number(process.env['BKS_TIMELINE_HOURS'] ?? 24),
    budgetMs: Number(process.env['BKS_ENRICH_BUDGET_MS'] ?? 60_000),
  });
  logger.info('enriched', {
    status: summary.status,
    events: summary.timeline?.events,
    errors: summary.errors,
  });
  return summary;
}
