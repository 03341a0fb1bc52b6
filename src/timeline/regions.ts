/**
 * Which regions `timeline` searches. "Enabled" would come from EC2 DescribeRegions or
 * account:ListRegions, which neither this project's dependencies nor bks-sim carry; instead the
 * default is every region a new account of the partition has enabled (the regions that are not
 * opt-in), and opt-in regions are added by naming them (`all,me-central-1`). The list is
 * data, per partition; a region that answers with an error is reported as failed (exit 3), never
 * skipped silently.
 */
import { UsageError } from '../errors';

export const DEFAULT_ENABLED_REGIONS: Record<string, readonly string[]> = {
  aws: [
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
    'ap-south-1',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-southeast-1',
    'ap-southeast-2',
    'ca-central-1',
    'eu-central-1',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'eu-north-1',
    'sa-east-1',
  ],
  'aws-us-gov': ['us-gov-west-1', 'us-gov-east-1'],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
};

export function partitionOfRegion(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** `all`, a comma list, or both (`all,me-central-1`); `all` = the partition's default-enabled regions. */
export function parseRegions(spec: string | undefined, partition: string): string[] {
  const items = (spec ?? 'all')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError('give "all" or a comma-separated list of regions');
  const out = new Set<string>();
  for (const item of items) {
    if (item === 'all') {
      for (const r of DEFAULT_ENABLED_REGIONS[partition] ?? []) out.add(r);
    } else if (!REGION_RE.test(item)) {
      throw new UsageError(`"${item}" is not a region name`);
    } else if (partitionOfRegion(item) !== partition) {
      throw new UsageError(`${item} is not in partition ${partition}`);
    } else {
      out.add(item);
    }
  }
  return [...out];
}
