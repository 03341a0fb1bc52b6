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

const TRAIL_KEYS = [
  'Name',
  'HomeRegion',
  'TrailARN',
  'IsMultiRegionTrail',
  'IsOrganizationTrail',
  'IncludeGlobalServiceEvents',
  'IsLogging',
  'S3BucketName',
  'S3KeyPrefix',
  'SnsTopicName',
  'SnsTopicARN',
  'LogFileValidationEnabled',
  'CloudWatchLogsLogGroupArn',
  'CloudWatchLogsRoleArn',
  'KmsKeyId',
  'HasCustomEventSelectors',
  'HasInsightSelectors',
  'EventSelectors',
  'AdvancedEventSelectors',
];

const FIELD_OPS = ['Equals', 'StartsWith', 'EndsWith', 'NotEquals', 'NotStartsWith', 'NotEndsWith'] as const;

/** The name of the trail an account without a `cloudtrail` key has. */
export const DEFAULT_TRAIL_NAME = 'management-events';

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strList(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new ScenarioError(path, 'must be an array of strings');
  }
  return v as string[];
}

function optBool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ScenarioError(path, 'must be true or false');
  return v;
}

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
  if (!isObj(v)) throw new ScenarioError(path, 'must be an object with "trails"');
  for (const k of Object.keys(v))
    if (k !== 'trails') throw new ScenarioError(`${path}.${k}`, 'unknown field');
  if (!Array.isArray(v.trails)) throw new ScenarioError(`${path}.trails`, 'must be an array');
  const trails = v.trails.map((t, i) => loadTrail(t, `${path}.trails[${i}]`, accountId, home, partition));
  const names = new Set<string>();
  trails.forEach((t, i) => {
    if (names.has(t.Name))
      throw new ScenarioError(`${path}.trails[${i}].Name`, `duplicate trail name ${t.Name}`);
    names.add(t.Name);
  });
  return { trails };
}

function loadTrail(v: unknown, path: string, accountId: string, home: string, partition: string): SimTrail {
  if (!isObj(v)) throw new ScenarioError(path, 'must be an object');
  for (const k of Object.keys(v))
    if (!TRAIL_KEYS.includes(k)) throw new ScenarioError(`${path}.${k}`, 'unknown field');
  if (typeof v.Name !== 'string' || !/^[A-Za-z0-9][\w.-]{2,127}$/.test(v.Name)) {
    throw new ScenarioError(`${path}.Name`, 'must be a trail name (3-128 letters, digits, . _ -)');
  }
  const homeRegion = v.HomeRegion === undefined ? home : v.HomeRegion;
  if (typeof homeRegion !== 'string' || !REGION_RE.test(homeRegion)) {
    throw new ScenarioError(`${path}.HomeRegion`, 'must be a region name');
  }
  const trail: SimTrail = {
    ...(v as Partial<SimTrail>),
    Name: v.Name,
    HomeRegion: homeRegion,
    TrailARN:
      typeof v.TrailARN === 'string'
        ? v.TrailARN
        : `arn:${partition}:cloudtrail:${homeRegion}:${accountId}:trail/${v.Name}`,
    IsMultiRegionTrail: optBool(v.IsMultiRegionTrail, `${path}.IsMultiRegionTrail`, false),
    IsOrganizationTrail: optBool(v.IsOrganizationTrail, `${path}.IsOrganizationTrail`, false),
    IncludeGlobalServiceEvents: optBool(
      v.IncludeGlobalServiceEvents,
      `${path}.IncludeGlobalServiceEvents`,
      true,
    ),
    IsLogging: optBool(v.IsLogging, `${path}.IsLogging`, true),
  };
  if (!/^arn:[\w-]+:cloudtrail:[a-z0-9-]+:\d{12}:trail\/.+$/.test(trail.TrailARN)) {
    throw new ScenarioError(`${path}.TrailARN`, 'must be a trail ARN');
  }
  if (v.EventSelectors !== undefined && v.AdvancedEventSelectors !== undefined) {
    throw new ScenarioError(path, 'a trail has EventSelectors or AdvancedEventSelectors, not both');
  }
  if (v.AdvancedEventSelectors !== undefined) {
    if (!Array.isArray(v.AdvancedEventSelectors))
      throw new ScenarioError(`${path}.AdvancedEventSelectors`, 'must be an array');
    v.AdvancedEventSelectors.forEach((s, i) => {
      const p = `${path}.AdvancedEventSelectors[${i}]`;
      if (!isObj(s) || !Array.isArray(s.FieldSelectors) || s.FieldSelectors.length === 0) {
        throw new ScenarioError(`${p}.FieldSelectors`, 'must be a non-empty array');
      }
      s.FieldSelectors.forEach((f, j) => {
        const fp = `${p}.FieldSelectors[${j}]`;
        if (!isObj(f) || typeof f.Field !== 'string')
          throw new ScenarioError(`${fp}.Field`, 'must be a string');
        for (const k of Object.keys(f)) {
          if (k === 'Field') continue;
          if (!(FIELD_OPS as readonly string[]).includes(k))
            throw new ScenarioError(`${fp}.${k}`, 'unknown field');
          strList(f[k], `${fp}.${k}`);
        }
      });
      // CloudTrail refuses a data-event selector without resources.type (API Reference,
      // "AdvancedFieldSelector": required for data events).
      const fields = s.FieldSelectors as Array<{ Field: string; Equals?: unknown }>;
      const data = fields.some(
        (f) => f.Field === 'eventCategory' && Array.isArray(f.Equals) && f.Equals.includes('Data'),
      );
      if (data && !fields.some((f) => f.Field === 'resources.type'))
        throw new ScenarioError(
          `${p}.FieldSelectors`,
          'a data-event selector needs a resources.type field selector',
        );
    });
    trail.HasCustomEventSelectors =
      v.HasCustomEventSelectors === undefined ? true : trail.HasCustomEventSelectors;
  } else if (v.EventSelectors !== undefined) {
    if (!Array.isArray(v.EventSelectors))
      throw new ScenarioError(`${path}.EventSelectors`, 'must be an array');
    v.EventSelectors.forEach((s, i) => {
      const p = `${path}.EventSelectors[${i}]`;
      if (!isObj(s)) throw new ScenarioError(p, 'must be an object');
      if (
        s.ReadWriteType !== undefined &&
        !['ReadOnly', 'WriteOnly', 'All'].includes(s.ReadWriteType as string)
      ) {
        throw new ScenarioError(`${p}.ReadWriteType`, 'must be ReadOnly, WriteOnly or All');
      }
      if (s.ExcludeManagementEventSources !== undefined) {
        strList(s.ExcludeManagementEventSources, `${p}.ExcludeManagementEventSources`);
      }
      if (s.DataResources !== undefined) {
        if (!Array.isArray(s.DataResources))
          throw new ScenarioError(`${p}.DataResources`, 'must be an array');
        s.DataResources.forEach((d, j) => {
          if (!isObj(d) || typeof d.Type !== 'string')
            throw new ScenarioError(`${p}.DataResources[${j}].Type`, 'must be a string');
          strList(d.Values ?? [], `${p}.DataResources[${j}].Values`);
        });
      }
    });
    trail.HasCustomEventSelectors =
      v.HasCustomEventSelectors === undefined ? true : trail.HasCustomEventSelectors;
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
