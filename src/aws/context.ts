/**
 * The AWS context of a run: credentials, region, partition, endpoint, retries, rate limits and
 * call accounting, and the SDK clients built from them. See `index.ts` for the overview.
 */

import { homedir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsFailure, UsageError } from '../errors';
import { CallCounter } from './calls';
import { AwsClock } from './clock';
import { errorCode } from './errors';
import { type Partition, type PartitionInfo, partitionInfo, partitionOf } from './partition';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './ratelimit';
import { JitterRetryStrategy, type RetryOptions } from './retry';

export interface AwsOptions {
  /** Named profile of the shared config files (standard credential chain otherwise). */
  profile?: string;
  /** Region of regional calls; default `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1`. */
  region?: string;
  /** Endpoint for every call (`--endpoint-url`); wins over `AWS_ENDPOINT_URL`, which the SDK reads itself. */
  endpointUrl?: string;
  /** Explicit credentials (tests, assumed roles); the standard chain otherwise. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Retries; `maxAttempts` defaults to `AWS_MAX_ATTEMPTS`, then 8. */
  retry?: RetryOptions;
  /** Calls per second by `service:Operation` / `service:*`, merged over DEFAULT_RATE_LIMITS. */
  rateLimits?: RateLimits;
  /** Account the credentials belong to, when known (keys the rate limits; set by `forAccount`). */
  accountId?: string;
  /** Shared with child contexts: one counter and one set of buckets per run. */
  calls?: CallCounter;
  limiter?: RateLimiter;
  /** AWS's clock as STS states it (shared with child contexts). */
  clock?: AwsClock;
  /** Environment to read the region from (tests); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface AssumeRoleOptions {
  /** Role name in the target account (an ARN is accepted too). */
  role: string;
  externalId?: string;
  /** `RoleSessionName`; default `bks-<command>-<timestamp>`. */
  sessionName?: string;
  /** Used in the default session name. */
  command?: string;
  /** Default 3600 (the maximum for role chaining). */
  durationSeconds?: number;
}

type ClientCtor<C> = new (config: Record<string, unknown>) => C;

/** The minimal shape of an SDK v3 client this layer relies on. */
interface SdkClient {
  middlewareStack: {
    addRelativeTo(
      mw: (next: (args: unknown) => Promise<unknown>, context: Record<string, unknown>) => unknown,
      opts: Record<string, unknown>,
    ): void;
  };
  destroy(): void;
}

export class AwsContext {
  readonly region: string;
  readonly partition: Partition;
  readonly partitionInfo: PartitionInfo;
  readonly calls: CallCounter;
  readonly limiter: RateLimiter;
  /** AWS's clock, from the sessions STS issued to this context or its parent (`AwsClock`). */
  readonly clock: AwsClock;
  readonly endpointUrl: string | undefined;
  readonly accountId: string | undefined;
  private readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  private readonly retryStrategy: JitterRetryStrategy;
  private readonly clients = new Map<string, unknown>();

