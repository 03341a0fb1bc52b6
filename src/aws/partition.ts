/**
 * Partitions: which one a region belongs to, IAM's home region in it, and ARNs built from it.
 * Never hard-code `arn:aws:` anywhere else; ask these functions.
 */

export type Partition = 'aws' | 'aws-us-gov' | 'aws-cn';

export interface PartitionInfo {
  partition: Partition;
  /** Region IAM (a global service) is signed for and its events are logged in. */
  iamHomeRegion: string;
  /** Region of the Organizations endpoint. */
  organizationsRegion: string;
  /** DNS suffix of the partition's endpoints. */
  dnsSuffix: string;
}

const PARTITIONS: Record<Partition, PartitionInfo> = {
  aws: {
    partition: 'aws',
    iamHomeRegion: 'us-east-1',
    organizationsRegion: 'us-east-1',
    dnsSuffix: 'amazonaws.com',
  },
  'aws-us-gov': {
    partition: 'aws-us-gov',
    iamHomeRegion: 'us-gov-west-1',
    organizationsRegion: 'us-gov-west-1',
    dnsSuffix: 'amazonaws.com',
  },
  'aws-cn': {
    partition: 'aws-cn',
    iamHomeRegion: 'cn-north-1',
    organizationsRegion: 'cn-northwest-1',
    dnsSuffix: 'amazonaws.com.cn',
  },
};

/** The partition a region belongs to (`us-gov-*` → aws-us-gov, `cn-*` → aws-cn, else aws). */
export function partitionOf(region: string): Partition {
  if (/^us-gov-/.test(region)) return 'aws-us-gov';
  if (/^cn-/.test(region)) return 'aws-cn';
  return 'aws';
}

export function partitionInfo(partition: Partition): PartitionInfo {
  return PARTITIONS[partition];
}

export function isPartition(value: string): value is Partition {
  return value in PARTITIONS;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` (region/account may be empty). */
export function arn(
  partition: Partition,
  service: string,
  region: string,
  account: string,
  resource: string,
): string {
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** ARN of an IAM user (`path` defaults to `/`). */
export function iamUserArn(partition: Partition, account: string, userName: string, path = '/'): string {
  return arn(partition, 'iam', '', account, `user${path}${userName}`);
}

/** ARN of an IAM role. */
export function iamRoleArn(partition: Partition, account: string, roleName: string, path = '/'): string {
  return arn(partition, 'iam', '', account, `role${path}${roleName}`);
}

/** Splits an ARN into its parts, or undefined when it is not one. */
export function parseArn(
  value: string,
): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  const m = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/.exec(value);
  if (!m) return undefined;
  const [, partition, service, region, account, resource] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { partition, service, region, account, resource };
}
