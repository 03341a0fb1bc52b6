/**
 * Workflow step 4: the response policy (from `BKS_POLICY`) applied to the incident — unless the
 * incident is a recorded `bks selftest` canary (src/pipeline/canary.ts: its run id is in the
 * approval table `BKS_APPROVAL_TABLE`), which the workflow resolves itself without paging anyone or
 * revoking anything.
 */
import { dynamoCanaryLookup, recognizeCanary } from '../src/pipeline/canary';
import type { Incident } from '../src/pipeline/incident';
import { canaryDecision, decide, parsePolicy } from '../src/pipeline/policy';
import { dynamo } from './lib/clients';
import { begin, logger } from './lib/runtime';

export async function handler(event: { incident: Incident }) {
  begin('decide', event.incident?.incidentId);
  const policy = parsePolicy(process.env['BKS_POLICY']);
  const table = process.env['BKS_APPROVAL_TABLE'];
  const verdict = await recognizeCanary(
    event.incident,
    table ? dynamoCanaryLookup(dynamo(), table) : undefined,
  );
  if (!verdict.canary && verdict.reason !== 'not a canary user name') {
    logger.warn('canary-named user without a valid canary record', { reason: verdict.reason });
  }
  const decision = verdict.canary ? canaryDecision(verdict.record, policy) : decide(event.incident, policy);
  logger.info('decided', { action: decision.action, reason: decision.reason });
  return decision;
}
