/**
 * What CloudTrail events mean for Bedrock/Claude Platform API keys, as tables. The detection rules
 * (`ruleset.ts`) and the timeline's tags (`tagEvent`) are both built from these tables, so a new
 * event name is one table entry, never a new branch.
 *
 * Facts: Amazon Bedrock User Guide, "Monitor Amazon Bedrock API calls using CloudTrail" and
 * "Monitor bedrock-mantle API calls using CloudTrail" (the `callWithBearerToken` flags); EventBridge
 * User Guide, "Events from AWS services" (IAM events reach EventBridge only in us-east-1).
 */
import { type KeyBearingService, SERVICES } from '../services';

/** A CloudTrail record as it appears in log files and in EventBridge's `detail`. */
export interface CloudTrailRecord {
  eventVersion?: string;
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  eventType?: string;
  eventID?: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  recipientAccountId?: string;
  userIdentity?: {
    type?: string;
    principalId?: string;
    arn?: string;
    accountId?: string;
    accessKeyId?: string;
    userName?: string;
    invokedBy?: string;
    sessionContext?: { sessionIssuer?: { arn?: string; userName?: string; type?: string } };
    [k: string]: unknown;
  } | null;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown> | null;
  [k: string]: unknown;
}

export type EventTag =
  | 'invoke'
  | 'recon'
  | 'model-access'
  | 'discovery'
  | 'persistence'
  | 'privilege-escalation'
  | 'defense-evasion'
  | 'cost'
  | 'credential-creation'
  | 'bearer-token'
  | 'error';

/** Model invocations (management events on bedrock, §4) and the async/agent variants (data events). */
export const INVOKE_EVENTS = [
  'InvokeModel',
  'InvokeModelWithResponseStream',
  'Converse',
  'ConverseStream',
  'StartAsyncInvoke',
  'InvokeAgent',
  'InvokeInlineAgent',
  'RetrieveAndGenerate',
  'CreateInference',
  'CreateMessage',
  'CreateChatCompletion',
  'CreateResponse',
] as const;

/** LLMjacking reconnaissance: what can this key reach, and is anybody logging it. */
export const RECON_EVENTS = [
  'GetFoundationModelAvailability',
  'ListFoundationModels',
  'GetFoundationModel',
  'ListInferenceProfiles',
  'GetUseCaseForModelAccess',
  'ListFoundationModelAgreementOffers',
  'GetModelInvocationLoggingConfiguration',
  'ListGuardrails',
  'GetGuardrail',
] as const;

/** Turning on model access from a stolen key: use-case forms, entitlements and agreements. */
export const MODEL_ACCESS_EVENTS = [
  'PutUseCaseForModelAccess',
  'PutFoundationModelEntitlement',
  'CreateFoundationModelAgreement',
] as const;

/** Blinding the owner: invocation logging and guardrails (bedrock), trails (cloudtrail). */
export const DEFENSE_EVASION_EVENTS = [
  'PutModelInvocationLoggingConfiguration',
  'DeleteModelInvocationLoggingConfiguration',
  'DeleteGuardrail',
  'UpdateGuardrail',
  'StopLogging',
  'DeleteTrail',
  'UpdateTrail',
  'PutEventSelectors',
] as const;

/** The subset of defense evasion that lives on Bedrock (rules match these on `bedrock.amazonaws.com`). */
export const BEDROCK_EVASION_EVENTS = [
  'PutModelInvocationLoggingConfiguration',
  'DeleteModelInvocationLoggingConfiguration',
  'DeleteGuardrail',
  'UpdateGuardrail',
] as const;

/** Cost bombs nobody watches: long-running, expensive jobs and reserved capacity. */
export const COST_EVENTS = [
  'CreateProvisionedModelThroughput',
  'UpdateProvisionedModelThroughput',
  'CreateModelInvocationJob',
  'CreateModelCustomizationJob',
  'CreateModelImportJob',
  'CreateEvaluationJob',
] as const;

/** The cost bombs the issue names (the rule's list; the others only tag). */
export const COST_BOMB_EVENTS = [
  'CreateProvisionedModelThroughput',
  'CreateModelInvocationJob',
  'CreateModelCustomizationJob',
] as const;

/** New credentials for an IAM user (any of them outlives a revoked API key). */
export const CREDENTIAL_CREATION_EVENTS = [
  'CreateServiceSpecificCredential',
  'ResetServiceSpecificCredential',
  'CreateAccessKey',
  'CreateLoginProfile',
] as const;

/** Ways to keep access to an IAM user (§1: the phantom user's escalation paths). */
export const PERSISTENCE_EVENTS = [
  'CreateUser',
  'CreateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'EnableMFADevice',
  'CreateVirtualMFADevice',
  'ResyncMFADevice',
  'UploadSSHPublicKey',
  'UploadSigningCertificate',
  'CreateServiceSpecificCredential',
  'ResetServiceSpecificCredential',
] as const;

/** Login/MFA subset of persistence on a phantom (console access to a key's identity). */
export const PHANTOM_LOGIN_EVENTS = ['CreateLoginProfile', 'UpdateLoginProfile'] as const;
export const PHANTOM_MFA_EVENTS = ['EnableMFADevice', 'ResyncMFADevice', 'DeactivateMFADevice'] as const;
/** Other long-lived credentials on a phantom. */
export const PHANTOM_OTHER_CREDENTIAL_EVENTS = ['UploadSSHPublicKey', 'UploadSigningCertificate'] as const;
/** Widening a phantom's permissions beyond its managed policy. */
export const PHANTOM_ESCALATION_EVENTS = [
  'AddUserToGroup',
  'AttachUserPolicy',
  'PutUserPolicy',
  'DeleteUserPermissionsBoundary',
] as const;

