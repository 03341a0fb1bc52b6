/** The approval store and the SendTaskSuccess resume, as the approval handlers use them. */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { type ApprovalDecision, TaskGoneError } from '../../src/pipeline/approval';
import { DynamoApprovalStore } from '../../src/pipeline/dynamo-approval-store';
import { dynamo, sfn } from './clients';
import { env } from './runtime';

export function approvalStore(): DynamoApprovalStore {
  return new DynamoApprovalStore(dynamo(), env('BKS_APPROVAL_TABLE'));
}

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export async function resume(taskToken: string, output: ApprovalDecision): Promise<void> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  } catch (err) {
    if (GONE.has((err as Error).name)) throw new TaskGoneError((err as Error).name);
    throw err;
  }
}
