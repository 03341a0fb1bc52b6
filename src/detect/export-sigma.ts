/**
 * Sigma export: one rule document per detection (logsource aws/cloudtrail), selections derived from
 * the EventBridge pattern; stateful rules add a Sigma correlation document (event_count /
 * value_count over the base rule, grouped by principal).
 *
 * Sigma matches strings case-insensitively by default, EventBridge case-sensitively: exact,
 * prefix, suffix and wildcard values carry the `cased` modifier.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { type Cond, type Expr, patternToExpr } from './export';
import type { Rule } from './rules';

/** A deterministic UUID (version 5 layout) for a name, so re-exports keep Sigma ids stable. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(`bks-detections:${name}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const TACTIC_TAGS: Record<string, string> = {
  persistence: 'attack.persistence',
  'privilege-escalation': 'attack.privilege-escalation',
  'defense-evasion': 'attack.defense-evasion',
  discovery: 'attack.discovery',
  recon: 'attack.discovery',
  impact: 'attack.impact',
  cost: 'attack.impact',
  'credential-creation': 'attack.persistence',
  'lateral-movement': 'attack.lateral-movement',
  'initial-access': 'attack.initial-access',
};

function condKey(c: Cond): [string, unknown] {
  const f = c.field.join('.');
  switch (c.op) {
    case 'eq':
      return [typeof c.value === 'string' ? `${f}|cased` : f, c.value];
    case 'null':
      return [f, null];
    case 'exists':
      return [`${f}|exists`, true];
    case 'missing':
      return [`${f}|exists`, false];
    case 'prefix':
      return [`${f}|startswith|cased`, c.value];
    case 'suffix':
      return [`${f}|endswith|cased`, c.value];
    case 'iprefix':
      return [`${f}|startswith`, c.value];
    case 'isuffix':
      return [`${f}|endswith`, c.value];
    case 'ieq':
      return [f, c.value];
    case 'wildcard':
      // EventBridge `*`, `\*`, `\\` read the same in Sigma; a literal `?` must be escaped there.
      return [`${f}|cased`, c.value.replace(/\?/g, '\\?')];
    case 'cidr':
      return [`${f}|cidr`, c.value];
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return [`${f}|${c.op}`, c.value];
    case 'numeq':
      return [f, c.value];
  }
}

const isCond = (e: Expr): e is Cond => 'field' in e;

/** Sigma detection: named selections and a condition string. */
export function sigmaDetection(expr: Expr): Record<string, unknown> {
  const selections: Record<string, unknown> = {};
  let n = 0;
  const add = (sel: Record<string, unknown>) => {
    const name = `selection_${++n}`;
    selections[name] = sel;
    return name;
  };
  const render = (e: Expr): string => {
    if (isCond(e)) {
      const [k, v] = condKey(e);
      return add({ [k]: v });
    }
    if ('not' in e) return `not ${wrap(e.not)}`;
    if ('or' in e) {
      // Alternatives on the same field and modifier fold into one selection (a list is an OR).
      const keys = e.or.map((x) => (isCond(x) ? condKey(x) : undefined));
      if (keys.every((k) => k !== undefined) && new Set(keys.map((k) => k![0])).size === 1) {
        return add({ [keys[0]![0]]: keys.map((k) => k![1]) });
      }
      return `(${e.or.map(render).join(' or ')})`;
    }
    // AND: plain conditions on distinct keys share one selection (a map is an AND).
    const merged: Record<string, unknown> = {};
    const rest: string[] = [];
    for (const x of e.and) {
      if (isCond(x)) {
        const [k, v] = condKey(x);
        if (!(k in merged)) {
          merged[k] = v;
          continue;
        }
      }
      rest.push(render(x));
    }
    const parts = Object.keys(merged).length ? [add(merged), ...rest] : rest;
    return parts.join(' and ');
  };
  const wrap = (e: Expr) => {
    const s = render(e);
    return /\s/.test(s) && !s.startsWith('(') ? `(${s})` : s;
  };
  const condition = render(expr);
  return { ...selections, condition };
}

function baseDoc(rule: Rule): Record<string, unknown> {
  const tags = [
    `attack.${rule.attack.id.toLowerCase()}`,
    ...new Set(rule.tags.map((t) => TACTIC_TAGS[t]).filter((t): t is string => Boolean(t))),
  ];
  return {
    title: `${rule.id}: ${rule.title}`,
    id: stableUuid(rule.id),
    status: 'experimental',
    description: `${rule.description} Severity rationale: ${rule.severityRationale}`,
    references: ['https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html'],
    author: 'bks',
    tags,
    logsource: { product: 'aws', service: 'cloudtrail' },
    detection: sigmaDetection(patternToExpr(rule.pattern)),
    falsepositives: [
      'Sanctioned key administration or use: check the principal and source IP against the key owner',
    ],
    fields: ['eventTime', 'eventName', 'eventSource', 'userIdentity.arn', 'awsRegion', 'sourceIPAddress'],
    level: rule.severity.toLowerCase(),
  };
}

function correlationDoc(rule: Rule): Record<string, unknown> | undefined {
  const s = rule.stateful;
  if (!s) return undefined;
  const timespan = s.windowSeconds % 60 === 0 ? `${s.windowSeconds / 60}m` : `${s.windowSeconds}s`;
  return {
    title: `${rule.id}: ${rule.title} (correlation)`,
    id: stableUuid(`${rule.id}:correlation`),
    status: 'experimental',
    correlation: {
      type: s.type === 'count' ? 'event_count' : 'value_count',
      rules: [stableUuid(rule.id)],
      'group-by': ['userIdentity.arn'],
      timespan,
      condition: s.type === 'count' ? { gte: s.threshold } : { field: 'awsRegion', gte: s.threshold },
    },
    level: rule.severity.toLowerCase(),
  };
}

/** Every rule as Sigma YAML documents (`---` separated). */
export function exportSigma(rules: readonly Rule[]): string {
  const docs: Record<string, unknown>[] = [];
  for (const rule of rules) {
    docs.push(baseDoc(rule));
    const corr = correlationDoc(rule);
    if (corr) docs.push(corr);
  }
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
