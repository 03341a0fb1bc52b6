/**
 * The response workflow's one "needs manual action" path. Any Task that still fails after its
 * retries (Security Hub off or a role missing in a member account, a Lambda error, a closing step
 * that cannot write) lands here, and the SOC learns about it instead of an execution failing in
 * silence:
 * - the dispatch gate of the incident's rule and key is released (only if this execution holds
 *   it), so the next match on the key starts a new workflow instead of being swallowed for the
 *   rest of the incident window;
 * - the finding, when one was raised, is marked `MANUAL ACTION REQUIRED` with the failed step and
 *   the error (that update may fail too, e.g. with Security Hub off: the message says so);
 * - the notification names the incident, the failed step, the error, what happened so far and what
 *   the two steps above did.
 * Secrets never appear: every text goes through `maskKeys`.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { maskKeys } from '../keys/mask';
import { dispatchKey } from './dispatch';
import type { FindingRef } from './finding';
import { errorLine, type FindingUpdate } from './finding-content';
import { describeTarget, type Incident } from './incident';

/** What the workflow hands the manual-action step. */
export interface ManualActionEvent {
  /** The state that failed (e.g. `RaiseFinding`). */
  step: string;
  /** The error the state's Catch recorded. */
  error?: { Error?: string; Cause?: string };
  /** The workflow state at the time (whatever of incident, finding, decision, outcome exists). */
  state?: {
    incident?: Incident;
    finding?: FindingRef;
    outcome?: { stage?: string };
    revocation?: { actions?: string[]; verified?: boolean };
    decision?: { action?: string };
    /** The analyst's decision, when one was made (its request shows the outcome on the approval page). */
    approval?: { approvalId?: string };
  };
  /** The execution's input (`$$.Execution.Input`): the detection match the gate was opened for. */
  input?: unknown;
  /** The execution's name (`$$.Execution.Name`): the holder the gate records. */
  execution: string;
  /** The execution's ARN, for the message. */
  executionArn?: string;
  /**
   * The closing steps already marked the finding and notified the SOC (a failed revocation or
   * approval request): only the gate is left to release.
   */
  announced?: boolean;
}

/**
 * `released`: this execution held the gate and it is gone; `not-open`: no gate for this rule and
 * key (the run was not started by the dispatcher, or the gate expired); `held-by-another-execution`:
 * left alone; `no-gate`: the input names no rule and key (not a detection match).
 */
export type GateRelease =
  | 'released'
  | 'not-open'
  | 'held-by-another-execution'
  | 'no-gate'
  | `failed: ${string}`;
export type FindingMark = 'updated' | 'no-finding' | 'marked-by-close' | `failed: ${string}`;

export interface ManualActionResult {
  subject: string;
  message: string;
  gate: GateRelease;
  finding: FindingMark;
}

/**
 * Deletes the gate item `open#<rule|account|key>` if this execution holds it (a conditional delete,
 * so a gate another execution took meanwhile is never removed); when the condition fails, one read
 * tells a gate held by another execution from no gate at all. Matches that arrive later start a new
 * workflow.
 */
export async function releaseGate(
  client: DynamoDBClient,
  tableName: string,
  input: unknown,
  execution: string,
): Promise<GateRelease> {
  const key = dispatchKey(input);
  if (!key) return 'no-gate';
  const Key = { pk: { S: `open#${key}` } };
  try {
    await client.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key,
        ConditionExpression: 'execution = :name',
        ExpressionAttributeValues: { ':name': { S: execution } },
      }),
    );
    return 'released';
  } catch (err) {
    if (
      !(err instanceof ConditionalCheckFailedException) &&
      (err as Error).name !== 'ConditionalCheckFailedException'
    )
      return `failed: ${errorText(err)}`;
  }
  try {
    const held = await client.send(new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true }));
    return held.Item ? 'held-by-another-execution' : 'not-open';
  } catch (err) {
    return `failed: ${errorText(err)}`;
  }
}

/** One masked line for an error: its name and the first line of its message. */
export function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return maskKeys(`${e?.name ?? 'Error'}: ${(e?.message ?? String(err)).split('\n')[0]}`);
}

/** The finding's update: still open for an analyst (NOTIFIED), with what failed. */
export function manualFindingUpdate(ev: ManualActionEvent): Pick<FindingUpdate, 'workflowStatus' | 'note'> {
  const so = ev.state?.outcome?.stage ? ` after ${ev.state.outcome.stage}` : '';
  return {
    workflowStatus: 'NOTIFIED',
    note: maskKeys(
      `MANUAL ACTION REQUIRED: the response workflow stopped at ${ev.step}${so} (${errorLine(ev.error)}). ` +
        'Review the key and revoke it by hand (bks revoke-key) if needed.',
    ).slice(0, 512),
  };
}

/** The SOC notification. */
export function manualActionMessage(
  ev: ManualActionEvent,
  gate: GateRelease,
  finding: FindingMark,
): Pick<ManualActionResult, 'subject' | 'message'> {
  const i = ev.state?.incident;
  const what = i ? `${i.ruleId} in ${i.account}` : 'an incident';
  const lines = [
    `MANUAL ACTION REQUIRED: the bks response workflow stopped at ${ev.step}.`,
    `Error: ${errorLine(ev.error)}`,
  ];
  if (i) {
    lines.push(
      `Incident: ${i.incidentId} (${i.severity}) in account ${i.account}, ${i.region}`,
      `Target: ${describeTarget(i.target)}`,
      `Principal: ${i.principal.arn}`,
    );
  } else {
    const raw = ev.input as { ruleId?: unknown; event?: { id?: unknown; account?: unknown } } | undefined;
    lines.push(
      `Incident: not normalized (rule ${String(raw?.ruleId ?? '?')}, event ${String(raw?.event?.id ?? '?')}, ` +
        `account ${String(raw?.event?.account ?? '?')})`,
    );
  }
  if (ev.state?.outcome?.stage) lines.push(`Outcome so far: ${ev.state.outcome.stage}`);
  if (ev.state?.revocation?.actions?.length)
    lines.push(
      `Revocation done: ${ev.state.revocation.actions.join('; ')}${ev.state.revocation.verified ? ' (verified)' : ''}`,
    );
  lines.push(
    `Finding: ${
      finding === 'updated' || finding === 'marked-by-close'
        ? `${ev.state?.finding?.id} marked MANUAL ACTION REQUIRED`
        : finding === 'no-finding'
          ? 'none was raised'
          : `${ev.state?.finding?.id} could not be updated (${finding.slice('failed: '.length)})`
    }`,
    `Dispatch gate: ${
      gate === 'released'
        ? 'released: the next match on this key starts a new workflow'
        : gate === 'no-gate'
          ? 'none (input not a detection match)'
          : gate === 'not-open'
            ? 'none open for this rule and key (nothing to release)'
            : gate === 'held-by-another-execution'
              ? 'held by another execution (left alone)'
              : `NOT released (${gate.slice('failed: '.length)}): matches on this key start nothing until it expires`
    }`,
    `Execution: ${ev.executionArn ?? ev.execution}`,
  );
  return {
    subject: maskKeys(`[bks] MANUAL ACTION REQUIRED: ${ev.step} failed for ${what}`).slice(0, 100),
    message: maskKeys(lines.join('\n')),
  };
}
