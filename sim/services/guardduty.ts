/**
 * Amazon GuardDuty (REST-JSON, camelCase members on the wire): ListDetectors and GetDetector,
 * answered from the account's `guardDuty.detectors` (GetDetector's answers in SDK member names, each
 * with its `DetectorId` and an optional `Region`; without `Region` a detector exists in every region
 * of the account). Without `guardDuty`, no region has a detector.
 *
 * Findings, live: `POST /_sim/guardduty/findings` raises a finding as a detector would — an AI
 * Protection finding about a Bedrock caller such as `Impact:IAMUser/AnomalousModelInvocation`
 * ("GuardDuty AI Protection finding types": resource type `AccessKey`, naming the IAM identity that
 * invoked the model) — and GuardDuty publishes it to EventBridge as it does every new finding: a
 * "GuardDuty Finding" event, source `aws.guardduty`, on the default bus of the finding's account and
 * region, whose detail is the finding in GuardDuty's finding format. Only where an ENABLED detector
 * covers that region (no detector, no findings, as on AWS). `GET /_sim/guardduty/findings` lists
 * what was raised.
 */
import { randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import type { SimDetector } from '../detection';
import { publishServiceEvent } from './events';

function detectorsIn(ctx: SimContext, req: SimRequest): SimDetector[] {
  const account = ctx.account(req.caller.account);
  return (account.guardDuty?.detectors ?? []).filter((d) =>
    d.Region === undefined ? account.regions.includes(req.region) : d.Region === req.region,
  );
}

/** SDK member names → the wire's camelCase (map keys such as tags are left alone). */
function wire(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => wire(v));
  if (value && typeof value === 'object') {
    if (key === 'Tags' || key === 'tags') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k.charAt(0).toLowerCase() + k.slice(1)] = wire(v, k);
    }
    return out;
  }
  return value;
}

function listDetectors(ctx: SimContext, req: SimRequest): unknown {
  const max = req.query.get('maxResults');
  if (max !== null && (!/^\d+$/.test(max) || Number(max) < 1 || Number(max) > 50)) {
    throw new SimError(
      'BadRequestException',
      'The request is rejected because maxResults is out of range.',
      400,
    );
  }
  return { detectorIds: detectorsIn(ctx, req).map((d) => d.DetectorId) };
}

