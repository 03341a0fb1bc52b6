/**
 * The workflow's enrichment and revocation over `src/timeline` and `src/response`: an incident's
 * target becomes a timeline target (bounded window, configured regions, within a time budget) and
 * a revoke target (targeted: the one credential when its id is known), revocation runs through the
 * same plan-then-act path as `bks revoke-key` (deactivate only, reversible, recorded), then is
 * verified by reading the user again.
 */
import { GetRolePolicyCommand, GetUserPolicyCommand } from '@aws-sdk/client-iam';
import type { AwsContext } from '../aws';
import { sessionCutoff } from '../response/policies';
import type { RecordTarget } from '../response/record';
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
      userAgents: s.userAgents.map((c) => c.value),
      calls: callsPerRegionAndModel(timeline.value.events),
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
        consolePassword: u.loginProfile,
        credentials: u.credentials.map((c) => ({
          id: c.id,
          ...((c.alias ?? c.serviceUserName) ? { alias: (c.alias ?? c.serviceUserName) as string } : {}),
          serviceName: c.serviceName,
          status: c.status,
          ...(c.createdAt ? { createdAt: c.createdAt } : {}),
          ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}),
        })),
      };
    }
  } else {
    errors.push(`inventory: ${(user.reason as Error).message}`);
  }
  if (errors.length > 0) out.status = out.timeline || out.inventory ? 'partial' : 'unavailable';
  return out;
}

/** Model calls of a timeline, per region and model, most first. */
function callsPerRegionAndModel(
  events: Array<{ region: string; modelId?: string }>,
): Array<{ region: string; model: string; count: number }> {
  const m = new Map<string, { region: string; model: string; count: number }>();
  for (const e of events) {
    if (!e.modelId) continue;
    const k = `${e.region} ${e.modelId}`;
    const c = m.get(k) ?? { region: e.region, model: e.modelId, count: 0 };
    c.count++;
    m.set(k, c);
  }
  return [...m.values()].sort((a, b) => b.count - a.count || a.region.localeCompare(b.region));
}

/** The index IAM's alias gives a credential: `<user>-at-…` is 0, `<user>+N-at-…` is N. */
function credentialIndex(userName: string, alias: string | undefined): number {
  const m = alias
    ? new RegExp(`^${userName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\+(\\d+)-at-`).exec(alias)
    : null;
  return m ? Number(m[1]) : 0;
}

/** What an analyst's approval covers (see `ApprovalDecision`). */
export interface ApprovedScope {
  scope?: 'credentials' | 'user';
  credentialIds?: string[];
}

function serviceOf(incident: Incident, serviceName?: string) {
  const t = incident.target;
  return (
    SERVICES.find((s) => serviceName !== undefined && s.sscServiceName === serviceName) ??
    ('service' in t && t.service ? serviceById(t.service) : undefined) ??
    SERVICES.find((s) => s.eventSources.includes(incident.eventSource)) ??
    SERVICES[0]!
  );
}

/**
 * The credentials an analyst approved, by id: each must be, now, a credential of the incident's
 * user in the incident's account, or nothing is revoked.
 */
async function approvedTargets(aws: AwsContext, incident: Incident, ids: string[]): Promise<RevokeTarget[]> {
  const t = incident.target;
  const userName = 'userName' in t ? t.userName : undefined;
  if (!userName || ids.length === 0) {
    throw new RevokeError(
      `the approval names credentials but the incident names no IAM user with credentials: nothing revoked`,
    );
  }
  const user = await readUserState(aws.iam(), userName);
  const targets: RevokeTarget[] = [];
  for (const id of ids) {
    const cred = user?.credentials.find((c) => c.id === id);
    if (!cred) {
      throw new RevokeError(
        `the approved credential ${id} is not a credential of ${userName} in ${incident.account}: nothing revoked`,
      );
    }
    targets.push({
      kind: 'long-term',
      service: serviceOf(incident, cred.serviceName),
      accountId: incident.account,
      userName,
      credentialIndex: credentialIndex(userName, cred.alias ?? cred.serviceUserName),
    });
  }
  return targets;
}

async function revokeTargets(
  aws: AwsContext,
  incident: Incident,
  approved: ApprovedScope,
): Promise<RevokeTarget[]> {
  const t = incident.target;
  if (approved.scope === 'credentials') return approvedTargets(aws, incident, approved.credentialIds ?? []);
  if (approved.scope === 'user') {
    if (!('userName' in t)) throw new RevokeError('the approval covers a user but the incident names none');
    return [{ kind: 'user', userName: t.userName }];
  }
  return [await revokeTarget(aws, incident)];
}