  constructor(readonly options: AwsOptions = {}) {
    const env = options.env ?? process.env;
    this.region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    this.partition = partitionOf(this.region);
    this.partitionInfo = partitionInfo(this.partition);
    this.endpointUrl = options.endpointUrl;
    this.accountId = options.accountId;
    this.calls = options.calls ?? new CallCounter();
    this.limiter = options.limiter ?? new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits });
    this.clock = options.clock ?? new AwsClock();
    this.credentials = options.credentials ?? fromNodeProviderChain({ profile: options.profile });
    // `AWS_MAX_ATTEMPTS` (the SDKs' standard setting) applies when no explicit value is given.
    const envAttempts = /^\d+$/.test(env.AWS_MAX_ATTEMPTS ?? '') ? Number(env.AWS_MAX_ATTEMPTS) : undefined;
    this.retryStrategy = new JitterRetryStrategy({
      ...options.retry,
      maxAttempts: options.retry?.maxAttempts ?? (envAttempts && envAttempts > 0 ? envAttempts : undefined),
    });
  }

  /** IAM's home region in this partition (`us-east-1`, `us-gov-west-1`, `cn-north-1`). */
  get homeRegion(): string {
    return this.partitionInfo.iamHomeRegion;
  }

  /** `arn:<partition>:…` */
  arn(service: string, region: string, account: string, resource: string): string {
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }

  /**
   * Any SDK v3 client, built once per (service, region) with this context's credentials,
   * endpoint, retries, rate limits and call counter. `service` is the name calls are counted
   * and rate-limited under (`iam`, `cloudtrail`, …). Lambda handlers that care about bundle size
   * import only the client class they use and call this.
   */
  client<C>(
    service: string,
    Ctor: ClientCtor<C>,
    region: string = this.region,
    /** Extra client settings (e.g. S3's `forcePathStyle`); part of the cache key. */
    extra: Record<string, unknown> = {},
  ): C {
    const key = `${service}@${region}${Object.keys(extra).length ? JSON.stringify(extra) : ''}`;
    const existing = this.clients.get(key);
    if (existing) return existing as C;
    const config: Record<string, unknown> = {
      region,
      credentials: this.credentials,
      maxAttempts: this.retryStrategy.maxAttempts,
      retryStrategy: this.retryStrategy,
    };
    if (this.endpointUrl) config.endpoint = this.endpointUrl;
    Object.assign(config, extra);
    const client = new Ctor(config);
    this.instrument(client as unknown as SdkClient, service, region);
    this.clients.set(key, client);
    return client;
  }

  iam(): IAMClient {
    return this.client('iam', IAMClient as ClientCtor<IAMClient>, this.homeRegion);
  }

  sts(region: string = this.region): STSClient {
    return this.client('sts', STSClient as ClientCtor<STSClient>, region);
  }

  organizations(): OrganizationsClient {
    return this.client(
      'organizations',
      OrganizationsClient as ClientCtor<OrganizationsClient>,
      this.partitionInfo.organizationsRegion,
    );
  }

  cloudtrail(region: string = this.region): CloudTrailClient {
    return this.client('cloudtrail', CloudTrailClient as ClientCtor<CloudTrailClient>, region);
  }

  securityhub(region: string = this.region): SecurityHubClient {
    return this.client('securityhub', SecurityHubClient as ClientCtor<SecurityHubClient>, region);
  }

  sfn(region: string = this.region): SFNClient {
    return this.client('states', SFNClient as ClientCtor<SFNClient>, region);
  }

  /** The caller's account id and ARN (one `sts:GetCallerIdentity`, cached). */
  async identity(): Promise<{ accountId: string; arn: string }> {
    if (!this.identityPromise) {
      this.identityPromise = this.sts()
        .send(new GetCallerIdentityCommand({}))
        .then((r) => ({ accountId: r.Account ?? '', arn: r.Arn ?? '' }));
      this.identityPromise.catch(() => {
        this.identityPromise = undefined;
      });
    }
    return this.identityPromise;
  }
  private identityPromise: Promise<{ accountId: string; arn: string }> | undefined;

  /**
   * A context for another account through `sts:AssumeRole` with these credentials. The role is
   * assumed once now (so a refused trust fails here, per account) and again before the
   * credentials expire. Counter and rate limit buckets are shared with this context.
   */
  async forAccount(accountId: string, opts: AssumeRoleOptions): Promise<AwsContext> {
    const roleArn = opts.role.startsWith('arn:')
      ? opts.role
      : `arn:${this.partition}:iam::${accountId}:role/${opts.role}`;
    const sessionName = opts.sessionName ?? sessionNameFor(opts.command ?? 'run');
    const durationSeconds = opts.durationSeconds ?? 3600;
    const sts = this.sts();
    let cached: AwsCredentialIdentity | undefined;
    let inFlight: Promise<AwsCredentialIdentity> | undefined;
    const fetchCredentials = async (): Promise<AwsCredentialIdentity> => {
      const requestedAt = Date.now();
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: durationSeconds,
          ExternalId: opts.externalId,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey)
        throw new Error(`AssumeRole ${roleArn} returned no credentials`);
      // STS states AWS's time: the session was issued at Expiration - DurationSeconds.
      this.clock.observeSession(c.Expiration, durationSeconds, requestedAt);
      // Expiry on the local clock (from the granted duration), so a skewed server clock cannot
      // make fresh credentials look expired and trigger an AssumeRole per request.
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(requestedAt + durationSeconds * 1000),
      };
    };
    const assume = (): Promise<AwsCredentialIdentity> => {
      if (cached?.expiration && cached.expiration.getTime() - Date.now() > 5 * 60_000) {
        return Promise.resolve(cached);
      }
      inFlight ??= fetchCredentials().then(
        (creds) => {
          cached = creds;
          inFlight = undefined;
          return creds;
        },
        (err: unknown) => {
          inFlight = undefined;
          throw err;
        },
      );
      return inFlight;
    };
    await assume();
    return new AwsContext({
      ...this.options,
      profile: undefined,
      region: this.region,
      credentials: assume,
      accountId,
      calls: this.calls,
      limiter: this.limiter,
      clock: this.clock,
    });
  }

  /** The credentials this context signs with (resolves the provider chain once; the SDK caches). */
  async resolveCredentials(): Promise<AwsCredentialIdentity> {
    const c = this.credentials;
    return typeof c === 'function' ? c() : c;
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const c of this.clients.values()) (c as SdkClient).destroy();
    this.clients.clear();
  }

  /** Per attempt (inside the retry loop, before signing): rate limit, then count. */
  private instrument(client: SdkClient, service: string, region: string): void {
    const account = this.accountId ?? 'self';
    client.middlewareStack.addRelativeTo(
      (next, context) => async (args: unknown) => {
        const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
        await this.limiter.acquire(account, region, service, operation);
        this.calls.record(service, operation);
        try {
          return await next(args);
        } catch (err) {
          this.calls.recordError(service, operation, errorCode(err));
          throw err;
        }
      },
      {
        name: 'bksAccountingMiddleware',
        relation: 'before',
        toMiddleware: 'httpSigningMiddleware',
        override: true,
      },
    );
  }
}

