/**
 * The slice of a detection rule (`detections/`, loaded by `src/detect`) the pipeline deploys, and
 * where each one goes: rules on IAM events only in the partition's IAM region (IAM events reach
 * EventBridge nowhere else), every other rule in every configured region.
 */
import type { Severity } from './incident';

export interface PipelineRule {
  id: string;
  title: string;
  severity: Severity;
  kind: 'pattern' | 'stateful';
  /** `us-east-1`: IAM-sourced; `all-regions`: Bedrock, bedrock-mantle, Claude Platform. */
  deploy: 'us-east-1' | 'all-regions';
  /** The EventBridge pattern, exactly as in the rule file. */
  pattern: Record<string, unknown>;
  stateful?: { type: 'count' | 'distinct-regions'; threshold: number; windowSeconds: number };
}

/** IAM's region in each partition (where IAM's CloudTrail events reach EventBridge). */
export const IAM_REGION: Readonly<Record<string, string>> = {
  aws: 'us-east-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-cn': 'cn-north-1',
};

export function partitionOfRegion(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

/** The rules whose events a region's default bus must forward. */
export function rulesForRegion(rules: readonly PipelineRule[], region: string): PipelineRule[] {
  const iamRegion = IAM_REGION[partitionOfRegion(region)];
  return rules.filter((r) => r.deploy === 'all-regions' || region === iamRegion);
}

/** Regions to deploy forwarders to: the configured ones plus the IAM region (IAM rules live there). */
export function forwarderRegions(regions: readonly string[], homeRegion: string): string[] {
  const iamRegion = IAM_REGION[partitionOfRegion(homeRegion)] ?? 'us-east-1';
  return [...new Set([...regions, iamRegion])];
}
