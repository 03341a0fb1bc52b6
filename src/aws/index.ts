/**
 * The one AWS client layer of bks. Every call to AWS goes through an `AwsContext`:
 *
 *   const aws = await openAws({ profile, region, endpointUrl }); // the CLI: profile's region, credentials checked
 *   const aws = createAws({ region, credentials });              // handlers, tests: synchronous
 *   aws.iam() / aws.sts() / aws.organizations()                // global APIs, home region
 *   aws.cloudtrail(region) / aws.securityhub(region) / aws.sfn(region)
 *   aws.client('bedrock', SomeClient, region)                  // any other SDK v3 client
 *   aws.partition, aws.homeRegion, aws.arn(...)                // partition follows the region
 *   aws.calls.get('iam:ListUsers'), aws.calls.snapshot()       // every attempt, retries included
 *   await aws.identity()                                       // caller's account (cached)
 *   await aws.forAccount(id, { role, externalId, command })    // AssumeRole, same counter/limits
 *   await mapAccounts(aws, ids, fn, { role, command, concurrency })  // isolated per account
 *   await reachAccount(aws, keyAccount, { role, command, say })     // one identity's own account
 *
 * - Credentials: explicit `credentials`, else `fromNodeProviderChain({ profile })` (env, profile,
 *   SSO, web identity, container and instance roles).
 * - Endpoint: `endpointUrl` (the `--endpoint-url` flag) is passed to every client and wins over
 *   `AWS_ENDPOINT_URL`, which the SDK reads by itself when no flag is given.
 * - Region and partition: `aws`, `aws-us-gov`, `aws-cn` follow from the region; IAM is signed for
 *   the partition's home region (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
 * - Retries: capped exponential backoff with full jitter, no shared retry quota, `maxAttempts`
 *   (option, else `AWS_MAX_ATTEMPTS`, else 8) per call; client errors (AccessDenied, …) are not retried.
 * - Rate limits: a token bucket per account + region + API (`cloudtrail:LookupEvents` 2/s,
 *   `securityhub:BatchImportFindings` 10/s by default; override with `rateLimits`), taken by every
 *   attempt inside the retry loop, before signing.
 * - Accounting: `aws.calls` counts every attempt per `service:Operation` and errors per code.
 * Clients are constructed lazily, on first use, and cached per (service, region).
 */
export { CallCounter } from './calls';
export { mapLimit } from './concurrency';
export {
  type AssumeRoleOptions,
  AwsContext,
  type AwsOptions,
  createAws,
  openAws,
  resolveRegion,
  sessionNameFor,
} from './context';
export { describeAwsError, errorCode, isAccessDenied, isNotFound, isThrottled } from './errors';
export {
  type AccountOutcome,
  isActiveAccount,
  listOrgAccounts,
  type MapAccountsOptions,
  mapAccounts,
  type OrgAccount,
  type ReachOptions,
  reachAccount,
  runInAccount,
  selectAccounts,
} from './org';
export {
  arn,
  iamRoleArn,
  iamUserArn,
  isPartition,
  type Partition,
  type PartitionInfo,
  parseArn,
  partitionInfo,
  partitionOf,
} from './partition';
export {
  type Clock,
  DEFAULT_RATE_LIMITS,
  RateLimiter,
  type RateLimits,
  systemClock,
  TokenBucket,
} from './ratelimit';
export { DEFAULT_MAX_ATTEMPTS, JitterRetryStrategy, type RetryOptions } from './retry';
