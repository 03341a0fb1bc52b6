/**
 * Normalization: one detection match (a rule id and the EventBridge envelope of a CloudTrail
 * record, or a threshold event from the stateful consumer) becomes an `Incident`: who acted, which
 * key or user is at stake, where and when. Pure; malformed input throws `MalformedEventError`, which
 * the response workflow routes to its dead-letter queue and a Fail state without any retry.
 */

import { isSeverity, type Severity } from '../findings/severity';
import { maskKeysDeep } from '../keys/mask';
import { SERVICES, type ServiceId, serviceBySscName } from '../services';
import { partitionOfRegion } from './rules';

export { SEVERITIES, type Severity } from '../findings/severity';

/** `source` and `detail-type` of the events the stateful consumer puts back on the bus. */
export const THRESHOLD_EVENT_SOURCE = 'bks.detect';
export const THRESHOLD_EVENT_DETAIL_TYPE = 'Bedrock Key Threshold Crossed';

/** What the dispatcher starts the workflow with. */
export interface PipelineInput {
  ruleId: string;
  severity: Severity;
  event: unknown;
}

/** The thing to contain: a long-term key (SSC), an access key, a short-term key's signer, or a user. */
export type KeyTarget =
  | { kind: 'service-credential'; userName: string; credentialId?: string; service?: ServiceId }
  | { kind: 'access-key'; userName: string; accessKeyId: string }
  | { kind: 'short-term'; accessKeyId: string; signerArn: string }
  | { kind: 'user'; userName: string };

export interface Principal {
  type: string;
  arn: string;
  userName?: string;
  accessKeyId?: string;
  /** For assumed-role sessions: the role's ARN (with its path), from `sessionContext.sessionIssuer`. */
  roleArn?: string;
}

export interface Incident {
  /** `<ruleId>:<eventId>`, unique per detection match. */
  incidentId: string;
  ruleId: string;
  severity: Severity;
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: string;
  account: string;
  region: string;
  partition: string;
  sourceIp?: string;
  principal: Principal;
  target: KeyTarget;
  /** For threshold events: how many matching events in how many seconds. */
  threshold?: { count: number; windowSeconds: number; regions?: string[] };
  /**
   * For a GuardDuty finding: the finding, and the rule that matched it when the incident was
   * correlated with the named key's own rule (its `ruleId` is then that rule's).
   */
  guardDuty?: { findingId: string; findingType: string; matchedRule: string };
}