/** `bks-<command>-<UTC timestamp>`, within AssumeRole's 64-character, `[\w+=,.@-]` limits. */
export function sessionNameFor(command: string, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `bks-${command.replace(/[^\w+=,.@-]/g, '-')}-${stamp}`.slice(0, 64);
}

export function createAws(options: AwsOptions = {}): AwsContext {
  return new AwsContext(options);
}

/**
 * Region names per partition, as the AWS SDK's partition data defines them (`regionRegex` of
 * `aws`, `aws-us-gov`, `aws-cn`): a name that fits none is a typo, never a region to scan.
 */
const REGION_NAMES: readonly RegExp[] = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
  /^us-gov-\w+-\d+$/,
  /^cn-\w+-\d+$/,
];

export function isRegionName(region: string): boolean {
  return REGION_NAMES.some((re) => re.test(region));
}

/** A region name; `source` is `option` (the `region` option) or where else it came from. */
function checkedRegion(region: string, source: string): string {
  if (!isRegionName(region)) {
    throw new UsageError(
      (names) =>
        `${source === 'option' ? names('region') : source}: "${region}" is not an AWS region name (e.g. us-east-1, us-gov-west-1)`,
    );
  }
  return region;
}

/**
 * The one region resolver of every command: `--region`, else `AWS_REGION`, else
 * `AWS_DEFAULT_REGION`, else the profile's `region =` in the shared config file (`AWS_CONFIG_FILE`,
 * `~/.aws/config`; the profile is `--profile`, else `AWS_PROFILE`, else `default`), else
 * `us-east-1`. A GovCloud or China profile therefore works in its own partition without `--region`.
 */
export async function resolveRegion(
  opts: { region?: string; profile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const env = opts.env ?? process.env;
  const [fromEnv, source] = opts.region
    ? [opts.region, 'option' as const]
    : env.AWS_REGION
      ? [env.AWS_REGION, 'AWS_REGION' as const]
      : [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION' as const];
  if (fromEnv) return checkedRegion(fromEnv, source);
  // The SDK's own resolution of the profile's `region` (the same files, the same profile choice).
  const probe = new STSClient({ profile: opts.profile || undefined });
  try {
    const region = await probe.config.region();
    return region ? checkedRegion(region, "the profile's region") : 'us-east-1';
  } catch {
    return 'us-east-1';
  } finally {
    probe.destroy();
  }
}

/**
 * The AWS client factory of the command line: the region from `resolveRegion`, then the context,
 * then the credentials resolved once, so that "no credentials at all" is one clear failure (exit
 * 3, naming where the chain looked) before any command prints anything.
 */
export async function openAws(options: AwsOptions = {}): Promise<AwsContext> {
  const region = await resolveRegion({ region: options.region, profile: options.profile, env: options.env });
  const aws = new AwsContext({ ...options, region });
  if (!options.credentials) {
    try {
      await aws.resolveCredentials();
    } catch (err) {
      aws.destroy();
      throw noCredentials(err, options);
    }
  }
  return aws;
}

/** `CredentialsProviderError` ("could not load credentials from any providers", a missing profile, …). */
function isCredentialsMissing(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'CredentialsProviderError' || name === 'ProviderError';
}

function noCredentials(err: unknown, options: AwsOptions): Error {
  if (!isCredentialsMissing(err)) return err as Error;
  const env = options.env ?? process.env;
  const profile = options.profile || env.AWS_PROFILE || 'default';
  const home = homedir();
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : '';
  const where = [
    ...(options.profile ? [] : ['the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)']),
    `profile "${profile}" in ${credentialsFile} and ${configFile} (keys, SSO, credential_process, role)`,
    'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)',
    'container credentials (AWS_CONTAINER_CREDENTIALS_*)',
    env.AWS_EC2_METADATA_DISABLED === 'true'
      ? 'not the EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)'
      : 'the EC2 instance metadata',
  ];
  return new AwsFailure(
    (names) =>
      `no AWS credentials found${reason && !/any providers/i.test(reason) ? ` (${reason})` : ''}: looked in ${where.join(', ')}; set credentials there or pass ${names('profile')} NAME`,
  );
}
