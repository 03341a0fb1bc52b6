/**
 * The EventBridge rule state a detection pattern needs.
 *
 * A rule in state `ENABLED` never receives read-only management events delivered by CloudTrail;
 * only `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` does, on the default bus and on custom buses
 * alike (EventBridge user guide, "Receiving read-only management events from AWS services").
 * Which events are read-only comes from the guide's own list (`src/detect/read-only-events.ts`):
 * names starting with Describe/Get/List and the listed exceptions. That list could be read only in
 * part, so a name is known to be a change event only when the guide says so explicitly.
 *
 * So the decision errs towards receiving: a rule may stay `ENABLED` only when every path through
 * its pattern pins `detail.eventName` to exact names that are each a documented change event. A
 * missing `eventName`, an operator (`prefix`, `anything-but`, …) or any other name makes it need
 * every management event; the pattern's `eventName` filter still decides which events match, so
 * the broader state lets nothing else through. Patterns that cannot match a CloudTrail API call
 * stay `ENABLED`.
 */
import { managementEventKind } from '../detect/read-only-events';

export type RuleState = 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
export const ALL_MANAGEMENT_EVENTS: RuleState = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** The detail-type of events CloudTrail delivers for API calls. */
export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';

/** Whether `eventName` is documented as a change event (so `ENABLED` rules are sure to receive it). */
export function isChangeEvent(eventName: string): boolean {
  return managementEventKind(eventName) === 'change';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether the pattern can match an event whose detail-type is a CloudTrail API call. */
function matchesApiCalls(pattern: Obj): boolean {
  const dt = pattern['detail-type'];
  if (dt === undefined) return true;
  if (!Array.isArray(dt)) return true;
  return dt.some((m) => m === CLOUDTRAIL_API_CALL || typeof m !== 'string');
}

/**
 * The exact event names a `detail` pattern can match, or `undefined` when some path through it
 * leaves `eventName` open (absent, or constrained by an operator).
 */
export function possibleEventNames(detail: unknown, inherited?: readonly string[]): string[] | undefined {
  if (!isObj(detail)) return inherited ? [...inherited] : undefined;
  let names = inherited;
  const own = detail['eventName'];
  if (own !== undefined) {
    if (!Array.isArray(own) || !own.every((m) => typeof m === 'string')) return undefined;
    names = inherited ? inherited.filter((n) => own.includes(n)) : (own as string[]);
  }
  const or = detail['$or'];
  if (!Array.isArray(or)) return names ? [...names] : undefined;
  const union = new Set<string>();
  for (const branch of or) {
    const b = possibleEventNames(branch, names);
    if (!b) return undefined;
    for (const n of b) union.add(n);
  }
  return [...union];
}

/** The state a rule with this pattern needs to receive every event the pattern matches. */
export function ruleStateFor(pattern: Record<string, unknown>): RuleState {
  const branches = Array.isArray(pattern['$or']) ? (pattern['$or'] as unknown[]).filter(isObj) : [pattern];
  for (const b of branches) {
    const p = b === pattern ? pattern : { ...pattern, ...b };
    if (!matchesApiCalls(p)) continue;
    const names = possibleEventNames(p['detail']);
    if (!names?.every(isChangeEvent)) return ALL_MANAGEMENT_EVENTS;
  }
  return 'ENABLED';
}
