/**
 * Amazon GuardDuty (REST-JSON, camelCase members on the wire): ListDetectors and GetDetector,
 * answered from the account's `guardDuty.detectors` (GetDetector's answers in SDK member names, each
 * with its `DetectorId` and an optional `Region`; without `Region` a detector exists in every region
 * of the account). Without `guardDuty`, no region has a detector.
 */
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import type { SimDetector } from '../detection';

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
};
