/**
 * Detection rules as data: the rule format (detections/README.md), its validation, the loader
 * (`loadRules`), compilation into a fast rule set (`compileRules`) and evaluation of one CloudTrail
 * record (`evaluate`). Pure except `loadRules`, which reads the rule directory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packagePath } from '../paths';
import {
  API_CALL_DETAIL_TYPE,
  type CloudTrailRecord,
  DETAIL_TYPES,
  eventBridgeSource,
  IAM_EVENTBRIDGE_REGION,
} from './knowledge';
import { compilePattern, type EventPattern, PatternError, type Predicate } from './pattern';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

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

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function need(cond: unknown, where: string, message: string): asserts cond {
  if (!cond) throw new RuleError(`${where}: ${message}`);
}

/** Checks a rule's shape and compiles its pattern; throws RuleError naming `where`. */
export function validateRuleFile(raw: unknown, where: string): RuleFile {
  need(isObject(raw), where, 'a rule must be a JSON object');
  const r = raw as Record<string, unknown>;
  need(
    typeof r.id === 'string' && /^BKS-\d{3}(-[A-Z0-9-]+)?$/.test(r.id),
    where,
    'id must look like BKS-001 or BKS-001-SERVICE',
  );
  for (const k of ['title', 'severityRationale', 'description', 'remediation'] as const) {
    need(
      typeof r[k] === 'string' && (r[k] as string).trim() !== '',
      where,
      `${k} must be a non-empty string`,
    );
  }
  need(
    SEVERITIES.includes(r.severity as Severity),
    where,
    `severity must be one of ${SEVERITIES.join(', ')}`,
  );
  need(
    isObject(r.attack) &&
      typeof r.attack.id === 'string' &&
      /^T\d{4}(\.\d{3})?$/.test(r.attack.id) &&
      typeof r.attack.name === 'string',
    where,
    'attack must be {id: "T1234[.001]", name}',
  );
  need(
    Array.isArray(r.tags) && r.tags.length > 0 && r.tags.every((t) => RULE_TAGS.includes(t as RuleTag)),
    where,
    `tags must be a non-empty list from ${RULE_TAGS.join(', ')}`,
  );
  need(r.kind === 'pattern' || r.kind === 'stateful', where, 'kind must be "pattern" or "stateful"');
  need(r.service === null || typeof r.service === 'string', where, 'service must be a service id or null');
  need(
    r.deploy === 'us-east-1' || r.deploy === 'all-regions',
    where,
    'deploy must be "us-east-1" or "all-regions"',
  );
  try {
    compilePattern(r.pattern);
  } catch (err) {
    if (err instanceof PatternError) throw new RuleError(`${where}: pattern ${err.message}`);
    throw err;
  }
  need(
    r.deploy === deployOf(r.pattern as EventPattern),
    where,
    `deploy must be "${deployOf(r.pattern as EventPattern)}" (derived from the pattern's source)`,
  );
  if (r.kind === 'stateful') {
    const s = r.stateful as Record<string, unknown> | undefined;
    need(
      isObject(s) &&
        (s.type === 'count' || s.type === 'distinct-regions') &&
        Number.isInteger(s.threshold) &&
        (s.threshold as number) >= 1 &&
        Number.isInteger(s.windowSeconds) &&
        (s.windowSeconds as number) >= 1,
      where,
      'stateful must be {type: "count"|"distinct-regions", threshold >= 1, windowSeconds >= 1}',
    );
  } else {
    need(r.stateful === undefined, where, 'only stateful rules carry "stateful"');
  }
  const samples = r.samples as Record<string, unknown> | undefined;
  need(
    isObject(samples) &&
      Array.isArray(samples.match) &&
      samples.match.length > 0 &&
      Array.isArray(samples.noMatch) &&
      samples.noMatch.length > 0,
    where,
    'samples must have at least one "match" and one "noMatch" sample',
  );
  return raw as unknown as RuleFile;
}

/** Resolves a rule's samples (file references are relative to the rule directory). */
export function resolveSamples(file: RuleFile, dir: string | undefined): Rule {
  const load = (ref: SampleRef, kind: string, i: number): CloudTrailRecord => {
    if (typeof ref.file === 'string' && Object.keys(ref).length === 1) {
      if (dir === undefined)
        throw new RuleError(`${file.id}: sample ${kind}[${i}] refers to a file but no directory was given`);
      const path = resolve(dir, ref.file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        throw new RuleError(`${file.id}: sample ${kind}[${i}] file ${ref.file} cannot be read`);
      }
      try {
        return JSON.parse(text) as CloudTrailRecord;
      } catch {
        throw new RuleError(`${file.id}: sample ${kind}[${i}] file ${ref.file} is not valid JSON`);
      }
    }
    return ref as CloudTrailRecord;
  };
  return {
    ...file,
    samples: {
      match: file.samples.match.map((s, i) => load(s, 'match', i)),
      noMatch: file.samples.noMatch.map((s, i) => load(s, 'noMatch', i)),
    },
  };
}

/** Loads every `*.json` rule of a directory (default `detections/`), validated, samples resolved, by id. */
export function loadRules(dir: string = defaultRulesDir()): Rule[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    throw new RuleError(`cannot read the rule directory ${dir}`);
  }
  const rules: Rule[] = [];
  const ids = new Set<string>();
  for (const name of names.sort()) {
    const path = join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new RuleError(
        `${name}: ${err instanceof SyntaxError ? `invalid JSON (${err.message})` : 'cannot be read'}`,
      );
    }
    const file = validateRuleFile(raw, name);
    if (ids.has(file.id)) throw new RuleError(`${name}: duplicate rule id ${file.id}`);
    ids.add(file.id);
    rules.push(resolveSamples(file, dir));
  }
  if (rules.length === 0) throw new RuleError(`no rules (*.json) in ${dir}`);
  return rules.sort((a, b) => a.id.localeCompare(b.id));
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

/** Severity order for `--fail-on` (CRITICAL highest). */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}
