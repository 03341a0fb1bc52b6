/**
 * CloudTrail coverage of a region: which trails log there (own, multi-region and organization
 * trails, from DescribeTrails with shadow trails), whether they are logging (GetTrailStatus), and
 * what their selectors select (GetEventSelectors), judged on sample events of what detection needs:
 * - management events, read and write: a Bedrock API key's use (`InvokeModel`, `Converse`) is a
 *   read-only management event, its creation (IAM, in the partition's IAM region, a global service
 *   event) a write;
 * - data events of bedrock-mantle (OpenAI/Anthropic-compatible inference and files) and of Bedrock
 *   agents, knowledge bases, flows, guardrails, prompts and inference logged as data events, by the
 *   resource types of `src/pipeline/data-events.ts`: only advanced event selectors select them, and
 *   only one naming the sample's `resources.type` (CloudTrail requires that field in every
 *   data-event selector, so a selector naming only an event source selects nothing).
 * Trails are read by ARN (a shadow or organization trail is found only by its ARN outside its home
 * region or account).
 */
import {
  type AdvancedEventSelector,
  type AdvancedFieldSelector,
  DescribeTrailsCommand,
  type EventSelector,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import type { AwsContext } from '../aws';
import { describeAwsError } from '../aws';
import { BEDROCK_DATA_RESOURCE_TYPES, type DataResourceType, MANTLE_DATA_RESOURCE_TYPES } from '../pipeline/data-events';
import type { CoverageCheck } from './types';

/** What a trail answered (or why it could not be read). */
export interface TrailView {
  trail: Trail;
  isLogging?: boolean;
  eventSelectors?: EventSelector[];
  advancedEventSelectors?: AdvancedEventSelector[];
  /** Set when GetTrailStatus or GetEventSelectors failed. */
  error?: string;
}

/** A sample event, as a trail's selectors see it. */
export interface SampleEvent {
  label: string;
  eventCategory: 'Management' | 'Data';
  /** Unknown: a selector narrowed by `readOnly` does not count for the sample. */
  readOnly?: boolean;
  eventSource: string;
  /** Unknown (no source names the call): a selector narrowed by `eventName` does not count. */
  eventName?: string;
  /** `resources.type` (data events). */
  resourceType?: string;
  /** IAM and other global services: logged only by trails with IncludeGlobalServiceEvents. */
  global?: boolean;
}

const WRITE: SampleEvent = {
  label: 'write management events (e.g. CreateModelInvocationJob)',
  eventCategory: 'Management',
  readOnly: false,
  eventSource: 'bedrock.amazonaws.com',
  eventName: 'CreateModelInvocationJob',
};
const READ: SampleEvent = {
  label: 'read-only management events (a key used for InvokeModel or Converse)',
  eventCategory: 'Management',
  readOnly: true,
  eventSource: 'bedrock.amazonaws.com',
  eventName: 'InvokeModel',
};
const IAM_WRITE: SampleEvent = {
  label: 'IAM events (a key or phantom user created), global service events',
  eventCategory: 'Management',
  readOnly: false,
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateServiceSpecificCredential',
  global: true,
};
function dataSample(eventSource: string, t: DataResourceType): SampleEvent {
  return {
    label: `${t.what} (${t.type})`,
    eventCategory: 'Data',
    eventSource,
    resourceType: t.type,
    ...(t.eventName ? { eventName: t.eventName } : {}),
  };
}

/** bedrock-mantle's data events, by the resource types of the Bedrock user guide's selector. */
export const MANTLE_SAMPLES: readonly SampleEvent[] = MANTLE_DATA_RESOURCE_TYPES.map((t) =>
  dataSample('bedrock-mantle.amazonaws.com', t),
);
export const AGENT_SAMPLES: readonly SampleEvent[] = BEDROCK_DATA_RESOURCE_TYPES.map((t) =>
  dataSample('bedrock.amazonaws.com', t),
);

/** The value of a selector field for a sample; `undefined` for a field the sample does not have. */
function valueOf(sample: SampleEvent, field: string): string | undefined {
  switch (field) {
    case 'eventCategory':
      return sample.eventCategory;
    case 'readOnly':
      return sample.readOnly === undefined ? undefined : String(sample.readOnly);
    case 'eventSource':
      return sample.eventSource;
    case 'eventName':
      return sample.eventName;
    case 'eventType':
      return 'AwsApiCall';
    default:
      return undefined;
  }
}

/** One field selector against a sample (AND of its operators; a negation excludes). */
function fieldSelects(f: AdvancedFieldSelector, sample: SampleEvent): boolean {
  const positives: [string[] | undefined, (v: string, x: string) => boolean][] = [
    [f.Equals, (v, x) => v === x],
    [f.StartsWith, (v, x) => v.startsWith(x)],
    [f.EndsWith, (v, x) => v.endsWith(x)],
  ];
  const negatives: [string[] | undefined, (v: string, x: string) => boolean][] = [
    [f.NotEquals, (v, x) => v === x],
    [f.NotStartsWith, (v, x) => v.startsWith(x)],
    [f.NotEndsWith, (v, x) => v.endsWith(x)],
  ];
  if (f.Field === 'resources.type') {
    const type = sample.resourceType;
    if (type === undefined) return false;
    for (const [list, op] of positives) if (list && !list.some((x) => op(type, x))) return false;
    for (const [list, op] of negatives) if (list?.some((x) => op(type, x))) return false;
    return true;
  }
  if (f.Field === 'resources.ARN' || f.Field === 'userIdentity.arn' || f.Field === 'errorCode') {
    // Sample events stand for every resource and caller: a positive condition narrows the selector
    // to some of them, which does not cover the control.
    return !f.Equals && !f.StartsWith && !f.EndsWith;
  }
  const v = valueOf(sample, f.Field ?? '');
  // A call the sources do not name, or whose read/write kind they do not give: any condition on it
  // may leave it out.
  if (v === undefined && (f.Field === 'eventName' || f.Field === 'readOnly')) return false;
  if (v === undefined) return !f.Equals && !f.StartsWith && !f.EndsWith;
  for (const [list, op] of positives) if (list && !list.some((x) => op(v, x))) return false;
  for (const [list, op] of negatives) if (list?.some((x) => op(v, x))) return false;
  return true;
}

/** Whether a trail's selectors log a sample event (the trail's region and status are checked apart). */
export function selects(view: TrailView, sample: SampleEvent): boolean {
  if (sample.global && view.trail.IncludeGlobalServiceEvents === false) return false;
  const advanced = view.advancedEventSelectors ?? [];
  if (advanced.length > 0) {
    return advanced.some((s) => {
      const fields = s.FieldSelectors ?? [];
      // A data-event selector without resources.type is not one CloudTrail accepts.
      if (sample.eventCategory === 'Data' && !fields.some((f) => f.Field === 'resources.type')) return false;
      return fields.every((f) => fieldSelects(f, sample));
    });
  }
  const basic = view.eventSelectors ?? [];
  return basic.some((s) => {
    const rw = s.ReadWriteType ?? 'All';
    if ((rw === 'ReadOnly' && sample.readOnly !== true) || (rw === 'WriteOnly' && sample.readOnly !== false))
      return false;
    if (sample.eventCategory === 'Management') {
      return s.IncludeManagementEvents !== false && !(s.ExcludeManagementEventSources ?? []).includes(sample.eventSource);
    }
    // Basic selectors log data events of S3, Lambda and DynamoDB only.
    return false;
  });
}

/** The trails of every region of an account, read once per trail. */
export class TrailReader {
  private views = new Map<string, Promise<TrailView>>();

  constructor(private readonly aws: AwsContext) {}

  /** DescribeTrails in a region (with shadow trails), then each trail's status and selectors. */
  async region(region: string): Promise<TrailView[]> {
    const out = await this.aws.cloudtrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    return Promise.all((out.trailList ?? []).map((t) => this.view(t, region)));
  }

  private view(trail: Trail, region: string): Promise<TrailView> {
    const key = trail.TrailARN ?? `${trail.HomeRegion}/${trail.Name}`;
    let v = this.views.get(key);
    if (!v) {
      v = this.read(trail, region);
      this.views.set(key, v);
    }
    return v;
  }

  private async read(trail: Trail, region: string): Promise<TrailView> {
    const client = this.aws.cloudtrail(region);
    const name = trail.TrailARN ?? trail.Name;
    try {
      const [status, selectors] = await Promise.all([
        client.send(new GetTrailStatusCommand({ Name: name })),
        client.send(new GetEventSelectorsCommand({ TrailName: name })),
      ]);
      return {
        trail,
        isLogging: status.IsLogging === true,
        eventSelectors: selectors.EventSelectors,
        advancedEventSelectors: selectors.AdvancedEventSelectors,
      };
    } catch (err) {
      return { trail, error: describeAwsError(err) };
    }
  }
}

function covers(view: TrailView, region: string): boolean {
  return view.trail.IsMultiRegionTrail === true || view.trail.HomeRegion === region;
}

function trailName(view: TrailView): string {
  return view.trail.TrailARN ?? view.trail.Name ?? '?';
}

interface Judged {
  /** Samples some logging trail selects, and by which trail. */
  selected: Map<SampleEvent, string>;
  /** Trails whose status or selectors could not be read. */
  unreadable: TrailView[];
  /** Trails covering the region that are not logging. */
  stopped: TrailView[];
  covering: TrailView[];
}

function judge(views: TrailView[], region: string, samples: readonly SampleEvent[]): Judged {
  const covering = views.filter((v) => covers(v, region));
  const selected = new Map<SampleEvent, string>();
  const unreadable = covering.filter((v) => v.error !== undefined);
  const stopped = covering.filter((v) => v.error === undefined && v.isLogging === false);
  for (const v of covering) {
    if (v.error !== undefined || !v.isLogging) continue;
    for (const s of samples) if (!selected.has(s) && selects(v, s)) selected.set(s, trailName(v));
  }
  return { selected, unreadable, stopped, covering };
}

const MGMT_FIX =
  'log read and write management events in every region: a multi-region (or organization) trail with ReadWriteType All and IncludeManagementEvents true (aws cloudtrail create-trail --is-multi-region-trail …; start-logging)';

/**
 * The CloudTrail checks of one region: `cloudtrail.management`, `cloudtrail.data.bedrock-mantle`,
 * `cloudtrail.data.bedrock-agents`. `views` undefined with `error`: DescribeTrails was refused.
 */
export function trailChecks(
  region: string,
  iamRegion: string,
  read: { views: TrailView[] } | { error: string },
): CoverageCheck[] {
  const controls = ['cloudtrail.management', 'cloudtrail.data.bedrock-mantle', 'cloudtrail.data.bedrock-agents'];
  if ('error' in read) {
    return controls.map((control) => ({
      region,
      control,
      status: 'unknown',
      detail: `cannot list the trails: ${read.error}`,
      fix: 'grant cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors to the role bks runs as',
    }));
  }
  const mgmtSamples = region === iamRegion ? [WRITE, READ, IAM_WRITE] : [WRITE, READ];
  return [
    judgeSamples(region, 'cloudtrail.management', read.views, mgmtSamples, MGMT_FIX),
    judgeSamples(
      region,
      'cloudtrail.data.bedrock-mantle',
      read.views,
      MANTLE_SAMPLES,
      `add the advanced event selector of the Bedrock user guide ("Monitor bedrock-mantle API calls using CloudTrail") to a trail covering this region: eventCategory Data, resources.type ${typeList(MANTLE_DATA_RESOURCE_TYPES)}; data events are billed per event`,
    ),
    judgeSamples(
      region,
      'cloudtrail.data.bedrock-agents',
      read.views,
      AGENT_SAMPLES,
      `add advanced event selectors for eventCategory Data with resources.type ${typeList(BEDROCK_DATA_RESOURCE_TYPES)} to a trail covering this region`,
    ),
  ];
}

function typeList(types: readonly DataResourceType[]): string {
  return types.map((t) => t.type).join(', ');
}

function judgeSamples(
  region: string,
  control: string,
  views: TrailView[],
  samples: readonly SampleEvent[],
  fix: string,
): CoverageCheck {
  const j = judge(views, region, samples);
  const got = samples.filter((s) => j.selected.has(s));
  const lacking = samples.filter((s) => !j.selected.has(s));
  const by = [...new Set(got.map((s) => j.selected.get(s)))].join(', ');
  const notes: string[] = [];
  if (j.stopped.length) notes.push(`not logging: ${j.stopped.map(trailName).join(', ')}`);
  if (j.unreadable.length) {
    notes.push(`unreadable: ${j.unreadable.map((v) => `${trailName(v)} (${v.error})`).join(', ')}`);
  }
  const tail = notes.length ? `; ${notes.join('; ')}` : '';
  if (lacking.length === 0) return { region, control, status: 'ok', detail: `logged by ${by}${tail}`, fix: '' };
  // What the unreadable trails select is not known: a gap they might close is unknown, not missing.
  if (j.unreadable.length > 0) {
    return {
      region,
      control,
      status: 'unknown',
      detail: `not shown to be logged: ${lacking.map((s) => s.label).join('; ')}${tail}`,
      fix: 'grant cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors on every trail (organization trails: read them by ARN)',
    };
  }
  if (j.covering.length === 0) {
    return { region, control, status: 'missing', detail: 'no trail covers this region', fix };
  }
  return {
    region,
    control,
    status: got.length === 0 ? 'missing' : 'partial',
    detail:
      (got.length ? `logged by ${by}: ${got.map((s) => s.label).join('; ')}; ` : '') +
      `not logged: ${lacking.map((s) => s.label).join('; ')}${tail}`,
    fix,
  };
}
