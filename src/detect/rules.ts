/**
 * Detection rules as data: the rule format (detections/README.md), the checks a schema cannot
 * express, compilation into a fast rule set (`compileRules`) and evaluation of one CloudTrail record
 * (`evaluate`). Pure: reading and validating rule files is `rule-files.ts` (the Lambda bundles, which
 * get their rules from `bundledRules`, need neither the file system nor the schema validator).
 */
import type { Severity } from '../findings/severity';
import { packagePath } from '../paths';
import {
  API_CALL_DETAIL_TYPE,
  type CloudTrailRecord,
  DETAIL_TYPES,
  eventBridgeSource,
  IAM_EVENTBRIDGE_REGION,
} from './knowledge';
import { compilePattern, type EventPattern, PatternError, type Predicate } from './pattern';

export { SEVERITIES, type Severity, severityRank } from '../findings/severity';

export const RULE_TAGS = [
  'recon',
  'invoke',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'cost',
  'credential-creation',
  'discovery',
  'initial-access',
  'lateral-movement',
  'impact',
] as const;
export type RuleTag = (typeof RULE_TAGS)[number];

/** Where the infra deploys a rule: IAM events reach EventBridge only in us-east-1 (§5). */
export type Deploy = 'us-east-1' | 'all-regions';

/** A windowed counter over the events a stateful rule's pattern selects. */
export type StatefulSpec =
  | {
      /** Fires when one principal produces at least `threshold` matching events within `windowSeconds`. */
      type: 'count';
      threshold: number;
      windowSeconds: number;
    }
  | {
      /** Fires when one principal is seen in at least `threshold` distinct regions within `windowSeconds`. */
      type: 'distinct-regions';
      threshold: number;
      windowSeconds: number;
    };

/** A sample: a CloudTrail record (or an EventBridge envelope) inline, or a file under detections/. */
export type SampleRef = { file: string } | Record<string, unknown>;

/** A rule as stored in detections/<id>.json. */
export interface RuleFile {
  id: string;
  title: string;
  severity: Severity;
  severityRationale: string;
  description: string;
  remediation: string;
  attack: { id: string; name: string };
  tags: RuleTag[];
  kind: 'pattern' | 'stateful';
  /** The key-bearing service the rule is generated for (`SERVICES` id), or null when it spans them. */
  service: string | null;
  deploy: Deploy;
  /** What a single EventBridge pattern cannot express here, and how the rule set covers it. */
  limitations?: string;
  pattern: EventPattern;
  stateful?: StatefulSpec;
  samples: { match: SampleRef[]; noMatch: SampleRef[] };
}

/** A loaded rule: the file plus its resolved samples (CloudTrail records). */
export interface Rule extends Omit<RuleFile, 'samples'> {
  samples: { match: CloudTrailRecord[]; noMatch: CloudTrailRecord[] };
}

export interface CompiledRule {
  rule: Rule;
  test: Predicate;
}

export interface RuleSet {
  rules: readonly CompiledRule[];
  pattern: readonly CompiledRule[];
  stateful: readonly CompiledRule[];
  /** Pattern rules indexed by the envelope `source` they require (rules without one are in `anySource`). */
  bySource: ReadonlyMap<string, readonly CompiledRule[]>;
  anySource: readonly CompiledRule[];
}

/** The default rule directory: `detections/` at the package root. */
export function defaultRulesDir(): string {
  return packagePath('detections');
}

/** A rule file that is not valid: names the file and the problem. */
export class RuleError extends Error {
  override name = 'RuleError';
}

/** The EventBridge envelope of a CloudTrail record (how the infra's rules see it, §5). */
export function envelopeOf(record: CloudTrailRecord): Record<string, unknown> {
  if (record !== null && typeof record === 'object' && 'detail-type' in record && 'detail' in record) {
    return record as Record<string, unknown>;
  }
  const source = typeof record.eventSource === 'string' ? eventBridgeSource(record.eventSource) : undefined;
  return {
    version: '0',
    id: record.eventID,
    'detail-type': DETAIL_TYPES[record.eventType ?? 'AwsApiCall'] ?? API_CALL_DETAIL_TYPE,
    source,
    account: record.recipientAccountId ?? record.userIdentity?.accountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** The CloudTrail record inside an envelope, or the record itself. */
export function recordOf(event: Record<string, unknown>): CloudTrailRecord {
  return (
    'detail-type' in event && event.detail && typeof event.detail === 'object' ? event.detail : event
  ) as CloudTrailRecord;
}

/** The deployment a rule's pattern implies: only `aws.iam` sources → us-east-1; anything else → every region. */
export function deployOf(pattern: EventPattern): Deploy {
  const source = pattern.source;
  if (Array.isArray(source) && source.length > 0 && source.every((s) => s === 'aws.iam')) {
    return IAM_EVENTBRIDGE_REGION;
  }
  return 'all-regions';
}

/**
 * What the rule schema cannot say: the pattern compiles (the full pattern language) and `deploy` is
 * the one its source implies. Throws RuleError naming `where`.
 */
export function checkRuleSemantics(rule: RuleFile, where: string): void {
  try {
    compilePattern(rule.pattern);
  } catch (err) {
    if (err instanceof PatternError) throw new RuleError(`${where}: pattern ${err.message}`);
    throw err;
  }
  const deploy = deployOf(rule.pattern);
  if (rule.deploy !== deploy) {
    throw new RuleError(`${where}: deploy must be "${deploy}" (derived from the pattern's source)`);
  }
}

/** Compiles rules once into a rule set indexed by envelope source (no I/O). */
export function compileRules(rules: readonly Rule[]): RuleSet {
  const compiled = rules.map((rule) => ({ rule, test: compilePattern(rule.pattern) }));
  const pattern = compiled.filter((c) => c.rule.kind === 'pattern');
  const bySource = new Map<string, CompiledRule[]>();
  const anySource: CompiledRule[] = [];
  for (const c of pattern) {
    const src = c.rule.pattern.source;
    if (Array.isArray(src) && src.length > 0 && src.every((s) => typeof s === 'string')) {
      for (const s of src as string[]) {
        const list = bySource.get(s) ?? [];
        list.push(c);
        bySource.set(s, list);
      }
    } else {
      anySource.push(c);
    }
  }
  return {
    rules: compiled,
    pattern,
    stateful: compiled.filter((c) => c.rule.kind === 'stateful'),
    bySource,
    anySource,
  };
}

const compiledCache = new WeakMap<readonly Rule[], RuleSet>();

/**
 * The pattern rules (not the stateful ones) that match one CloudTrail record or EventBridge envelope.
 * Takes a compiled rule set, or the rules themselves (compiled once per array and cached).
 */
export function evaluate(rules: RuleSet | readonly Rule[], record: CloudTrailRecord): Rule[] {
  let set: RuleSet;
  if (Array.isArray(rules)) {
    const list = rules as readonly Rule[];
    set = compiledCache.get(list) ?? compileRules(list);
    compiledCache.set(list, set);
  } else {
    set = rules as RuleSet;
  }
  const envelope = envelopeOf(record);
  const out: Rule[] = [];
  const candidates = set.bySource.get(envelope.source as string);
  if (candidates) for (const c of candidates) if (c.test(envelope)) out.push(c.rule);
  for (const c of set.anySource) if (c.test(envelope)) out.push(c.rule);
  return out;
}
