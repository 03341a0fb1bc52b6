/**
 * Workflow steps 3 and 7: `import` raises or updates the incident's Security Hub finding;
 * `close` sets its workflow status and a note saying what was decided, by whom and what was done,
 * and returns the SOC notification text; when an analyst decided on the approval page, the same
 * note and what was done go to the approval request, for the page shown after the decision.
 */

import { severityRank } from '../src/findings/severity';
import { DynamoIncidentTable } from '../src/pipeline/dispatch';
import {
  type FindingRef,
  importFinding,
  incidentFinding,
  incidentSubject,
  updateFinding,
} from '../src/pipeline/finding';
import type { ClosingState, EnrichmentSummary } from '../src/pipeline/finding-content';
import { closingUpdate } from '../src/pipeline/finding-content';
import type { Incident } from '../src/pipeline/incident';
import { approvalStore } from './lib/approvals';
import { responderAws } from './lib/aws';
import { dynamo } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

type ImportEvent = {
  action: 'import';
  incident: Incident;
  enrichment?: EnrichmentSummary | { Error: string };
};
type CloseEvent = { action: 'close'; state: ClosingState & { finding: FindingRef } };

/**
 * The incident at the severity its record says now: a more severe signal that arrived before this
 * step (the dispatcher found no finding to raise yet) is not lost. Without the counter table (a
 * workflow started by hand) or a record, the incident as detected.
 */
async function atRecordedSeverity(incident: Incident): Promise<Incident> {
  const table = process.env['BKS_COUNTER_TABLE'];
  if (!table) return incident;
  let state: Awaited<ReturnType<DynamoIncidentTable['read']>>;
  try {
    state = await new DynamoIncidentTable(dynamo(), table).read(
      `${incident.account}|${incidentSubject(incident)}`,
    );
  } catch (err) {
    // The finding matters more than its escalation: raise it at the detected severity, and say so.
    logger.warn('the incident record could not be read: finding at the detected severity', {
      error: (err as Error).name,
    });
    return incident;
  }
  return state && severityRank(state.severity) > severityRank(incident.severity)
    ? { ...incident, severity: state.severity }
    : incident;
}

export async function handler(event: ImportEvent | CloseEvent) {
  if (event.action === 'import') {
    begin('finding', event.incident.incidentId);
    const enrichment = event.enrichment && 'status' in event.enrichment ? event.enrichment : undefined;
    const finding = incidentFinding(
      await atRecordedSeverity(event.incident),
      enrichment,
      env('BKS_HOME_REGION'),
    );
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
