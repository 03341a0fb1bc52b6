/**
 * The response workflow's "needs manual action" step (`src/pipeline/manual-action.ts`): releases
 * the dispatch gate this execution holds, marks the finding (when one was raised) through the
 * findings role in the incident's account, and returns the SOC notification the workflow publishes.
 * Each part is attempted on its own and reported; the step itself fails only on a Lambda error.
 */
import { updateFinding } from '../src/pipeline/finding';
import {
  errorText,
  type FindingMark,
  type ManualActionEvent,
  manualActionMessage,
  manualFindingUpdate,
  releaseGate,
} from '../src/pipeline/manual-action';
import { approvalStore } from './lib/approvals';
import { responderAws } from './lib/aws';
import { dynamo } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

/**
 * When an analyst decided on the approval page, the page waits for the workflow's report: a run
 * stopping before its closing step reports here instead (best effort, as the closing step does).
 */
async function tellApprovalPage(event: ManualActionEvent): Promise<void> {
  const approvalId = event.state?.approval?.approvalId;
  if (event.announced || typeof approvalId !== 'string' || !process.env['BKS_APPROVAL_TABLE']) return;
  try {
    await approvalStore().recordResult(approvalId, {
      stage: 'manual-action',
      note: manualFindingUpdate(event).note,
      actions: event.state?.revocation?.actions ?? [],
      verified: false,
      manualAction: true,
      at: new Date().toISOString(),
    });
  } catch (err) {
    logger.warn('the approval page could not be told the outcome', { error: (err as Error).name });
  }
}

export async function handler(event: ManualActionEvent) {
  begin('manual-action', event.state?.incident?.incidentId ?? event.execution);
  const gate = await releaseGate(dynamo(), env('BKS_COUNTER_TABLE'), event.input, event.execution);
  let finding: FindingMark = 'no-finding';
  const ref = event.state?.finding;
  const incident = event.state?.incident;
  if (event.announced) finding = 'marked-by-close';
  else if (ref?.id && incident) {
    try {
      const aws = await responderAws(incident.account);
      const update = manualFindingUpdate(event);
      await updateFinding(aws.securityhub(ref.region), ref, { ...update, subject: '', message: '' });
      finding = 'updated';
    } catch (err) {
      finding = `failed: ${errorText(err)}`;
    }
  }
  await tellApprovalPage(event);
  logger.warn('manual action required', { step: event.step, gate, finding });
  return { ...manualActionMessage(event, gate, finding), gate, finding };
}
