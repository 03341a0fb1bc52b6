/**
 * The CloudTrail trails of the simulated accounts (`accounts[].cloudtrail.trails[]`): their
 * scenario form (DescribeTrails' trail objects plus `IsLogging` and `EventSelectors` or
 * `AdvancedEventSelectors`), and which trails log a given record — what decides whether the
 * record reaches EventBridge as an "AWS API Call via CloudTrail" event.
 *
 * A trail logs a record when it is logging, covers the record's account (its own, or every account
 * of the organization for an organization trail of the management account), covers the record's
 * region (multi-region, or its home region; global service events need
 * `IncludeGlobalServiceEvents`), and its selectors select the record: basic event selectors
 * (`ReadWriteType`, `IncludeManagementEvents`, `ExcludeManagementEventSources`, `DataResources`) or
 * advanced event selectors (field selectors on `eventCategory`, `readOnly`, `eventSource`,
 * `eventName`, `resources.type`, `resources.ARN`, … with `Equals`, `StartsWith`, `EndsWith` and
 * their negations). Without a `cloudtrail` key an account has one multi-region trail that logs all
 * management events; `"cloudtrail": {"trails": []}` means none.
 */
import { isDataEvent } from './cloudtrail';
import { ScenarioError, type SimAccount, type SimState } from './scenario';

export interface FieldSelector {
  Field: string;
  Equals?: string[];
  StartsWith?: string[];
  EndsWith?: string[];
  NotEquals?: string[];
  NotStartsWith?: string[];
  NotEndsWith?: string[];
}

export interface AdvancedEventSelector {
  Name?: string;
  FieldSelectors: FieldSelector[];
}

export interface EventSelector {
  ReadWriteType?: 'ReadOnly' | 'WriteOnly' | 'All';
  IncludeManagementEvents?: boolean;
  DataResources?: { Type: string; Values: string[] }[];
  ExcludeManagementEventSources?: string[];
}

/** A trail in the state: DescribeTrails' members, plus its status and selectors. */
export interface SimTrail {
  Name: string;
  HomeRegion: string;
  TrailARN: string;
  IsMultiRegionTrail: boolean;
  IsOrganizationTrail: boolean;
  IncludeGlobalServiceEvents: boolean;
  IsLogging: boolean;
  S3BucketName?: string;
  S3KeyPrefix?: string;
  SnsTopicName?: string;
  SnsTopicARN?: string;
  LogFileValidationEnabled?: boolean;
  CloudWatchLogsLogGroupArn?: string;
  CloudWatchLogsRoleArn?: string;
  KmsKeyId?: string;
  HasCustomEventSelectors?: boolean;
  HasInsightSelectors?: boolean;
  EventSelectors?: EventSelector[];
  AdvancedEventSelectors?: AdvancedEventSelector[];
}

/** The name of the trail an account without a `cloudtrail` key has. */
export const DEFAULT_TRAIL_NAME = 'management-events';

/** The one trail of an account whose scenario has no `cloudtrail` key. */
export function defaultTrail(accountId: string, homeRegion: string, partition: string): SimTrail {
  return {
    Name: DEFAULT_TRAIL_NAME,
    HomeRegion: homeRegion,
    TrailARN: `arn:${partition}:cloudtrail:${homeRegion}:${accountId}:trail/${DEFAULT_TRAIL_NAME}`,
    IsMultiRegionTrail: true,
    IsOrganizationTrail: false,
    IncludeGlobalServiceEvents: true,
    IsLogging: true,
    S3BucketName: `aws-cloudtrail-logs-${accountId}`,
    LogFileValidationEnabled: true,
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    EventSelectors: [
      {
        ReadWriteType: 'All',
        IncludeManagementEvents: true,
        DataResources: [],
        ExcludeManagementEventSources: [],
      },
    ],
  };
}

