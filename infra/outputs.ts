/**
 * The pipeline's stack outputs under fixed keys (src/pipeline/stack-outputs.ts): how `bks selftest`
 * finds a deployment from its stack name alone.
 */
import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OUTPUT_DESCRIPTIONS, OUTPUT_KEYS, type PipelineOutputs } from '../src/pipeline/stack-outputs';

export function pipelineOutputs(scope: Construct, values: PipelineOutputs): void {
  for (const k of Object.keys(OUTPUT_KEYS) as (keyof typeof OUTPUT_KEYS)[]) {
    const out = new CfnOutput(scope, OUTPUT_KEYS[k], {
      value: values[k],
      description: OUTPUT_DESCRIPTIONS[k],
    });
    out.overrideLogicalId(OUTPUT_KEYS[k]);
  }
}