function getDetector(ctx: SimContext, req: SimRequest): unknown {
  const id = req.pathParams.DetectorId;
  const d = detectorsIn(ctx, req).find((x) => x.DetectorId === id);
  if (!d) {
    throw new SimError(
      'BadRequestException',
      'The request is rejected because the input detectorId is not owned by the current account.',
      400,
    );
  }
  const { DetectorId: _id, Region: _r, ...answer } = d;
  return wire({
    CreatedAt: ctx.state.now,
    UpdatedAt: ctx.state.now,
    FindingPublishingFrequency: 'SIX_HOURS',
    ServiceRole: `arn:${ctx.state.partition}:iam::${req.caller.account}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
    ...answer,
  });
}

const FINDING_TYPE = /^[A-Za-z]+:[A-Za-z0-9]+\/[A-Za-z0-9.!-]+$/;
const USER_TYPES = ['IAMUser', 'AssumedRole', 'Root', 'FederatedUser'];

function field(input: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = input[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '')
    throw new SimError('ValidationException', `${name} must be a non-empty string`, 400);
  return v;
}

/** The findings raised so far (all accounts), oldest first. */
function raised(ctx: SimContext): Record<string, unknown>[] {
  let list = ctx.scratch.get('guardduty:findings') as Record<string, unknown>[] | undefined;
  if (!list) {
    list = [];
    ctx.scratch.set('guardduty:findings', list);
  }
  return list;
}

/**
 * `POST /_sim/guardduty/findings` `{account, region?, type, userName, userType?, accessKeyId?,
 * principalId?, severity?, api?}`: the finding, and its "GuardDuty Finding" event on the default bus.
 */
function raiseFinding(ctx: SimContext, input: Record<string, unknown>): unknown {
  const accountId = field(input, 'account', true)!;
  const account = ctx.state.accounts.find((a) => a.id === accountId);
  if (!account) throw new SimError('ValidationException', `account ${accountId} is not in the scenario`, 400);
  const region = field(input, 'region', false) ?? account.regions[0]!;
  const type = field(input, 'type', true)!;
  if (!FINDING_TYPE.test(type))
    throw new SimError(
      'ValidationException',
      `type ${type} is not a GuardDuty finding type (ThreatPurpose:ResourceType/ThreatName)`,
      400,
    );
  const userName = field(input, 'userName', true)!;
  const userType = field(input, 'userType', false) ?? 'IAMUser';
  if (!USER_TYPES.includes(userType))
    throw new SimError('ValidationException', `userType must be one of ${USER_TYPES.join(', ')}`, 400);
  const severity = input.severity ?? 5;
  if (typeof severity !== 'number' || severity < 1 || severity > 10)
    throw new SimError('ValidationException', 'severity must be a number from 1 to 10', 400);
  const detector = (account.guardDuty?.detectors ?? []).find(
    (d) =>
      (d.Region === undefined ? account.regions.includes(region) : d.Region === region) &&
      d.Status !== 'DISABLED',
  );
  if (!detector)
    throw new SimError(
      'BadRequestException',
      `no enabled GuardDuty detector in ${accountId} ${region}: GuardDuty raises no findings there`,
      400,
    );
  const user =
    userType === 'IAMUser'
      ? account.users.find((u) => u.name.toLowerCase() === userName.toLowerCase())
      : undefined;
  const accessKeyId = field(input, 'accessKeyId', false);
  const principalId = field(input, 'principalId', false) ?? user?.id;
  const id = randomUUID().replaceAll('-', '');
  const now = ctx.now().toISOString();
  const partition = ctx.state.partition;
  const finding = {
    schemaVersion: '2.0',
    accountId,
    region,
    partition,
    id,
    arn: `arn:${partition}:guardduty:${region}:${accountId}:detector/${detector.DetectorId}/finding/${id}`,
    type,
    resource: {
      resourceType: 'AccessKey',
      accessKeyDetails: {
        ...(accessKeyId ? { accessKeyId } : {}),
        ...(principalId ? { principalId } : {}),
        userName,
        userType,
      },
    },
    service: {
      serviceName: 'guardduty',
      detectorId: detector.DetectorId,
      action: {
        actionType: 'AWS_API_CALL',
        awsApiCallAction: {
          api: field(input, 'api', false) ?? 'InvokeModel',
          serviceName: 'bedrock.amazonaws.com',
        },
      },
      resourceRole: 'TARGET',
      eventFirstSeen: now,
      eventLastSeen: now,
      archived: false,
      count: 1,
    },
    severity,
    createdAt: now,
    updatedAt: now,
    title: `GuardDuty ${type}`,
    description: `Raised by bks-sim: ${type} on ${userType} ${userName}.`,
  };
  raised(ctx).push(finding);
  publishServiceEvent(ctx, {
    version: '0',
    id: randomUUID(),
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: accountId,
    time: now.replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [],
    detail: finding,
  });
  return { finding };
}

export const guardduty: ServiceModule = {
  service: 'guardduty',
  protocol: 'rest-json',
  throttlingCode: 'ThrottlingException',
  eventSource: 'guardduty.amazonaws.com',
  actions: { ListDetectors: listDetectors, GetDetector: getDetector },
  route: (method, path) => {
    if (method.toUpperCase() !== 'GET') return undefined;
    if (path === '/detector') return { action: 'ListDetectors', pathParams: {} as Record<string, string> };
    const m = /^\/detector\/([^/]+)$/.exec(path);
    return m ? { action: 'GetDetector', pathParams: { DetectorId: decodeURIComponent(m[1]!) } } : undefined;
  },
  // Reads only: not recorded (as for the other services of the simulator).
  management: () => undefined,
  control: {
    'POST /_sim/guardduty/findings': raiseFinding,
    'GET /_sim/guardduty/findings': (ctx) => ({ findings: raised(ctx) }),
  },
};
