/**
 * The approval page's "signals that fired", read when the page renders: every rule of the incident
 * (rule, title, severity, first and last time, count, regions) from the incident's record in the
 * counter table, so a signal that joined the incident after the request was sent — a GuardDuty
 * finding, a second rule, an escalation — is on the page the analyst decides on. When the record
 * cannot be read, or belongs to a later incident on the same key, the page keeps the signal stored
 * with the request and says that the others are UNKNOWN.
 */
import { severityRank } from '../findings/severity';
import type { ApprovalRecord } from './approval';
import type { IncidentTable } from './dispatch';
import { incidentSubject } from './finding';

export async function withIncidentSignals(
  record: ApprovalRecord,
  table: IncidentTable,
): Promise<ApprovalRecord> {
  const inc = record.incident;
  if (!inc) return record;
  const context = { ...record.context };
  try {
    const state = await table.read(`${inc.account}|${incidentSubject(inc)}`);
    if (!state || state.signals.length === 0) {
      context.signalsUnknown = 'the incident record is gone (its window ended): other signals are UNKNOWN';
    } else if (state.openedAt > record.createdAt) {
      context.signalsUnknown =
        'a later incident on this key has replaced this one: its other signals are UNKNOWN';
    } else {
      context.signals = state.signals;
      if (severityRank(state.severity) > severityRank(inc.severity)) context.escalatedTo = state.severity;
      delete context.signalsUnknown;
    }
  } catch (err) {
    context.signalsUnknown = `the incident record could not be read (${(err as Error).name}): other signals are UNKNOWN`;
  }
  return { ...record, context };
}
