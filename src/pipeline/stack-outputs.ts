/**
 * The pipeline stack's outputs, under fixed keys: `BedrockKeyGuard` writes them (infra/guard.ts), the
 * local pipeline registers the same for its simulated stack, `bks selftest` reads them. A deployment
 * is found from its stack name alone; its home region is the stack's region.
 */

export const OUTPUT_KEYS = {
  prefix: 'BksPrefix',
  centralBusArn: 'BksCentralBusArn',
  stateMachineArn: 'BksStateMachineArn',
  approvalTable: 'BksApprovalTableName',
  counterTable: 'BksCounterTableName',
  topicArn: 'BksTopicArn',
  approvalUrl: 'BksApprovalUrl',
  recordBucket: 'BksRecordBucketName',
} as const;

export type OutputName = keyof typeof OUTPUT_KEYS;

/** What a reader needs (the record bucket is optional: the local pipeline keeps records on disk). */
export type PipelineOutputs = Record<Exclude<OutputName, 'recordBucket'>, string> & { recordBucket?: string };

export const OUTPUT_DESCRIPTIONS: Record<OutputName, string> = {
  prefix: 'Prefix of the names of the pipeline resources (bks coverage --name-prefix)',
  centralBusArn: 'The central event bus',
  stateMachineArn: 'The response workflow',
  approvalTable: 'The approval (pipeline) table',
  counterTable: 'The windowed counters of the stateful rules',
  topicArn: 'The SOC notification topic',
  approvalUrl: 'The approval link endpoint',
  recordBucket: 'Revocation records (bks restore s3://…)',
};

/** The default stack name of the project's CDK app (infra/app.ts). */
export const DEFAULT_STACK_NAME = 'BedrockKeyGuard';

/** The outputs as CloudFormation lists them. */
export function outputList(
  values: PipelineOutputs,
): Array<{ OutputKey: string; OutputValue: string; Description: string }> {
  return (Object.keys(OUTPUT_KEYS) as OutputName[]).flatMap((k) => {
    const v = values[k];
    return v === undefined
      ? []
      : [{ OutputKey: OUTPUT_KEYS[k], OutputValue: v, Description: OUTPUT_DESCRIPTIONS[k] }];
  });
}
