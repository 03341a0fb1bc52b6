/**
 * Finding the pipeline from its stack: CloudFormation DescribeStacks in the home region, the
 * outputs under the fixed keys of src/pipeline/stack-outputs.ts. The same call on AWS and on
 * `bks-sim --pipeline` (which registers its stack with the same outputs).
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import type { AwsContext } from '../aws';
import { describeAwsError, errorCode } from '../aws/errors';
import { AwsFailure } from '../errors';
import { OUTPUT_KEYS, type OutputName, type PipelineOutputs } from '../pipeline/stack-outputs';

/** The stack cannot be read or is not a bks pipeline: selftest cannot know anything (exit 3). */
export class DeploymentError extends AwsFailure {}

export interface Deployment extends PipelineOutputs {
  stackName: string;
  /** The account the stack (and the workflow, the table) lives in. */
  account: string;
  /** The stack's region: the pipeline's home region (central bus, workflow, findings). */
  homeRegion: string;
}

export async function readDeployment(
  aws: AwsContext,
  stackName: string,
  region: string,
): Promise<Deployment> {
  const cfn = aws.client('cloudformation', CloudFormationClient, region);
  let stacks: Stack[];
  try {
    stacks = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  } catch (err) {
    if (errorCode(err) === 'ValidationError') {
      throw new DeploymentError(
        (names) =>
          `no stack ${stackName} in ${region}: deploy the pipeline there, or give ${names('stackName')} and ${names('region')}`,
      );
    }
    throw new DeploymentError(`cannot read stack ${stackName} in ${region}: ${describeAwsError(err)}`);
  }
  const stack = stacks[0];
  if (!stack) throw new DeploymentError(`no stack ${stackName} in ${region}`);
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const values: Partial<PipelineOutputs> = {};
  const missing: string[] = [];
  for (const [k, key] of Object.entries(OUTPUT_KEYS) as [OutputName, string][]) {
    const v = outputs.get(key);
    if (v) values[k] = v;
    else if (k !== 'recordBucket') missing.push(key);
  }
  if (missing.length > 0) {
    throw new DeploymentError(
      `stack ${stackName} lacks the outputs ${missing.join(', ')}: is it a bks pipeline (BedrockKeyGuard) of this version?`,
    );
  }
  const id = /^arn:[\w-]+:cloudformation:([\w-]+):(\d{12}):/.exec(stack.StackId ?? '');
  if (!id) throw new DeploymentError(`stack ${stackName} has no readable stack id`);
  return { ...(values as PipelineOutputs), stackName, account: id[2]!, homeRegion: id[1]! };
}
