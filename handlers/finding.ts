/**
 * Workflow steps 3 and 7: `import` raises or updates the incident's Security Hub finding;
 * `close` sets its workflow status and a note saying what was decided, by whom and what was done,
 * and returns the SOC notification text; when an analyst decided on the approval page, the same
 * note and what was done go to the approval request, for the page shown after the decision.
 */

import { type FindingRef, importFinding, incidentFinding, updateFinding } from '../src/pipeline/finding';
import type { ClosingState, EnrichmentSummary } from '../src/pipeline/finding-content';
import { closingUpdate } from '../src/pipeline/finding-content';
import type { Incident } from '../src/pipeline/incident';
import { approvalStore } from './lib/approvals';
import { responderAws } from './lib/aws';
import { begin, env, logger } from './lib/runtime';

type ImportEvent = {
  action: 'import';
  incident: Incident;
  enrichment?: EnrichmentSummary | { Error: string };
};
type CloseEvent = { action: 'close'; state: ClosingState & { finding: FindingRef } };

export async function handler(event: ImportEvent | CloseEvent) {
  if (event.action === 'import') {
    begin('finding', event.incident.incidentId);
    const enrichment = event.enrichment && 'status' in event.enrichment ? event.enrichment : undefined;
    const finding = incidentFinding(event.incident, enrichment, env('BKS_HOME_REGION'));
    const aws = await responderAws(event.incident.account);
    const ref = await importFinding(aws.securityhub(finding.Region), finding);
    logger.info('finding imported', { findingId: ref.id, severity: finding.Severity.Label });
    return ref;
  }
  const { state } = event;
  begin('finding', state.incident.incidentId);
  const update = closingUpdate(state);
  const aws = await responderAws(state.incident.account);
  await updateFinding(aws.securityhub(state.finding.region), state.finding, update);
  logger.info('finding closed', {
    findingId: state.finding.id,
    stage: state.outcome.stage,
    status: update.workflowStatus,
  });
  const approvalId = state.approval?.approvalId;
  if (approvalId && process.env['BKS_APPROVAL_TABLE']) {
    // Best effort: the finding is the record of truth; the page then keeps saying "acting on it".
    try {
      await approvalStore().recordResult(approvalId, {
        stage: state.outcome.stage,
        note: update.note,
        actions: state.revocation?.actions ?? [],
        verified: state.revocation?.verified === true,
        manualAction: update.note.startsWith('MANUAL ACTION REQUIRED'),
        at: new Date().toISOString(),
      });
    } catch (err) {
      logger.warn('the approval page could not be told the outcome', { error: (err as Error).name });
    }
  }
  return update;
}
