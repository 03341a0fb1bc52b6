/**
 * The incident report: everything the incident lead needs about one user or key, gathered once
 * and rendered as markdown, self-contained HTML or JSON (./render). It reads: the user's full IAM
 * state, the last use of each access key, who created the user, its keys and its access keys
 * (CloudTrail, IAM's events are in the partition's home region), the timeline across regions, and
 * the inventory's verdict on the user (the same classification `scan` and `cleanup` use).
 */
import { paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { GetAccessKeyLastUsedCommand } from '@aws-sdk/client-iam';
import type { AwsContext } from '../aws';
import { describeError } from '../errors';
import { maskKeysDeep } from '../keys/mask';
import { classifyState } from '../response/classify-state';
import { DENY_POLICY_NAME, SESSION_POLICY_NAME } from '../response/policies';
import { phantomServices } from '../response/revoke';
import { findSigner } from '../response/signer';
import { readUserState, type UserState } from '../response/user-state';
import { SERVICES } from '../services';
import {
  resolveTimelineTarget,
  runTimeline,
  type TimelineResult,
  type TimelineTarget,
} from '../timeline/run';
import { callsPerHour } from '../timeline/summary';

export interface CreationEvent {
  what: string;
  eventName: string;
  time: string;
  by: string;
  sourceIp?: string;
  userAgent?: string;
  region: string;
}

export interface RiskItem {
  level: 'high' | 'medium' | 'low' | 'info';
  reason: string;
}

export interface IncidentReport {
  generatedAt: string;
  accountId: string;
  partition: string;
  target: TimelineTarget;
  user?: UserState & { phantomOf: string[] };
  signer?: { kind: string; arn?: string; name?: string };
  accessKeys: {
    id: string;
    status: string;
    createdAt?: string;
    lastUsedAt?: string;
    lastUsedService?: string;
    lastUsedRegion?: string;
  }[];
  creation: CreationEvent[];
  creationLookupError?: string;
  classification: { service: string; status: string; reasons: string[] }[];
  timeline: TimelineResult;
  callsPerHour: { hour: string; region: string; count: number }[];
  risk: { level: RiskItem['level']; items: RiskItem[] };
  commands: { purpose: string; command: string }[];
  notes: string[];
}

const CREATION_EVENTS: {
  eventName: string;
  what: string;
  matches: (params: Record<string, unknown>, user: string) => boolean;
}[] = [
  { eventName: 'CreateUser', what: 'user created', matches: (p, u) => p.userName === u },
  {
    eventName: 'CreateServiceSpecificCredential',
    what: 'API key created',
    matches: (p, u) => p.userName === u,
  },
  { eventName: 'CreateAccessKey', what: 'IAM access key created', matches: (p, u) => p.userName === u },
  { eventName: 'CreateLoginProfile', what: 'console password set', matches: (p, u) => p.userName === u },
  { eventName: 'AttachUserPolicy', what: 'policy attached', matches: (p, u) => p.userName === u },
];

/** Who created the user and its credentials: IAM events, in the partition's home region. */
async function creationEvents(aws: AwsContext, userName: string, start: Date): Promise<CreationEvent[]> {
  const ct = aws.cloudtrail(aws.homeRegion);
  const out: CreationEvent[] = [];
  for (const c of CREATION_EVENTS) {
    const input = {
      LookupAttributes: [{ AttributeKey: 'EventName' as const, AttributeValue: c.eventName }],
      StartTime: start,
      MaxResults: 50,
    };
    for await (const r of paginateLookupEvents({ client: ct }, input)) {
      for (const e of r.Events ?? []) {
        let rec: Record<string, unknown> = {};
        try {
          rec = maskKeysDeep(JSON.parse(e.CloudTrailEvent ?? '{}') as Record<string, unknown>);
        } catch {
          continue;
        }
        const params = (rec.requestParameters ?? {}) as Record<string, unknown>;
        if (!c.matches(params, userName)) continue;
        const ui = (rec.userIdentity ?? {}) as { arn?: string; type?: string };
        const suffix =
          typeof params.policyArn === 'string' ? ` (${String(params.policyArn).split('/').pop()})` : '';
        out.push({
          what: c.what + suffix,
          eventName: c.eventName,
          time: String(rec.eventTime ?? ''),
          by: ui.arn ?? ui.type ?? 'unknown',
          sourceIp: rec.sourceIPAddress as string | undefined,
          userAgent: rec.userAgent as string | undefined,
          region: String(rec.awsRegion ?? aws.homeRegion),
        });
      }
    }
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

const LEVELS: RiskItem['level'][] = ['high', 'medium', 'low', 'info'];

export function assessRisk(
  r: Omit<IncidentReport, 'risk' | 'commands' | 'generatedAt'>,
  now: Date,
): { level: RiskItem['level']; items: RiskItem[] } {
  const items: RiskItem[] = [];
  for (const c of r.classification) {
    const level =
      c.status === 'AT_RISK'
        ? 'high'
        : c.status === 'UNKNOWN'
          ? 'high'
          : c.status === 'ACTIVE'
            ? 'medium'
            : 'low';
    items.push({
      level,
      reason: `${c.service}: ${c.status}${c.reasons.length ? ` — ${c.reasons.join('; ')}` : ''}`,
    });
  }
  const tagCount = (t: string) => r.timeline.summary.tags.find((x) => x.value === t)?.count ?? 0;
  const tagRisk: [string, RiskItem['level'], string][] = [
    [
      'privilege-escalation',
      'high',
      'privilege-escalation events (a persistent credential or wider permissions for the key’s identity)',
    ],
    ['persistence', 'high', 'persistence events (new credentials, login profile)'],
    ['defense-evasion', 'high', 'defense-evasion events (invocation logging or guardrails changed)'],
    ['cost', 'high', 'cost events (provisioned throughput, batch or customization jobs)'],
    ['model-access', 'medium', 'model-access changes (entitlements, use-case forms, agreements)'],
    ['recon', 'medium', 'reconnaissance (model availability and listing calls typical of LLMjacking)'],
    ['invoke', 'medium', 'model invocations'],
  ];
  for (const [tag, level, text] of tagRisk) {
    const n = tagCount(tag);
    if (n > 0) items.push({ level, reason: `${n} ${text}` });
  }
  const active = r.timeline.summary.regions.filter((x) => x.events > 0).map((x) => x.region);
  if (active.length > 1)
    items.push({ level: 'medium', reason: `activity in ${active.length} regions (${active.join(', ')})` });
  if (r.timeline.summary.sourceIps.length > 1) {
    items.push({ level: 'medium', reason: `${r.timeline.summary.sourceIps.length} distinct source IPs` });
  }
  if (r.timeline.summary.failedRegions.length > 0) {
    items.push({
      level: 'high',
      reason: `the timeline is incomplete: ${r.timeline.summary.failedRegions.join(', ')} could not be read`,
    });
  }
  if (r.creationLookupError)
    items.push({ level: 'medium', reason: `creation events could not be read: ${r.creationLookupError}` });
  const recent = r.accessKeys.filter(
    (k) => k.lastUsedAt && now.getTime() - Date.parse(k.lastUsedAt) < 7 * 86_400_000,
  );
  if (recent.length)
    items.push({
      level: 'high',
      reason: `access key(s) used in the last 7 days: ${recent.map((k) => k.id).join(', ')}`,
    });
  if (r.user?.inlinePolicies.some((p) => p.name === DENY_POLICY_NAME)) {
    items.push({ level: 'info', reason: `already contained: inline policy ${DENY_POLICY_NAME} is in place` });
  }
  if (items.length === 0) items.push({ level: 'info', reason: 'no risk signal found' });
  items.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level));
  return { level: items[0]?.level ?? 'info', items };
}

/**
 * Exact commands for the responder (never with the key itself: `"$LEAKED_KEY"` stands for it), chosen
 * from the state the report read: a key already Inactive (or gone) gets no revoke step of its own.
 */
export function containmentCommands(
  r: Pick<IncidentReport, 'target' | 'user' | 'signer' | 'accessKeys'>,
): { purpose: string; command: string }[] {
  const cmds: { purpose: string; command: string }[] = [];
  const t = r.target;
  if (t.kind === 'long-term-key') {
    const u = r.user;
    const key = u?.credentials.find((c) => (c.alias ?? c.serviceUserName) === t.label);
    const keyLive = key?.status === 'Active';
    const phantomLive =
      (u?.phantomOf.length ?? 0) > 0 &&
      (r.accessKeys.some((k) => k.status === 'Active') || !!u?.loginProfile);
    const othersLive = u?.credentials.some((c) => c !== key && c.status === 'Active') ?? false;
    if (keyLive)
      cmds.push({
        purpose:
          'contain this key only (its sibling keeps working); a phantom’s access keys are deactivated too',
        command: 'bks revoke-key "$LEAKED_KEY"',
      });
    else if (phantomLive)
      cmds.push({
        purpose:
          'the key is already out of use; deactivate the phantom’s access keys and password (same permissions as the key)',
        command: 'bks revoke-key "$LEAKED_KEY"',
      });
    if (keyLive || othersLive)
      cmds.push({
        purpose: 'contain every key of the user and deny the service namespaces',
        command: 'bks revoke-key "$LEAKED_KEY" --all-keys',
      });
  } else if (t.kind === 'short-term-key' || t.kind === 'access-key') {
    cmds.push({
      purpose: `deny the signer’s sessions issued before now${r.signer?.arn ? ` (${r.signer.arn})` : ''}`,
      command:
        t.kind === 'short-term-key'
          ? 'bks revoke-key "$LEAKED_KEY"'
          : `aws iam update-access-key --access-key-id ${t.label} --status Inactive`,
    });
  } else if (r.user) {
    cmds.push({
      purpose: 'contain every key of the user (and the deny policy)',
      command: `bks revoke-key ${r.user.userName}`,
    });
  }
  cmds.push({
    purpose: 'undo the containment from its record, if it was a false alarm',
    command: 'bks restore ./bks-records/revoke-key-<time>-<target>.json',
  });
  cmds.push({
    purpose: 'everything it did, every region, last 90 days',
    command: `bks timeline ${t.kind === 'long-term-key' || t.kind === 'user' ? (r.user?.userName ?? t.label) : t.label} --days 90 -o json`,
  });
  if (r.user && r.user.phantomOf.length > 0) {
    cmds.push({
      purpose: 'once contained and investigated: delete the orphaned phantom (backup first)',
      command: `bks cleanup --dry-run   # then: bks cleanup -y`,
    });
  }
  return cmds;
}

export async function buildIncidentReport(
  aws: AwsContext,
  text: string,
  opts: { days: number; regions: string[]; now?: Date },
): Promise<IncidentReport> {
  const now = opts.now ?? new Date();
  const id = await aws.identity();
  const target = await resolveTimelineTarget(aws, text);
  const notes = [...target.notes];
  let user: IncidentReport['user'];
  let signer: IncidentReport['signer'];
  let userName = target.userName;
  if (target.kind === 'short-term-key' || target.kind === 'access-key') {
    const keyId = target.accessKeyIds[0] ?? '';
    const region = target.region ?? aws.region;
    const s = await findSigner(
      aws,
      { accessKeyId: keyId, accessKeyType: keyId.startsWith('AKIA') ? 'AKIA' : 'ASIA', region },
      id.accountId,
    );
    signer =
      s.kind === 'unknown'
        ? { kind: 'unknown' }
        : { kind: s.kind, arn: s.arn, ...('name' in s ? { name: s.name } : {}) };
    if (s.kind === 'unknown') notes.push(s.reason);
    if (s.kind === 'user') userName = s.name;
  }
  const state = userName ? await readUserState(aws.iam(), userName) : null;
  if (state) user = { ...state, phantomOf: phantomServices(state).map((s) => s.id) };
  const accessKeys: IncidentReport['accessKeys'] = [];
  for (const k of state?.accessKeys ?? []) {
    const r = await aws.iam().send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.id }));
    const last = r.AccessKeyLastUsed;
    accessKeys.push({
      id: k.id,
      status: k.status,
      createdAt: k.createdAt,
      lastUsedAt: last?.LastUsedDate ? new Date(last.LastUsedDate).toISOString() : undefined,
      lastUsedService: last?.ServiceName && last.ServiceName !== 'N/A' ? last.ServiceName : undefined,
      lastUsedRegion: last?.Region && last.Region !== 'N/A' ? last.Region : undefined,
    });
  }
  let creation: CreationEvent[] = [];
  let creationLookupError: string | undefined;
  if (userName) {
    try {
      creation = await creationEvents(aws, userName, new Date(now.getTime() - 90 * 86_400_000));
    } catch (err) {
      creationLookupError = describeError(err);
    }
  }
  const classification = state
    ? SERVICES.map((s) => ({ s, c: classifyState(state, s, now) }))
        .filter(({ s, c }) => c.phantom || state.credentials.some((x) => x.serviceName === s.sscServiceName))
        .map(({ s, c }) => ({ service: s.id, status: c.status, reasons: c.reasons }))
    : [];
  if (userName && !state) notes.push(`user ${userName} does not exist in account ${id.accountId}`);
  if (state?.inlinePolicies.some((p) => p.name === SESSION_POLICY_NAME))
    notes.push(`a ${SESSION_POLICY_NAME} policy is on the user`);
  const timeline = await runTimeline(aws, target, { days: opts.days, regions: opts.regions, now });
  const base = {
    accountId: id.accountId,
    partition: aws.partition,
    target,
    ...(user ? { user } : {}),
    ...(signer ? { signer } : {}),
    accessKeys,
    creation,
    ...(creationLookupError ? { creationLookupError } : {}),
    classification,
    timeline,
    callsPerHour: callsPerHour(timeline.events),
    notes,
  };
  return {
    generatedAt: now.toISOString(),
    ...base,
    risk: assessRisk(base, now),
    commands: containmentCommands(base),
  };
}
