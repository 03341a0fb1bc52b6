/**
 * Plans: the pure half of every changing command. A planner reads nothing and changes nothing: it
 * takes state that was freshly read and returns the list of IAM calls it intends to make, each with
 * the reason for it and, where one exists, the call that undoes it. The CLI prints the plan, asks,
 * and only then hands it to `executePlan` (./execute).
 *
 * Steps never carry a secret: every parameter here is an identifier, a status or a policy document.
 */

/** IAM operations a plan may contain (the executor knows how to send each one). */
export type IamAction =
  | 'UpdateServiceSpecificCredential'
  | 'DeleteServiceSpecificCredential'
  | 'UpdateAccessKey'
  | 'DeleteAccessKey'
  | 'PutUserPolicy'
  | 'DeleteUserPolicy'
  | 'PutRolePolicy'
  | 'DeleteRolePolicy'
  | 'DeleteLoginProfile'
  | 'DeactivateMFADevice'
  | 'DeleteSSHPublicKey'
  | 'DeleteSigningCertificate'
  | 'RemoveUserFromGroup'
  | 'AddUserToGroup'
  | 'DetachUserPolicy'
  | 'AttachUserPolicy'
  | 'PutUserPermissionsBoundary'
  | 'CreateUser'
  | 'DeleteUser';

export type StepParams = Record<string, string | { Key: string; Value: string }[]>;

/** The call that reverses a step, when one exists. */
export interface UndoCall {
  action: IamAction;
  params: StepParams;
}

export interface PlanStep {
  /** Position in the plan, from 1. */
  n: number;
  action: IamAction;
  params: StepParams;
  /** What the step acts on, for humans (`user/BedrockAPIKey-h42z credential ACCA…`). */
  target: string;
  /** Why this step is in the plan. */
  reason: string;
  /** How `bks restore` reverses it; absent for irreversible steps. */
  undo?: UndoCall;
  irreversible?: boolean;
  /**
   * Steps of one group run in order and the first failure stops the rest of the group (cleanup:
   * one group per user). Steps without a group are independent of each other (revoke).
   */
  group?: string;
}

/** Something the planner decided not to do, and why (already in the wanted state, or unsafe). */
export interface PlanNote {
  target: string;
  status: 'unchanged' | 'refused' | 'absent' | 'info';
  message: string;
}

export interface Plan {
  command: 'revoke-key' | 'cleanup' | 'restore';
  accountId: string;
  partition: string;
  steps: PlanStep[];
  notes: PlanNote[];
  /** Set when the planner refuses the whole request (the command exits 2 with this message). */
  refused?: string;
}

/** A plan with no steps yet, for the account (and partition) it will act in. */
export function emptyPlan(command: Plan['command'], where: { accountId: string; partition: string }): Plan {
  return { command, accountId: where.accountId, partition: where.partition, steps: [], notes: [] };
}

/** Numbers steps in order (planners build them without `n`). */
export function numberSteps(steps: Omit<PlanStep, 'n'>[]): PlanStep[] {
  return steps.map((s, i) => ({ ...s, n: i + 1 }));
}

/** The plan as text for the terminal (printed before the confirmation question). */
export function renderPlanText(plan: Plan): string {
  const lines: string[] = [];
  if (plan.steps.length === 0) {
    lines.push(`Plan (${plan.command}, account ${plan.accountId}): nothing to change.`);
  } else {
    lines.push(`Plan (${plan.command}, account ${plan.accountId}): ${plan.steps.length} call(s)`);
    for (const s of plan.steps) {
      const tag = s.irreversible ? ' [IRREVERSIBLE]' : '';
      lines.push(`  ${s.n}. iam:${s.action} ${s.target}${tag}`);
      lines.push(`       why: ${s.reason}`);
    }
  }
  for (const n of plan.notes) lines.push(`  - ${n.target}: ${n.status}: ${n.message}`);
  return `${lines.join('\n')}\n`;
}
