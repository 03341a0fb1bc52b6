/**
 * Which rules the canary must fire, derived from the rule set rather than listed by hand: the
 * CloudTrail records the canary's calls produce (in the shape CloudTrail documents for them, see
 * detections/samples/) are matched against every rule's EventBridge pattern, as the forwarders and
 * the central rules match them. A stateless rule that matches a record of the canary's creation or
 * bearer call is expected to fire; one that matches none must stay silent (e.g. the key-age rules
 * for the canary's 1-day key, or the policy rules for the managed policy every phantom has); a
 * stateful rule cannot be crossed by one call and is "not exercised".
 */
import { matches } from '../detect/pattern';
import { envelopeOf } from '../detect/rules';
import type { PipelineRule } from '../pipeline/rules';

export type CallRole = 'create' | 'bearer' | 'cleanup';

export interface PredictedCall {
  eventName: string;
  role: CallRole;
  region: string;
  record: Record<string, unknown>;
}

export interface CanaryPlan {
  partition: string;
  account: string;
  /** The caller's ARN (from GetCallerIdentity): who creates the canary. */
  callerArn: string;
  userName: string;
  /** IAM's region in the partition (where IAM's events reach EventBridge). */
  iamRegion: string;
  /** Where the bearer call goes. */
  region: string;
  modelId: string;
  policyArn: string;
  serviceName: string;
  credentialAgeDays: number;
}

function callerIdentity(arn: string, account: string): Record<string, unknown> {
  if (/:assumed-role\//.test(arn)) return { type: 'AssumedRole', arn, accountId: account };
  if (/:root$/.test(arn)) return { type: 'Root', arn, accountId: account };
  const userName = /:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  return { type: 'IAMUser', arn, accountId: account, ...(userName ? { userName } : {}) };
}

/** The records CloudTrail writes for the canary's calls (the fields the rules can look at). */
export function predictedCalls(p: CanaryPlan): PredictedCall[] {
  const iam = (eventName: string, role: CallRole, req: Record<string, unknown>, res: unknown = null) => ({
    eventName,
    role,
    region: p.iamRegion,
    record: {
      eventVersion: '1.11',
      userIdentity: callerIdentity(p.callerArn, p.account),
      eventSource: 'iam.amazonaws.com',
      eventName,
      awsRegion: p.iamRegion,
      requestParameters: req,
      responseElements: res,
      eventID: `predicted-${eventName}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: p.account,
      eventCategory: 'Management',
    },
  });
  const u = { userName: p.userName };
  return [
    iam('CreateUser', 'create', { ...u, tags: [{ key: 'bks:selftest', value: 'canary' }] }, { user: u }),
    iam('AttachUserPolicy', 'create', { ...u, policyArn: p.policyArn }),
    iam(
      'CreateServiceSpecificCredential',
      'create',
      { ...u, serviceName: p.serviceName, credentialAgeDays: p.credentialAgeDays },
      {
        serviceSpecificCredential: {
          ...u,
          serviceName: p.serviceName,
          status: 'Active',
          expirationDate: 'in 1 day',
        },
      },
    ),
    {
      eventName: 'InvokeModel',
      role: 'bearer',
      region: p.region,
      record: {
        eventVersion: '1.11',
        userIdentity: {
          type: 'IAMUser',
          arn: `arn:${p.partition}:iam::${p.account}:user/${p.userName}`,
          accountId: p.account,
          userName: p.userName,
        },
        eventSource: 'bedrock.amazonaws.com',
        eventName: 'InvokeModel',
        awsRegion: p.region,
        requestParameters: { modelId: p.modelId },
        responseElements: null,
        additionalEventData: { callWithBearerToken: true },
        eventID: 'predicted-InvokeModel',
        readOnly: true,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: p.account,
        eventCategory: 'Management',
      },
    },
    iam('DeleteServiceSpecificCredential', 'cleanup', { ...u, serviceSpecificCredentialId: 'ACCA' }),
    iam('DetachUserPolicy', 'cleanup', { ...u, policyArn: p.policyArn }),
    iam('DeleteUser', 'cleanup', u),
  ];
}

export interface Expectation {
  rule: PipelineRule;
  kind: 'fire' | 'silent' | 'not-exercised';
  /** The call that fires it (fire), or why it is not exercised. */
  call?: PredictedCall;
  why?: string;
}

/** What each rule must do when the canary runs. */
export function expectations(rules: readonly PipelineRule[], calls: readonly PredictedCall[]): Expectation[] {
  return rules.map((rule) => {
    const hits = calls.filter((c) => matches(rule.pattern, envelopeOf(c.record as never)));
    if (rule.kind === 'stateful') {
      const s = rule.stateful;
      return {
        rule,
        kind: 'not-exercised',
        why: `stateful (${s ? `${s.type} ≥ ${s.threshold} within ${s.windowSeconds} s` : 'windowed'}): one canary call cannot cross its threshold`,
      };
    }
    const firing = hits.find((c) => c.role !== 'cleanup');
    if (firing) return { rule, kind: 'fire', call: firing };
    if (hits.length > 0) {
      return {
        rule,
        kind: 'not-exercised',
        call: hits[0]!,
        why: `matches only the canary's cleanup (${hits[0]!.eventName}), which selftest does not wait for`,
      };
    }
    return { rule, kind: 'silent' };
  });
}
