/**
 * SQL export for organizations whose logs outgrow one machine:
 * - Athena, over the standard CloudTrail table (lower-case columns, `useridentity` a struct,
 *   `requestparameters` / `responseelements` / `additionaleventdata` JSON strings);
 * - CloudTrail Lake, over an event data store (`requestParameters` etc. are maps of strings).
 * One query per rule. Stateful rules become GROUP BY over tumbling windows of the rule's length
 * (an approximation of the sliding window `bks hunt` and the pipeline use).
 *
 * Known differences from EventBridge, by construction of the tables: JSON `null` and a missing
 * field are both SQL NULL; booleans and the string "true" both read as 'true'; numbers stored as
 * strings compare as numbers (TRY_CAST).
 */
import { type Cond, type Expr, patternToExpr } from './export';
import type { Rule } from './rules';

export type SqlDialect = 'athena' | 'cloudtrail-lake';

const JSON_COLUMNS = ['requestParameters', 'responseElements', 'additionalEventData'];

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function jsonPath(keys: string[]): string {
  return `$${keys.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `["${k.replace(/"/g, '\\"')}"]`)).join('')}`;
}

/** The SQL expression of a CloudTrail field in a dialect. */
export function fieldSql(field: string[], dialect: SqlDialect): string {
  const [head, ...rest] = field as [string, ...string[]];
  if (JSON_COLUMNS.includes(head)) {
    if (dialect === 'athena') return `json_extract_scalar(${head.toLowerCase()}, ${quote(jsonPath(rest))})`;
    const [first, ...deeper] = rest;
    const top = `element_at(${head}, ${quote(first ?? '')})`;
    return deeper.length ? `json_extract_scalar(${top}, ${quote(jsonPath(deeper))})` : top;
  }
  if (dialect === 'athena') return [head, ...rest].map((p) => p.toLowerCase()).join('.');
  return [head, ...rest.map((p) => p.toLowerCase())].join('.');
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A match on a string: `[prefix]` + any run + ... as LIKE, or as an anchored regexp when a literal holds `%` or `_`. */
function stringMatch(f: string, parts: string[]): string {
  if (parts.some((p) => /[%_]/.test(p)))
    return `regexp_like(${f}, ${quote(`^${parts.map(reEscape).join('.*')}$`)})`;
  return `${f} LIKE ${quote(parts.join('%'))}`;
}

/** EventBridge wildcard → literal parts between `*` (`\*` a star, `\\` a backslash). */
function wildcardParts(w: string): string[] {
  const parts = [''];
  for (let i = 0; i < w.length; i++) {
    const c = w[i] as string;
    if (c === '\\') {
      parts[parts.length - 1] += w[i + 1] ?? '';
      i++;
    } else if (c === '*') parts.push('');
    else parts[parts.length - 1] += c;
  }
  return parts;
}

function condSql(c: Cond, dialect: SqlDialect): string {
  const f = fieldSql(c.field, dialect);
  const num = `TRY_CAST(${f} AS DOUBLE)`;
  switch (c.op) {
    case 'eq':
      if (typeof c.value === 'string') return `${f} = ${quote(c.value)}`;
      if (typeof c.value === 'boolean') return `lower(CAST(${f} AS VARCHAR)) = ${quote(String(c.value))}`;
      return `${num} = ${c.value}`;
    case 'null':
    case 'missing':
      return `${f} IS NULL`;
    case 'exists':
      return `${f} IS NOT NULL`;
    case 'prefix':
      return stringMatch(f, [c.value, '']);
    case 'suffix':
      return stringMatch(f, ['', c.value]);
    case 'iprefix':
      return stringMatch(`lower(${f})`, [c.value.toLowerCase(), '']);
    case 'isuffix':
      return stringMatch(`lower(${f})`, ['', c.value.toLowerCase()]);
    case 'ieq':
      return `lower(${f}) = ${quote(c.value.toLowerCase())}`;
    case 'wildcard':
      return stringMatch(f, wildcardParts(c.value));
    case 'cidr':
      return `contains(${quote(c.value)}, CAST(${f} AS IPADDRESS))`;
    case 'gt':
      return `${num} > ${c.value}`;
    case 'gte':
      return `${num} >= ${c.value}`;
    case 'lt':
      return `${num} < ${c.value}`;
    case 'lte':
      return `${num} <= ${c.value}`;
    case 'numeq':
      return `${num} = ${c.value}`;
  }
}

/** The WHERE condition of a rule (no leading WHERE). */
export function exprSql(e: Expr, dialect: SqlDialect): string {
  if ('field' in e) return condSql(e, dialect);
  if ('not' in e) return `NOT (${exprSql(e.not, dialect)})`;
  if ('or' in e)
    return `(${e.or.map((x) => ('and' in x ? `(${exprSql(x, dialect)})` : exprSql(x, dialect))).join(' OR ')})`;
  return e.and.map((x) => exprSql(x, dialect)).join(' AND ');
}

export interface SqlOptions {
  /** Athena table (default `cloudtrail_logs`) or CloudTrail Lake event data store id (default placeholder `eventdatastore`). */
  from?: string;
}

/** One query for a rule. */
export function ruleSql(rule: Rule, dialect: SqlDialect, opts: SqlOptions = {}): string {
  const from = opts.from ?? (dialect === 'athena' ? 'cloudtrail_logs' : 'eventdatastore');
  const f = (name: string) => fieldSql(name.split('.'), dialect);
  const where = exprSql(patternToExpr(rule.pattern), dialect);
  const header = `-- ${rule.id} (${rule.severity}): ${rule.title.replace(/\n/g, ' ')}`;
  const principal = `${f('userIdentity.arn')}`;
  if (rule.stateful) {
    const w = rule.stateful.windowSeconds;
    const window = `from_unixtime(floor(to_unixtime(${dialect === 'athena' ? 'from_iso8601_timestamp(eventtime)' : 'eventTime'}) / ${w}) * ${w})`;
    const measure = rule.stateful.type === 'count' ? 'count(*)' : `count(DISTINCT ${f('awsRegion')})`;
    return `${header}\n-- stateful: ${rule.stateful.type} >= ${rule.stateful.threshold} per principal in ${w}-second tumbling windows\nSELECT ${quote(rule.id)} AS rule_id, ${principal} AS principal, ${window} AS window_start, ${measure} AS value\nFROM ${from}\nWHERE ${where}\nGROUP BY 1, 2, 3\nHAVING ${measure} >= ${rule.stateful.threshold};`;
  }
  const cols = ['eventTime', 'eventID', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress'].map(f);
  return `${header}\nSELECT ${quote(rule.id)} AS rule_id, ${cols.join(', ')}, ${principal} AS principal\nFROM ${from}\nWHERE ${where};`;
}

/** Every rule as SQL for Athena or CloudTrail Lake. */
export function exportSql(rules: readonly Rule[], dialect: SqlDialect, opts: SqlOptions = {}): string {
  return `${rules.map((r) => ruleSql(r, dialect, opts)).join('\n\n')}\n`;
}
