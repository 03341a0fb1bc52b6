/**
 * The key-bearing services, as data. Every other module asks this table what a service's
 * prefixes, credential service name, phantom user prefix, managed policy and action namespaces
 * are; a new service is a new entry here, never a new branch in code.
 *
 * Facts: IAM User Guide, "API keys for Amazon Bedrock" (service-specific credentials, the
 * `BedrockAPIKey-` user and `AmazonBedrockLimitedAccess`); Service Authorization Reference for
 * Amazon Bedrock (`CallWithBearerToken`, `bedrock:BearerTokenType`) and IAM
 * (`iam:ServiceSpecificCredentialServiceName`, `iam:ServiceSpecificCredentialAgeDays`).
 */
import { UsageError } from './errors';

/** The id users type in `--service` and that JSON output carries. */
export type ServiceId = 'bedrock' | 'claude-platform';

export interface KeyBearingService {
  id: ServiceId;
  /** Human name for tables and reports. */
  displayName: string;
  /** `ServiceName` of the IAM service-specific credential. */
  sscServiceName: string;
  /** Text prefix of a long-term key (`ABSK`, `AEAA`). */
  longTermPrefix: string;
  /**
   * Bytes that precede `<alias>:<secret>` inside the base64 of a long-term key. Bedrock has none;
   * Claude Platform frames the payload with three bytes that encode to `AEAA`, so for it the
   * text prefix is part of the base64 itself.
   */
  longTermFraming: Uint8Array;
  /** Text prefix of a short-term key (`bedrock-api-key-`). */
  shortTermPrefix: string;
  /** Host in a short-term key's presigned URL. */
  shortTermHost: string;
  /** SigV4 signing name of a short-term key. */
  signingService: string;
  /** Name prefix of the IAM user the console creates with each long-term key. */
  phantomUserPrefix: string;
  /** Managed policy the console attaches to that user (partition-neutral: use `managedPolicyArn`). */
  managedPolicyName: string;
  /** IAM action namespaces a key of this service can use (the deny targets of `revoke-key --all-keys`). */
  actionNamespaces: string[];
  /** CloudTrail `eventSource` values where the key's use appears. */
  eventSources: string[];
  /** Environment variable the SDKs read the key from. */
  bearerEnvVar: string;
  /**
   * Partitions where the service issues keys. Anywhere else IAM answers `NotSupportedService` and
   * that means "none here"; inside them, the same answer is a failed read.
   */
  partitions: readonly string[];
}

/** The `bedrock-mantle` plane: OpenAI/Anthropic-compatible routes, same keys as Bedrock. */
export const BEDROCK_MANTLE_NAMESPACE = 'bedrock-mantle';

export const SERVICES: readonly KeyBearingService[] = [
  {
    id: 'bedrock',
    displayName: 'Amazon Bedrock',
    sscServiceName: 'bedrock.amazonaws.com',
    longTermPrefix: 'ABSK',
    longTermFraming: new Uint8Array(),
    shortTermPrefix: 'bedrock-api-key-',
    shortTermHost: 'bedrock.amazonaws.com',
    signingService: 'bedrock',
    phantomUserPrefix: 'BedrockAPIKey-',
    managedPolicyName: 'AmazonBedrockLimitedAccess',
    actionNamespaces: ['bedrock', BEDROCK_MANTLE_NAMESPACE],
    eventSources: ['bedrock.amazonaws.com', 'bedrock-mantle.amazonaws.com'],
    bearerEnvVar: 'AWS_BEARER_TOKEN_BEDROCK',
    // "Supported Regions … for Amazon Bedrock API keys": commercial regions and AWS GovCloud (US).
    partitions: ['aws', 'aws-us-gov'],
  },
  {
    id: 'claude-platform',
    displayName: 'Claude Platform on AWS',
    sscServiceName: 'aws-external-anthropic.amazonaws.com',
    longTermPrefix: 'AEAA',
    longTermFraming: Uint8Array.of(0x00, 0x40, 0x00),
    shortTermPrefix: 'aws-external-anthropic-api-key-',
    shortTermHost: 'aws-external-anthropic.amazonaws.com',
    signingService: 'aws-external-anthropic',
    phantomUserPrefix: 'AeaApiKey-',
    managedPolicyName: 'AnthropicLimitedAccess',
    actionNamespaces: ['aws-external-anthropic'],
    eventSources: ['aws-external-anthropic.amazonaws.com'],
    bearerEnvVar: 'AWS_BEARER_TOKEN_AWS_EXTERNAL_ANTHROPIC',
    // Claude Platform on AWS is offered in commercial regions only.
    partitions: ['aws'],
  },
];

export const SERVICE_IDS: readonly ServiceId[] = SERVICES.map((s) => s.id);

export function serviceById(id: ServiceId): KeyBearingService {
  const service = SERVICES.find((s) => s.id === id);
  if (!service) throw new Error(`unknown service ${id}`);
  return service;
}

export function serviceBySscName(sscServiceName: string): KeyBearingService | undefined {
  return SERVICES.find((s) => s.sscServiceName === sscServiceName);
}

/**
 * The services a service choice selects: an id, `all` or none (every service). Another value is a
 * usage error naming the `service` option (the CLI words it as its flag).
 */
export function selectServices(choice: string | undefined): KeyBearingService[] {
  if (choice === undefined || choice === 'all') return [...SERVICES];
  const service = SERVICES.find((s) => s.id === choice);
  if (!service) {
    throw new UsageError(
      (names) => `${names('service')} must be one of ${[...SERVICE_IDS, 'all'].join(', ')} (got "${choice}")`,
    );
  }
  return [service];
}

/** ARN of the service's managed policy in a partition (`aws`, `aws-us-gov`, `aws-cn`). */
export function managedPolicyArn(service: KeyBearingService, partition: string): string {
  return `arn:${partition}:iam::aws:policy/${service.managedPolicyName}`;
}

/** True when an ARN names the service's managed policy, in any partition. */
export function isManagedPolicyArn(service: KeyBearingService, arn: string): boolean {
  return (
    /^arn:aws(?:-[a-z]+)*:iam::aws:policy\//.test(arn) && arn.endsWith(`:policy/${service.managedPolicyName}`)
  );
}

/**
 * Other AWS services that issue service-specific credentials on the same IAM machinery. They are
 * not this toolkit's keys, but cleanup must delete them before `DeleteUser`, and rules and SCPs
 * must leave them alone (a CodeCommit credential is not a Bedrock key).
 */
export const OTHER_SSC_SERVICE_NAMES: readonly string[] = [
  'codecommit.amazonaws.com',
  'cassandra.amazonaws.com',
  'logs.amazonaws.com',
];
