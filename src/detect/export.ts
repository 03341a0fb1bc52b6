/**
 * Renderers of the rule set for other engines: EventBridge (what the infra deploys), and — via a
 * neutral boolean expression over CloudTrail fields (`patternToExpr`) — Sigma (export-sigma.ts) and
 * SQL for Athena and CloudTrail Lake (export-sql.ts).
 */
import { DETAIL_TYPES } from './knowledge';
import type { EventPattern } from './pattern';
import type { Rule, RuleFile } from './rules';

/** A condition on one CloudTrail field (path from the record's root, e.g. ['requestParameters','userName']). */
export type Cond =
  | { field: string[]; op: 'eq'; value: string | number | boolean }
  | { field: string[]; op: 'null' | 'exists' | 'missing' }
  | {
      field: string[];
      op: 'prefix' | 'suffix' | 'iprefix' | 'isuffix' | 'ieq' | 'wildcard' | 'cidr';
      value: string;
    }
  | { field: string[]; op: 'gt' | 'gte' | 'lt' | 'lte' | 'numeq'; value: number };

export type Expr = { and: Expr[] } | { or: Expr[] } | { not: Expr } | Cond;

const ENVELOPE_FIELDS: Record<string, string> = {
  region: 'awsRegion',
  account: 'recipientAccountId',
  time: 'eventTime',
  id: 'eventID',
};
const EVENT_TYPE_BY_DETAIL_TYPE = Object.fromEntries(Object.entries(DETAIL_TYPES).map(([k, v]) => [v, k]));

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function matcherExpr(field: string[], m: unknown): Expr {
  if (m === null) return { field, op: 'null' };
  if (typeof m === 'string' || typeof m === 'number' || typeof m === 'boolean')
    return { field, op: 'eq', value: m };
  const [op, arg] = Object.entries(m as Record<string, unknown>)[0] as [string, unknown];
  switch (op) {
    case 'prefix':
    case 'suffix':
      return isObject(arg)
        ? { field, op: op === 'prefix' ? 'iprefix' : 'isuffix', value: arg['equals-ignore-case'] as string }
        : { field, op, value: arg as string };
    case 'equals-ignore-case':
      return { field, op: 'ieq', value: arg as string };
    case 'wildcard':
      return { field, op: 'wildcard', value: arg as string };
    case 'cidr':
      return { field, op: 'cidr', value: arg as string };
    case 'exists':
      return { field, op: arg ? 'exists' : 'missing' };
    case 'numeric': {
      const list = arg as (string | number)[];
      const parts: Expr[] = [];
      const ops: Record<string, 'gt' | 'gte' | 'lt' | 'lte' | 'numeq'> = {
        '>': 'gt',
        '>=': 'gte',
        '<': 'lt',
        '<=': 'lte',
        '=': 'numeq',
      };
      for (let i = 0; i < list.length; i += 2)
        parts.push({ field, op: ops[list[i] as string]!, value: list[i + 1] as number });
      return parts.length === 1 ? parts[0]! : { and: parts };
    }
    case 'anything-but': {
      let excluded: Expr[];
      if (Array.isArray(arg)) excluded = arg.map((v) => ({ field, op: 'eq', value: v }) as Expr);
      else if (isObject(arg)) {
        const [inner, v] = Object.entries(arg)[0] as [string, unknown];
        const values = Array.isArray(v) ? v : [v];
        excluded = values.map((x) => matcherExpr(field, { [inner]: x }));
      } else excluded = [{ field, op: 'eq', value: arg as string | number }];
      return {
        and: [{ field, op: 'exists' }, { not: excluded.length === 1 ? excluded[0]! : { or: excluded } }],
      };
    }
    default:
      throw new Error(`cannot translate operator ${op}`);
  }
}

function leafExpr(field: string[], list: unknown[]): Expr {
  const parts = list.map((m) => matcherExpr(field, m));
  return parts.length === 1 ? parts[0]! : { or: parts };
}

function objectExpr(obj: Record<string, unknown>, path: string[]): Expr[] {
  const out: Expr[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (key === '$or')
      out.push({ or: (value as Record<string, unknown>[]).map((b) => and(objectExpr(b, path))) });
    else if (Array.isArray(value)) out.push(leafExpr([...path, key], value));
    else out.push(...objectExpr(value as Record<string, unknown>, [...path, key]));
  }
  return out;
}

const and = (parts: Expr[]): Expr => (parts.length === 1 ? parts[0]! : { and: parts });

/**
 * The pattern as a condition over CloudTrail record fields. `detail.*` maps to the record; the
 * envelope's `source` becomes `eventSource` (skipped when the pattern also names `detail.eventSource`),
 * `detail-type` becomes `eventType`, `region`/`account`/`time`/`id` their record fields.
 */
export function patternToExpr(pattern: EventPattern): Expr {
  const parts: Expr[] = [];
  const detail = isObject(pattern.detail) ? pattern.detail : undefined;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === 'detail') parts.push(...objectExpr(value as Record<string, unknown>, []));
    else if (key === 'source') {
      if (detail && 'eventSource' in detail) continue;
      parts.push(
        leafExpr(
          ['eventSource'],
          (value as string[]).map((s) => (typeof s === 'string' ? `${s.slice(4)}.amazonaws.com` : s)),
        ),
      );
    } else if (key === 'detail-type') {
      const types = (value as unknown[]).map((t) => EVENT_TYPE_BY_DETAIL_TYPE[t as string] ?? t);
      parts.push(leafExpr(['eventType'], types));
    } else if (key === '$or') {
      parts.push(...objectExpr({ $or: value }, []));
    } else if (ENVELOPE_FIELDS[key] && Array.isArray(value)) {
      parts.push(leafExpr([ENVELOPE_FIELDS[key]!], value));
    } else {
      throw new Error(`cannot translate envelope field ${key}`);
    }
  }
  return and(parts);
}

/** EventBridge export: the patterns as the infra deploys them, with where to deploy each. */
export interface EventBridgeExport {
  rules: {
    id: string;
    name: string;
    description: string;
    severity: string;
    kind: RuleFile['kind'];
    deploy: RuleFile['deploy'];
    service: string | null;
    stateful?: RuleFile['stateful'];
    eventPattern: EventPattern;
  }[];
}

export function exportEventBridge(rules: readonly Rule[]): EventBridgeExport {
  return {
    rules: rules.map((r) => ({
      id: r.id,
      name: `bks-${r.id.toLowerCase()}`,
      description: `${r.id} ${r.title}`.slice(0, 512),
      severity: r.severity,
      kind: r.kind,
      deploy: r.deploy,
      service: r.service,
      ...(r.stateful ? { stateful: r.stateful } : {}),
      eventPattern: r.pattern,
    })),
  };
}
