/**
 * The workflow's enrichment and revocation over `src/timeline` and `src/response`: an incident's
 * target becomes a timeline target (bounded window, configured regions, within a time budget) and
 * a revoke target (targeted: the one credential when its id is known), revocation runs through the
 * same plan-then-act path as `bks revoke-key` (deactivate only, reversible, recorded), then is
 * verified by reading the user again.
 */
import type { AwsContext } from '../aws';
import { parseLongTermAlias } from '../keys';
import type { RevokeTarget } from '../response/revoke';
import { runRevoke } from '../response/revoke-run';
import { readUserState, type UserState } from '../response/user-state';
import { SERVICES, serviceById } from '../services';
import { runTimeline, type TimelineTarget } from '../timeline/run';
import type { EnrichmentSummary, RevocationSummary } from './finding-content';
import type { Incident } from './incident';

export class RevokeError extends Error {
  override name = 'RevokeFailed';
}

function timelineTarget(incident: Incident): TimelineTarget {
  const t = incident.target;
  switch (t.kind) {
    case 'service-credential':
    case 'user':
      return { kind: 'user', label: t.userName, userName: t.userName, accessKeyIds: [], notes: [] };
    case 'access-key':
      return {
        kind: 'access-key',
        label: t.accessKeyId,
        userName: t.userName,
        accessKeyIds: [t.accessKeyId],
        notes: [],
      };
    case 'short-term':
      return { kind: 'short-term-key', label: t.accessKeyId, accessKeyIds: [t.accessKeyId], notes: [] };
  }
}

function withBudget<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function enrichIncident(
  aws: AwsContext,
  incident: Incident,
  opts: { regions: string[]; hours: number; budgetMs: number; now?: Date },
): Promise<EnrichmentSummary> {
  const errors: string[] = [];
  const out: EnrichmentSummary = { status: 'complete', errors };
  const days = Math.max(1, Math.ceil(opts.hours / 24));
  const [timeline, user] = await Promise.allSettled([
    withBudget(
      runTimeline(aws, timelineTarget(incident), {
        days,
        regions: opts.regions,
        ...(opts.now ? { now: opts.now } : {}),
      }),
      opts.budgetMs,
      'timeline',
    ),
    'userName' in incident.target
      ? readUserState(aws.iam(), incident.target.userName)
      : Promise.resolve(undefined),
  ]);
  if (timeline.status === 'fulfilled') {
    const s = timeline.value.summary;
    out.timeline = {
      events: s.events,
      regions: s.regions.filter((r) => r.events > 0).map((r) => r.region),
      ...(s.firstSeen ? { first: s.firstSeen } : {}),
      ...(s.lastSeen ? { last: s.lastSeen } : {}),
      sourceIps: s.sourceIps.map((c) => c.value),
      truncated: false,
    };
    if (s.failedRegions.length > 0) errors.push(`timeline UNKNOWN in ${s.failedRegions.join(', ')}`);
  } else {
    errors.push(`timeline: ${(timeline.reason as Error).message}`);
  }
  if (user.status === 'fulfilled') {
    const u = user.value as UserState | null | undefined;
    if (u === null) out.inventory = { userExists: false };
    else if (u) {
      out.inventory = {
        userExists: true,
        activeServiceCredentials: u.credentials.filter((c) => c.status === 'Active').length,
        activeAccessKeys: u.accessKeys.filter((k) => k.status === 'Active').length,
        attachedPolicies: u.attachedPolicies.map((p) => p.name),
      };
    }
  } else {
    errors.push(`inventory: ${(user.reason as Error).message}`);
  }
  if (errors.length > 0) out.status = out.timeline || out.inventory ? 'partial' : 'unavailable';
  return out;
}

/** The index IAM's alias gives a credential: `<user>-at-…` is 0, `<user>+N-at-…` is N. */
function credentialIndex(userName: string, alias: string | undefined): number {
  const m = alias
    ? new RegExp(`^${userName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\+(\\d+)-at-`).exec(alias)
    : null;
  return m ? Number(m[1]) : 0;
}

/**
 * The one key an analyst approved (by its alias): it must be a key of the incident's user in the
 * incident's account, or nothing is revoked.
 */