export class MalformedEventError extends Error {
  override name = 'MalformedEvent';
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function need(v: string | undefined, what: string): string {
  if (v === undefined) throw new MalformedEventError(`malformed event: missing ${what}`);
  return v;
}

const ACCOUNT = /^\d{12}$/;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;

/** The partition of the actor's ARN, else of the region (`us-gov-…`, `cn-…`). */
function partitionOf(arn: string | undefined, region: string): string {
  const m = arn ? /^arn:(aws(?:-[a-z]+)*):/.exec(arn) : null;
  return m?.[1] ?? partitionOfRegion(region);
}

function isTrue(v: unknown): boolean {
  return v === true || v === 'true';
}

/** Which key or user the event is about (never any secret: the records carry none). */
export function targetOf(detail: Json, principal: Principal): KeyTarget {
  const req = obj(detail['requestParameters']) ?? {};
  const resp = obj(detail['responseElements']) ?? {};
  const event = str(detail['eventName']) ?? '';
  const ssc = obj(resp['serviceSpecificCredential']);
  if (ssc || event.endsWith('ServiceSpecificCredential')) {
    const userName = need(str(ssc?.['userName']) ?? str(req['userName']) ?? principal.userName, 'userName');
    const serviceName = str(ssc?.['serviceName']) ?? str(req['serviceName']);
    const service = serviceName ? serviceBySscName(serviceName)?.id : undefined;
    const credentialId = str(ssc?.['serviceSpecificCredentialId']) ?? str(req['serviceSpecificCredentialId']);
    return {
      kind: 'service-credential',
      userName,
      ...(credentialId ? { credentialId } : {}),
      ...(service ? { service } : {}),
    };
  }
  const accessKey = obj(resp['accessKey']);
  if (accessKey) {
    return {
      kind: 'access-key',
      userName: need(str(accessKey['userName']) ?? str(req['userName']), 'userName'),
      accessKeyId: need(str(accessKey['accessKeyId']), 'accessKeyId'),
    };
  }
  const ad = obj(detail['additionalEventData']) ?? {};
  const bearer = isTrue(ad['callWithBearerToken']) || isTrue(req['callWithBearerToken']);
  if (bearer) {
    const tokenType = str(req['bearerTokenType']);
    // A long-term key acts as the IAM user that owns it; a short-term key as its signer.
    if (principal.type === 'IAMUser' && tokenType !== 'SHORT_TERM' && principal.userName) {
      return { kind: 'service-credential', userName: principal.userName };
    }
    return {
      kind: 'short-term',
      accessKeyId: need(principal.accessKeyId, 'userIdentity.accessKeyId'),
      signerArn: principal.arn,
    };
  }
  const userName = str(req['userName']) ?? str(obj(resp['user'])?.['userName']);
  if (userName) return { kind: 'user', userName };
  if (principal.type === 'IAMUser' && principal.userName)
    return { kind: 'user', userName: principal.userName };
  throw new MalformedEventError(
    `malformed event: cannot tell which key or user ${event || 'the event'} concerns`,
  );
}

function principalOf(detail: Json): Principal {
  const ui = obj(detail['userIdentity']);
  if (!ui) throw new MalformedEventError('malformed event: missing userIdentity');
  const type = need(str(ui['type']), 'userIdentity.type');
  const arn = str(ui['arn']) ?? str(ui['principalId']) ?? type;
  const userName = str(ui['userName']);
  const accessKeyId = str(ui['accessKeyId']);
  const roleArn = str(obj(obj(ui['sessionContext'])?.['sessionIssuer'])?.['arn']);
  return {
    type,
    arn,
    ...(userName ? { userName } : {}),
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(roleArn ? { roleArn } : {}),
  };
}

/** A CloudTrail record (the `detail` of an EventBridge envelope) plus rule metadata → Incident. */
export function incidentFromRecord(
  ruleId: string,
  severity: Severity,
  detail: Json,
  envelope?: Json,
): Incident {
  const eventId = need(str(detail['eventID']), 'detail.eventID');
  const eventName = need(str(detail['eventName']), 'detail.eventName');
  const eventSource = need(str(detail['eventSource']), 'detail.eventSource');
  const eventTime = need(str(detail['eventTime']), 'detail.eventTime');
  if (Number.isNaN(Date.parse(eventTime)))
    throw new MalformedEventError('malformed event: bad detail.eventTime');
  const principal = principalOf(detail);
  const account = need(
    str(detail['recipientAccountId']) ??
      str(envelope?.['account']) ??
      str(obj(detail['userIdentity'])?.['accountId']),
    'account',
  );
  if (!ACCOUNT.test(account)) throw new MalformedEventError('malformed event: account is not 12 digits');
  const region = need(str(detail['awsRegion']) ?? str(envelope?.['region']), 'awsRegion');
  const target = targetOf(detail, principal);
  if ('userName' in target && !USER_NAME.test(target.userName)) {
    throw new MalformedEventError('malformed event: user name is not a valid IAM user name');
  }
  const sourceIp = str(detail['sourceIPAddress']);
  return {
    incidentId: `${ruleId}:${eventId}`,
    ruleId,
    severity,
    eventId,
    eventName,
    eventSource,
    eventTime: new Date(eventTime).toISOString(),
    account,
    region,
    partition: partitionOf(principal.arn, region),
    ...(sourceIp ? { sourceIp } : {}),
    principal,
    target,
  };
}

/**
 * The workflow's first step. Accepts `{ruleId, severity, event}` where `event` is the EventBridge
 * envelope of a CloudTrail record or of a threshold event (`source` `bks.detect`, whose detail
 * carries the rule id, the count and the last matching record).
 */
export function normalize(input: unknown): Incident {
  const root = obj(input);
  if (!root) throw new MalformedEventError('malformed event: input is not an object');
  const ruleId = need(str(root['ruleId']), 'ruleId');
  if (!RULE_ID.test(ruleId)) throw new MalformedEventError('malformed event: bad ruleId');
  const severity = root['severity'];
  if (!isSeverity(severity)) throw new MalformedEventError('malformed event: bad severity');
  const envelope = obj(root['event']);
  if (!envelope) throw new MalformedEventError('malformed event: missing event');
  const raw = obj(envelope['detail']);
  if (!raw) throw new MalformedEventError('malformed event: missing event.detail');
  // A key a caller put in any field (user agent, source address, parameters) never reaches a
  // finding, a note or a notification.
  const detail = maskKeysDeep(raw);
  if (envelope['source'] === THRESHOLD_EVENT_SOURCE) {
    const sample = obj(detail['sample']);
    const count = detail['count'];
    const windowSeconds = detail['windowSeconds'];
    if (!sample || typeof count !== 'number' || typeof windowSeconds !== 'number') {
      throw new MalformedEventError('malformed event: threshold event needs sample, count and windowSeconds');
    }
    const regions = Array.isArray(detail['regions'])
      ? detail['regions'].filter((r) => typeof r === 'string')
      : [];
    const base = incidentFromRecord(ruleId, severity, sample, envelope);
    // One threshold crossing per rule, principal and window: the envelope id names it.
    const id = need(str(envelope['id']), 'event.id');
    return {
      ...base,
      incidentId: `${ruleId}:${id}`,
      eventId: id,
      threshold: { count, windowSeconds, ...(regions.length ? { regions } : {}) },
    };
  }
  if (envelope['source'] === GUARDDUTY_SOURCE) return incidentFromGuardDuty(ruleId, severity, detail);
  return incidentFromRecord(ruleId, severity, detail, envelope);
}

/** `source` of GuardDuty findings on EventBridge. */
export const GUARDDUTY_SOURCE = 'aws.guardduty';

/**
 * A GuardDuty finding naming an access key (AI Protection's model-invocation findings have resource
 * type AccessKey) → the incident of the key or user it names. On a phantom user of a key-bearing
 * service the incident is that user's bearer-use incident (`BKS-010-<SERVICE>`): the same dispatch
 * gate and the same deterministic finding, so a CloudTrail match and a GuardDuty finding on one key
 * make one incident and one finding, not two alerts.
 */
export function incidentFromGuardDuty(matchedRule: string, severity: Severity, detail: Json): Incident {
  const findingId = need(str(detail['id']), 'detail.id');
  const findingType = need(str(detail['type']), 'detail.type');
  const account = need(str(detail['accountId']), 'detail.accountId');
  if (!ACCOUNT.test(account)) throw new MalformedEventError('malformed event: account is not 12 digits');
  const region = need(str(detail['region']), 'detail.region');
  const partition = str(detail['partition']) ?? partitionOfRegion(region);
  const eventTime = need(str(detail['updatedAt']) ?? str(detail['createdAt']), 'detail.updatedAt');
  if (Number.isNaN(Date.parse(eventTime)))
    throw new MalformedEventError('malformed event: bad detail.updatedAt');
  const key = obj(obj(detail['resource'])?.['accessKeyDetails']);
  if (!key)
    throw new MalformedEventError(
      'malformed event: the finding names no access key (resource.accessKeyDetails)',
    );
  const userType = need(str(key['userType']), 'accessKeyDetails.userType');
  const userName = need(str(key['userName']), 'accessKeyDetails.userName');
  if (!USER_NAME.test(userName))
    throw new MalformedEventError('malformed event: user name is not a valid IAM name');
  const accessKeyId = str(key['accessKeyId']);
  const principalId = str(key['principalId']);
  let principal: Principal;
  let target: KeyTarget;
  let ruleId = matchedRule;
  if (userType === 'IAMUser') {
    principal = {
      type: 'IAMUser',
      arn: `arn:${partition}:iam::${account}:user/${userName}`,
      userName,
      ...(accessKeyId ? { accessKeyId } : {}),
    };
    const service = SERVICES.find((sv) => userName.startsWith(sv.phantomUserPrefix));
    if (service) {
      target = { kind: 'service-credential', userName, service: service.id };
      ruleId = `BKS-010-${service.id.toUpperCase()}`;
    } else if (accessKeyId?.startsWith('AKIA')) {
      target = { kind: 'access-key', userName, accessKeyId };
    } else {
      target = { kind: 'user', userName };
    }
  } else if (userType === 'AssumedRole' && accessKeyId) {
    const session = principalId?.split(':')[1] ?? 'session';
    const roleArn = `arn:${partition}:iam::${account}:role/${userName}`;
    principal = {
      type: 'AssumedRole',
      arn: `arn:${partition}:sts::${account}:assumed-role/${userName}/${session}`,
      accessKeyId,
      roleArn,
    };
    target = { kind: 'short-term', accessKeyId, signerArn: principal.arn };
  } else {
    throw new MalformedEventError(
      `malformed event: GuardDuty names a ${userType} identity, not a key or user`,
    );
  }
  return {
    incidentId: `${ruleId}:${findingId}`,
    ruleId,
    severity,
    eventId: findingId,
    eventName: findingType,
    eventSource: 'guardduty.amazonaws.com',
    eventTime: new Date(eventTime).toISOString(),
    account,
    region,
    partition,
    principal,
    target,
    guardDuty: { findingId, findingType, matchedRule },
  };
}

/**
 * Step Functions execution name for a detection match: ≤ 80 characters of `[A-Za-z0-9_-]`, the
 * same for the same rule and CloudTrail event so a redelivered event starts no second execution.
 */
export function executionName(ruleId: string, eventId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${clean(ruleId).slice(0, 36)}-${clean(eventId)}`.slice(0, 80);
}

/** A short, stable, secret-free name for the target, for titles and notes. */
export function describeTarget(t: KeyTarget): string {
  switch (t.kind) {
    case 'service-credential': {
      const svc = t.service ? SERVICES.find((s) => s.id === t.service)?.displayName : undefined;
      const label = svc ? `${svc} API key` : 'API key';
      return `${label} ${t.credentialId ?? '(long-term)'} of IAM user ${t.userName}`;
    }
    case 'access-key':
      return `access key ${t.accessKeyId} of IAM user ${t.userName}`;
    case 'short-term':
      return `short-term API keys signed with ${t.accessKeyId} (${t.signerArn})`;
    case 'user':
      return `IAM user ${t.userName}`;
  }
}

/**
 * The execution name for a dispatcher input: from the CloudTrail event id (threshold events: the
 * envelope id). Input without either still gets a name (from the envelope id or `unknown`), so the
 * workflow itself sends it to the dead-letter queue.
 */
export function executionNameFor(input: unknown): string {
  const root = obj(input) ?? {};
  const envelope = obj(root['event']) ?? {};
  const detail = obj(envelope['detail']) ?? {};
  const ruleId = str(root['ruleId']) ?? 'unknown-rule';
  const eventId =
    envelope['source'] === THRESHOLD_EVENT_SOURCE
      ? str(envelope['id'])
      : envelope['source'] === GUARDDUTY_SOURCE
        ? (str(detail['id']) ?? str(envelope['id']))
        : (str(detail['eventID']) ?? str(envelope['id']));
  return executionName(ruleId, eventId ?? 'unknown-event');
}
