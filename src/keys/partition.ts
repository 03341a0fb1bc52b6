/** AWS partition of a region (bedrock-api-keys.md §7). Unknown shapes fall back to `aws`. */
const PARTITION_BY_REGION_PREFIX: readonly (readonly [string, string])[] = [
  ['us-gov-', 'aws-us-gov'],
  ['cn-', 'aws-cn'],
  ['us-isob-', 'aws-iso-b'],
  ['us-iso-', 'aws-iso'],
  ['eu-isoe-', 'aws-iso-e'],
  ['us-isof-', 'aws-iso-f'],
];

export const PARTITIONS: readonly string[] = [
  'aws',
  ...new Set(PARTITION_BY_REGION_PREFIX.map(([, p]) => p)),
];

export function partitionOfRegion(region: string): string {
  for (const [prefix, partition] of PARTITION_BY_REGION_PREFIX) {
    if (region.startsWith(prefix)) return partition;
  }
  return 'aws';
}