/** Validates `accounts[i].cloudtrail` and fills defaults; undefined input → the default trail. */
export function loadCloudTrail(
  v: unknown,
  path: string,
  accountId: string,
  regions: string[],
  partition: string,
): { trails: SimTrail[] } {
  const home = regions[0] ?? 'us-east-1';
  if (v === undefined) return { trails: [defaultTrail(accountId, home, partition)] };
  const trails = (v as { trails: Partial<SimTrail>[] }).trails.map((t) =>
    loadTrail(t, accountId, home, partition),
  );
  // What a schema cannot say: trail names are unique in the account.
  const names = new Set<string>();
  trails.forEach((t, i) => {
    if (names.has(t.Name))
      throw new ScenarioError(`${path}.trails[${i}].Name`, `duplicate trail name ${t.Name}`);
    names.add(t.Name);
  });
  return { trails };
}

/** One scenario trail (shape checked by the scenario's JSON Schema) with DescribeTrails' defaults. */
function loadTrail(v: Partial<SimTrail>, accountId: string, home: string, partition: string): SimTrail {
  const name = v.Name as string;
  const homeRegion = v.HomeRegion ?? home;
  const trail: SimTrail = {
    ...v,
    Name: name,
    HomeRegion: homeRegion,
    TrailARN: v.TrailARN ?? `arn:${partition}:cloudtrail:${homeRegion}:${accountId}:trail/${name}`,
    IsMultiRegionTrail: v.IsMultiRegionTrail ?? false,
    IsOrganizationTrail: v.IsOrganizationTrail ?? false,
    IncludeGlobalServiceEvents: v.IncludeGlobalServiceEvents ?? true,
    IsLogging: v.IsLogging ?? true,
  };
  if (v.AdvancedEventSelectors !== undefined || v.EventSelectors !== undefined) {
    trail.HasCustomEventSelectors = v.HasCustomEventSelectors ?? true;
  } else {
    // A new trail logs all management events, read and write.
    trail.EventSelectors = defaultTrail(accountId, homeRegion, partition).EventSelectors;
    trail.HasCustomEventSelectors ??= false;
  }
  trail.HasInsightSelectors ??= false;
  return trail;
}

/** The trails an account owns (accounts the sim created on the fly get the default trail). */
export function ownTrails(account: SimAccount, partition: string): SimTrail[] {
  const ct = (account as SimAccount & { cloudtrail?: { trails: SimTrail[] } }).cloudtrail;
  if (ct) return ct.trails;
  return [defaultTrail(account.id, account.regions[0] ?? 'us-east-1', partition)];
}

export interface VisibleTrail {
  trail: SimTrail;
  /** Account that owns the trail. */
  owner: string;
}

/**
 * The trails that apply to an account: its own and the organization trails of the management
 * account when the account is a member of the organization.
 */
export function trailsCovering(state: SimState, accountId: string): VisibleTrail[] {
  const out: VisibleTrail[] = [];
  const own = state.accounts.find((a) => a.id === accountId);
  if (own) for (const trail of ownTrails(own, state.partition)) out.push({ trail, owner: accountId });
  const org = state.organization;
  if (org && org.managementAccount !== accountId && org.accounts.some((a) => a.id === accountId)) {
    const mgmt = state.accounts.find((a) => a.id === org.managementAccount);
    if (mgmt) {
      for (const trail of ownTrails(mgmt, state.partition)) {
        if (trail.IsOrganizationTrail) out.push({ trail, owner: mgmt.id });
      }
    }
  }
  return out;
}

/** Event sources AWS delivers as global service events (logged in the partition's home region). */
const GLOBAL_EVENT_SOURCES = new Set([
  'iam.amazonaws.com',
  'organizations.amazonaws.com',
  'sts.amazonaws.com',
]);

const HOME: Record<string, string> = {
  aws: 'us-east-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-cn': 'cn-north-1',
};

type Rec = Record<string, unknown>;

function isReadOnly(record: Rec): boolean {
  return record.readOnly === true || record.readOnly === 'true';
}

/** Whether a trail's selectors select a record (the trail's account and region already match). */
export function selectorsSelect(trail: SimTrail, record: Rec): boolean {
  if (trail.AdvancedEventSelectors && trail.AdvancedEventSelectors.length > 0) {
    return trail.AdvancedEventSelectors.some((s) => s.FieldSelectors.every((f) => fieldMatches(f, record)));
  }
  const selectors = trail.EventSelectors ?? [];
  return selectors.some((s) => basicSelects(s, record));
}

