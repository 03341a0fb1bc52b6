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
import { responderAws } from './lib/aws';
import { dynamo } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

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
  logger.warn('manual action required', { step: event.step, gate, finding });
  return { ...manualActionMessage(event, gate, finding), gate, finding };
}