/** Granting permissions to an identity (any of these on an unexpected target is an escalation). */
export const PRIVILEGE_ESCALATION_EVENTS = [
  'AttachUserPolicy',
  'PutUserPolicy',
  'AddUserToGroup',
  'AttachRolePolicy',
  'PutRolePolicy',
  'AttachGroupPolicy',
  'PutGroupPolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'UpdateAssumeRolePolicy',
  'DeleteUserPermissionsBoundary',
  'DeleteRolePermissionsBoundary',
] as const;

/** Read-only calls that map an account (tagged `discovery` when no sharper tag applies). */
export const DISCOVERY_EVENTS = ['GetCallerIdentity', 'GetAccountAuthorizationDetails'] as const;
export const DISCOVERY_NAME_PREFIXES = ['List', 'Get', 'Describe'] as const;

/** The EventBridge `detail-type` for each CloudTrail `eventType`. */
export const DETAIL_TYPES: Readonly<Record<string, string>> = {
  AwsApiCall: 'AWS API Call via CloudTrail',
  AwsConsoleSignIn: 'AWS Console Sign In via CloudTrail',
  AwsConsoleAction: 'AWS Console Action via CloudTrail',
  AwsServiceEvent: 'AWS Service Event via CloudTrail',
};
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** The IAM service's CloudTrail event source (IAM is global; its events arrive in us-east-1, §5). */
export const IAM_EVENT_SOURCE = 'iam.amazonaws.com';
/** Where EventBridge delivers IAM events (§5). */
export const IAM_EVENTBRIDGE_REGION = 'us-east-1';

/** The EventBridge `source` of a CloudTrail event source: `iam.amazonaws.com` → `aws.iam` (§5). */
export function eventBridgeSource(eventSource: string): string {
  const service = eventSource.endsWith('.amazonaws.com')
    ? eventSource.slice(0, -'.amazonaws.com'.length)
    : eventSource;
  return `aws.${service}`;
}

/** Every CloudTrail event source where a key of any service is used (from `SERVICES`). */
export function keyEventSources(services: readonly KeyBearingService[] = SERVICES): string[] {
  return [...new Set(services.flatMap((s) => s.eventSources))];
}

/** True when a CloudTrail flag is set: the boolean `true` or the string `"true"` (§4: sinks differ). */
export function flagSet(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

/**
 * True when the call was made with an API key (bearer token): `additionalEventData.callWithBearerToken`
 * (bedrock) or `requestParameters.callWithBearerToken` (bedrock-mantle, Claude Platform), boolean or string.
 */
export function isBearerTokenCall(record: CloudTrailRecord): boolean {
  return (
    flagSet(field(record.additionalEventData, 'callWithBearerToken')) ||
    flagSet(field(record.requestParameters, 'callWithBearerToken'))
  );
}

/** The key-bearing service whose phantom-user prefix `userName` carries, if any. */
export function phantomServiceOf(userName: unknown): KeyBearingService | undefined {
  if (typeof userName !== 'string') return undefined;
  return SERVICES.find((s) => userName.startsWith(s.phantomUserPrefix));
}

/** True when the caller is an IAM user named like a phantom (`BedrockAPIKey-…`, `AeaApiKey-…`). */
export function isPhantomPrincipal(record: CloudTrailRecord): boolean {
  const id = record.userIdentity;
  return Boolean(id && id.type === 'IAMUser' && phantomServiceOf(id.userName));
}

/**
 * A stable identity for "who did it": the caller's ARN, else its principal id, else its access key
 * id; `unknown` when the record carries none (a state of its own, never merged with a real principal).
 */
export function principalOf(record: CloudTrailRecord): string {
  const id = record.userIdentity;
  if (!id) return 'unknown';
  return id.arn || id.principalId || id.accessKeyId || (id.type ? `type:${id.type}` : 'unknown');
}

const lookup = (names: readonly string[]) => new Set<string>(names);
const TAG_TABLES: readonly (readonly [EventTag, ReadonlySet<string>])[] = [
  ['invoke', lookup(INVOKE_EVENTS)],
  ['recon', lookup([...RECON_EVENTS, ...MODEL_ACCESS_EVENTS])],
  ['model-access', lookup(MODEL_ACCESS_EVENTS)],
  ['credential-creation', lookup(CREDENTIAL_CREATION_EVENTS)],
  ['persistence', lookup(PERSISTENCE_EVENTS)],
  ['privilege-escalation', lookup(PRIVILEGE_ESCALATION_EVENTS)],
  ['defense-evasion', lookup(DEFENSE_EVASION_EVENTS)],
  ['cost', lookup(COST_EVENTS)],
];
const DISCOVERY = lookup(DISCOVERY_EVENTS);

/**
 * The tags the timeline shows for an event (`recon`, `invoke`, `persistence`, …), from the same
 * tables the detection rules are built from. `bearer-token` when the call used an API key, `error`
 * when it failed; `discovery` for other read-only List/Get/Describe calls. Order is stable.
 */
export function tagEvent(record: CloudTrailRecord): EventTag[] {
  const name = typeof record.eventName === 'string' ? record.eventName : '';
  const tags: EventTag[] = [];
  for (const [tag, names] of TAG_TABLES) if (names.has(name)) tags.push(tag);
  if (tags.length === 0 && (DISCOVERY.has(name) || DISCOVERY_NAME_PREFIXES.some((p) => name.startsWith(p)))) {
    tags.push('discovery');
  }
  if (isBearerTokenCall(record)) {
    tags.push('bearer-token');
  }
  if (typeof record.errorCode === 'string' && record.errorCode !== '') tags.push('error');
  return tags;
}
