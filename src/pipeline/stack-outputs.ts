/**
 * The pipeline stack's outputs, under fixed keys (infra/outputs.ts writes them, the local pipeline
 * registers the same for its simulated stack, `bks selftest` reads them): a deployment is found
 * from its stack name alone.
 */

export const OUTPUT_KEYS = {
  approvalTable: 'BksApprovalTable',
  stateMachineArn: 'BksStateMachineArn',
  centralBusArn: 'BksCentralBusArn',
  homeRegion: 'BksHomeRegion',
  regions: 'BksRegions',
  namePrefix: 'BksNamePrefix',
} as const;

export type PipelineOutputs = Record<keyof typeof OUTPUT_KEYS, string>;

export const OUTPUT_DESCRIPTIONS: Record<keyof typeof OUTPUT_KEYS, string> = {
  approvalTable: 'bks: the approval table (approval requests, selftest canary records)',
  stateMachineArn: 'bks: the response workflow',
  centralBusArn: 'bks: the central event bus',
  homeRegion: 'bks: the home region (central bus, workflow, Security Hub findings)',
  regions: 'bks: the watched regions (comma-separated)',
  namePrefix: "bks: the prefix of the pipeline's resource and role names",
};

/** The default stack name of the project's CDK app (infra/app.ts). */
export const DEFAULT_STACK_NAME = 'BedrockKeyGuard';

/** The outputs as CloudFormation lists them. */
export function outputList(
  values: PipelineOutputs,
): Array<{ OutputKey: string; OutputValue: string; Description: string }> {
  return (Object.keys(OUTPUT_KEYS) as (keyof typeof OUTPUT_KEYS)[]).map((k) => ({
    OutputKey: OUTPUT_KEYS[k],
    OutputValue: values[k],
    Description: OUTPUT_DESCRIPTIONS[k],
  }));
}
