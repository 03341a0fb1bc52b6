/**
 * The inventory's verdict (src/inventory `classify`) on a freshly read user. Cleanup asks it twice
 * per user — at plan time and right before the first change — so the rule that decides ORPHANED
 * is the scan's rule, never a second copy of it.
 */
import { type Classification, classify, readOk } from '../inventory';
import { type KeyBearingService, SERVICES } from '../services';
import type { UserState } from './user-state';

export function classifyState(user: UserState, service: KeyBearingService, now: Date): Classification {
  return classify(
    {
      service,
      userName: user.userName,
      details: readOk({
        userName: user.userName,
        arn: user.arn,
        path: user.path,
        createdAt: user.createdAt ?? null,
        managedPolicyArns: user.attachedPolicies.map((p) => p.arn),
        inlinePolicyNames: user.inlinePolicies.map((p) => p.name),
        groups: user.groups,
        permissionsBoundaryArn: user.permissionsBoundary ?? null,
        tags: Object.fromEntries(user.tags.map((t) => [t.Key, t.Value])),
      }),
      credentials: readOk(
        user.credentials
          .filter((c) => c.serviceName === service.sscServiceName)
          .map((c) => ({
            id: c.id,
            status: c.status,
            createdAt: c.createdAt ?? null,
            expiresAt: c.expiresAt ?? null,
          })),
      ),
      accessKeys: readOk(
        user.accessKeys.map((k) => ({
          id: k.id,
          status: k.status as 'Active' | 'Inactive',
          createdAt: k.createdAt ?? null,
        })),
      ),
      login: readOk({ passwordEnabled: user.loginProfile, mfaActive: user.mfaDevices.length > 0 }),
    },
    { now },
  );
}

/** Undefined when the user is an ORPHANED phantom for every service it is a phantom of. */
export function notOrphanedReason(user: UserState, now: Date): string | undefined {
  let phantom = false;
  for (const service of SERVICES) {
    const c = classifyState(user, service, now);
    if (!c.phantom) continue;
    phantom = true;
    if (c.status !== 'ORPHANED')
      return `${service.id}: ${c.status}${c.reasons[0] ? ` (${c.reasons[0]})` : ''}`;
  }
  return phantom ? undefined : 'not a phantom API-key user';
}