async function revokeTarget(aws: AwsContext, incident: Incident): Promise<RevokeTarget> {
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
 * key, or what the analyst's approval covers. Deactivation only, never deletion: `bks restore`
 * undoes it from the record. A revocation that changed nothing and found nothing already revoked
 * (the key named is absent, the user has no key) is never reported as containment: it throws, and
 * the workflow marks the finding for manual action.
 */
export async function revokeIncident(
  aws: AwsContext,
  incident: Incident,
  mode: 'revoke' | 'contain',
  /** `recordDir`: where each revocation's record goes (the pipeline: its S3 bucket). */
  opts: { recordDir: RecordTarget; now?: Date; approved?: ApprovedScope },
): Promise<RevocationSummary> {
  const targets = await revokeTargets(aws, incident, mode === 'revoke' ? (opts.approved ?? {}) : {});
  const actions: string[] = [];
  const records: string[] = [];
  let alreadyOut = 0;
  let verified = true;
  const absent: string[] = [];
  for (const target of targets) {
    const result = await runRevoke(aws, target, {
      // The detection and the analyst (or the policy) chose this key: act on it even when its user is
      // not a console phantom (API-created keys exist on any user).
      force: true,
      recordDir: opts.recordDir,
      gate: { show: () => undefined, confirm: async () => 'yes' },
      ...(opts.now ? { now: opts.now } : {}),
    });
    if (result.plan.refused) throw new RevokeError(`revocation refused: ${result.plan.refused}`);
    if (result.record) records.push(result.record);
    if (result.outcome === 'failed') {
      const failed = result.actions.find((a) => a.status === 'failed');
      const where = result.record ? ` (record: ${result.record})` : '';
      throw new RevokeError(`revocation failed: ${failed?.error ?? 'a step failed'}${where}`);
    }
    actions.push(...result.actions.filter((a) => a.status === 'done').map((a) => `${a.action} ${a.target}`));
    // Already out of use: the key itself (an access key left inactive elsewhere on the user is not).
    alreadyOut += result.plan.notes.filter(
      (n) => n.status === 'unchanged' && !n.target.includes(' access key '),
    ).length;
    absent.push(
      ...result.plan.notes.filter((n) => n.status === 'absent').map((n) => `${n.target}: ${n.message}`),
    );
    // Verify from fresh state: every credential and access key the plan touched is now inactive;
    // for a short-term key, the signer's deny policy now reads back with a cut-off after the key
    // was issued. A target with nothing to read back is reported unverified, never verified.
    if (target.kind === 'short-term') {
      if (!(await verifySessionDeny(aws, result.plan.steps, target.issuedAt))) verified = false;
    } else {
      const after = await readUserState(aws.iam(), target.userName);
      const touched = result.plan.steps.map(
        (s) => s.params['ServiceSpecificCredentialId'] ?? s.params['AccessKeyId'],
      );
      for (const id of touched) {
        if (typeof id !== 'string') continue;
        const now =
          after?.credentials.find((c) => c.id === id)?.status ??
          after?.accessKeys.find((k) => k.id === id)?.status;
        if (now === 'Active')
          throw new RevokeError('revocation not verified: a deactivated credential still reads Active');
      }
    }
  }
  if (actions.length === 0 && alreadyOut === 0) {
    throw new RevokeError(
      `nothing was changed and nothing was found already revoked${absent.length ? ` (${absent.join('; ')})` : ''}: the key is not contained by this workflow`,
    );
  }
  return {
    mode,
    actions,
    verified,
    at: (opts.now ?? new Date()).toISOString(),
    ...(records.length ? { records } : {}),
  };
}

/**
 * Re-reads the session deny policy the plan wrote on the signer (role or user) and checks that it
 * denies sessions issued at `issuedAt`. False when the plan wrote none (nothing to read back);
 * throws when the policy reads back missing or with an earlier cut-off.
 */
export async function verifySessionDeny(
  aws: AwsContext,
  steps: readonly { action: string; params: Record<string, unknown> }[],
  issuedAt: string,
): Promise<boolean> {
  const puts = steps.filter((st) => st.action === 'PutRolePolicy' || st.action === 'PutUserPolicy');
  for (const st of puts) {
    const PolicyName = String(st.params['PolicyName']);
    const out =
      st.action === 'PutRolePolicy'
        ? await aws
            .iam()
            .send(new GetRolePolicyCommand({ RoleName: String(st.params['RoleName']), PolicyName }))
        : await aws
            .iam()
            .send(new GetUserPolicyCommand({ UserName: String(st.params['UserName']), PolicyName }));
    const cutoff = sessionCutoff(out.PolicyDocument ? decodeURIComponent(out.PolicyDocument) : undefined);
    if (!cutoff || Date.parse(cutoff) <= Date.parse(issuedAt))
      throw new RevokeError(
        `revocation not verified: ${PolicyName} does not read back denying sessions issued at ${issuedAt}`,
      );
  }
  return puts.length > 0;
}