function basicSelects(s: EventSelector, record: Rec): boolean {
  const rw = s.ReadWriteType ?? 'All';
  const ro = isReadOnly(record);
  if ((rw === 'ReadOnly' && !ro) || (rw === 'WriteOnly' && ro)) return false;
  if (!isDataEvent(record)) {
    if (s.IncludeManagementEvents === false) return false;
    return !(s.ExcludeManagementEventSources ?? []).includes(String(record.eventSource));
  }
  const resources = resourcesOf(record);
  return (s.DataResources ?? []).some((d) =>
    resources.some(
      (r) =>
        r.type === d.Type &&
        d.Values.some((v) => r.arn.startsWith(v) || /^arn:[\w-]+:[\w-]+(:::?)?$/.test(v)),
    ),
  );
}

function resourcesOf(record: Rec): { type: string; arn: string }[] {
  const list = Array.isArray(record.resources) ? (record.resources as Rec[]) : [];
  return list.map((r) => ({ type: String(r.type ?? ''), arn: String(r.ARN ?? r.arn ?? '') }));
}

/** The values a record has for an advanced-selector field. */
function fieldValues(field: string, record: Rec): string[] {
  switch (field) {
    case 'eventCategory':
      return [isDataEvent(record) ? 'Data' : String(record.eventCategory ?? 'Management')];
    case 'readOnly':
      return [String(isReadOnly(record))];
    case 'resources.type':
      return resourcesOf(record).map((r) => r.type);
    case 'resources.ARN':
      return resourcesOf(record).map((r) => r.arn);
    case 'userIdentity.arn': {
      const id = record.userIdentity as Rec | undefined;
      return typeof id?.arn === 'string' ? [id.arn] : [];
    }
    case 'sessionCredentialFromConsole': {
      const id = record.sessionCredentialFromConsole;
      return [String(id === true || id === 'true')];
    }
    default: {
      const v = record[field];
      return v === undefined || v === null ? [] : [String(v)];
    }
  }
}

function fieldMatches(f: FieldSelector, record: Rec): boolean {
  const values = fieldValues(f.Field, record);
  const positive = (v: string) =>
    (f.Equals === undefined || f.Equals.includes(v)) &&
    (f.StartsWith === undefined || f.StartsWith.some((p) => v.startsWith(p))) &&
    (f.EndsWith === undefined || f.EndsWith.some((p) => v.endsWith(p)));
  const negative = (v: string) =>
    !(f.NotEquals ?? []).includes(v) &&
    !(f.NotStartsWith ?? []).some((p) => v.startsWith(p)) &&
    !(f.NotEndsWith ?? []).some((p) => v.endsWith(p));
  if (values.length === 0)
    return f.Equals === undefined && f.StartsWith === undefined && f.EndsWith === undefined;
  return values.some((v) => positive(v) && negative(v));
}

/** The trails that log a record delivered to `accountId` (empty: nothing reaches EventBridge). */
export function trailsLogging(state: SimState, accountId: string, record: Rec): VisibleTrail[] {
  const region = String(record.awsRegion ?? '');
  // Global service events are logged in the partition's home region (STS: its global endpoint).
  const global = GLOBAL_EVENT_SOURCES.has(String(record.eventSource)) && region === HOME[state.partition];
  return trailsCovering(state, accountId).filter(({ trail }) => {
    if (!trail.IsLogging) return false;
    if (!trail.IsMultiRegionTrail && trail.HomeRegion !== region) return false;
    if (global && !trail.IncludeGlobalServiceEvents) return false;
    return selectorsSelect(trail, record);
  });
}

/**
 * The records of an account's history that its trails' log files hold — what an export of
 * `AWSLogs/<account>/CloudTrail/` from the trails' buckets contains: every record at least one
 * trail covering the account logs. A data event no trail selects happened (it stays in the state)
 * but is in no file, as on AWS.
 */
export function trailLoggedRecords(state: SimState, accountId: string): Rec[] {
  const account = state.accounts.find((a) => a.id === accountId);
  return ((account?.events ?? []) as Rec[]).filter((r) => trailsLogging(state, accountId, r).length > 0);
}