function approvedKeyTarget(incident: Incident, alias: string): RevokeTarget {
  const t = incident.target;
  const userName = 'userName' in t ? t.userName : undefined;
  let parts: ReturnType<typeof parseLongTermAlias> | undefined;
  try {
    parts = parseLongTermAlias(alias);
  } catch {
    parts = undefined;
  }
  if (!parts || parts.accountId !== incident.account || parts.userName !== userName) {
    throw new RevokeError(
      `the approved key ${alias} is not a key of ${userName ?? 'the incident principal'} in ${incident.account}: nothing revoked`,
    );
  }
  const service =
    ('service' in t && t.service ? serviceById(t.service) : undefined) ??
    SERVICES.find((s) => s.eventSources.includes(incident.eventSource)) ??
    SERVICES[0]!;
  return {
    kind: 'long-term',
    service,
    accountId: incident.account,
    userName: parts.userName,
    credentialIndex: parts.credentialIndex,
  };
}

async function revokeTarget(aws: AwsContext, incident: Incident, key?: string): Promise<RevokeTarget> {
  if (key) return approvedKeyTarget(incident, key);
  const t = incident.target;
  if (t.kind === 'service-credential' && t.credentialId) {
    const user = await readUserState(aws.iam(), t.userName);
    const cred = user?.credentials.find((c) => c.id === t.credentialId);
    const service =
      (t.service ? serviceById(t.service) : undefined) ??
      SERVICES.find((s) => s.sscServiceName === cred?.serviceName);
    if (user && cred && service) {
      return {
        kind: 'long-term',
        service,
        accountId: incident.account,
        userName: t.userName,
        credentialIndex: credentialIndex(t.userName, cred.alias ?? cred.serviceUserName),
      };
    }
    return { kind: 'user', userName: t.userName };
  }
  if (t.kind === 'short-term') {
    const service = SERVICES.find((s) => s.eventSources.includes(incident.eventSource)) ?? SERVICES[0]!;
    const issued = new Date(incident.eventTime);
    return {
      kind: 'short-term',
      service,
      accountId: incident.account,
      accessKeyId: t.accessKeyId,
      accessKeyType: t.accessKeyId.startsWith('AKIA') ? 'AKIA' : 'ASIA',
      region: incident.region,
      issuedAt: issued.toISOString(),
      expiresAt: new Date(issued.getTime() + 12 * 3600_000).toISOString(),
    };
  }
  return { kind: 'user', userName: t.userName };
}

/**
 * Revokes (or, on an approval timeout, contains: the same deactivation, labelled) the incident's
 * key. Deactivation only, never deletion: `bks restore` undoes it from the record.
 */
export async function revokeIncident(
  aws: AwsContext,
  incident: Incident,
  mode: 'revoke' | 'contain',
  opts: { recordDir: string; now?: Date; key?: string },
): Promise<RevocationSummary> {
  const target = await revokeTarget(aws, incident, mode === 'revoke' ? opts.key : undefined);
  const result = await runRevoke(aws, target, {
    // The detection and the analyst (or the policy) chose this key: act on it even when its user is
    // not a console phantom (API-created keys exist on any user).
    force: true,
    recordDir: opts.recordDir,
    gate: { show: () => undefined, confirm: async () => 'yes' },
    ...(opts.now ? { now: opts.now } : {}),
  });
  if (result.plan.refused) throw new RevokeError(`revocation refused: ${result.plan.refused}`);
  if (result.outcome === 'failed') {
    const failed = result.actions.find((a) => a.status === 'failed');
    throw new RevokeError(`revocation failed: ${failed?.error ?? 'a step failed'}`);
  }
  const actions = result.actions.filter((a) => a.status === 'done').map((a) => `${a.action} ${a.target}`);
  // Verify from fresh state: every credential and access key the plan touched is now inactive.
  let verified = true;
  if (target.kind !== 'short-term') {
    const after = await readUserState(aws.iam(), target.userName);
    const touched = result.plan.steps.map(
      (s) => s.params['ServiceSpecificCredentialId'] ?? s.params['AccessKeyId'],
    );
    for (const id of touched) {
      if (typeof id !== 'string') continue;
      const now =
        after?.credentials.find((c) => c.id === id)?.status ??
        after?.accessKeys.find((k) => k.id === id)?.status;
      if (now === 'Active') verified = false;
    }
    if (!verified)
      throw new RevokeError('revocation not verified: a deactivated credential still reads Active');
  }
  return { mode, actions, verified, at: (opts.now ?? new Date()).toISOString() };
}
