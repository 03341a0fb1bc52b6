/** Workflow step 4: the response policy (from `BKS_POLICY`) applied to the incident. */
import type { Incident } from '../src/pipeline/incident';
import { decide, parsePolicy } from '../src/pipeline/policy';
import { begin, logger } from './lib/runtime';

export async function handler(event: { incident: Incident }) {
  begin('decide', event.incident?.incidentId);
  const decision = decide(event.incident, parsePolicy(process.env['BKS_POLICY']));
  logger.info('decided', { action: decision.action, reason: decision.reason });
  return decision;
}
