/**
 * The simulator's minimal explicit-Deny matcher: does any Deny statement in these policy documents
 * match this action, resource and request context? It is what the Bedrock runtime uses to refuse a
 * revoked key. Kept in one small module so the project's evaluator (`src/policy`) can replace it.
 *
 * Supported: Action/NotAction, Resource/NotResource with `*`/`?` wildcards, and the condition
 * operators String*, Date*, Numeric*, Bool, Null, ArnLike/ArnEquals (each with `IfExists`), over
 * case-insensitive condition keys. An operator it does not know makes the statement not match
 * (the sim only denies what it understands).
 */

export interface PolicyDocument {
  Version?: string;
  Statement?: Statement | Statement[];
}

interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Condition context: key (any case) → value(s). Dates as `Date` or ISO strings. */
export type RequestContext = Record<string, string | string[] | Date | number | boolean | undefined>;

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

function contextValues(ctx: RequestContext, key: string): string[] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(ctx)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    return values.map((x) => (x instanceof Date ? x.toISOString() : String(x)));
  }
  return undefined;
}

function toTime(v: string): number {
  return /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
}

type Compare = (actual: string, expected: string) => boolean;

const OPERATORS: Record<string, Compare> = {
  stringequals: (a, e) => a === e,
  stringnotequals: (a, e) => a !== e,
  stringequalsignorecase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  stringnotequalsignorecase: (a, e) => a.toLowerCase() !== e.toLowerCase(),
  stringlike: (a, e) => wildcard(e, a, false),
  stringnotlike: (a, e) => !wildcard(e, a, false),
  arnequals: (a, e) => wildcard(e, a, false),
  arnlike: (a, e) => wildcard(e, a, false),
  arnnotequals: (a, e) => !wildcard(e, a, false),
  arnnotlike: (a, e) => !wildcard(e, a, false),
  numericequals: (a, e) => Number(a) === Number(e),
  numericnotequals: (a, e) => Number(a) !== Number(e),
  numericlessthan: (a, e) => Number(a) < Number(e),
  numericlessthanequals: (a, e) => Number(a) <= Number(e),
  numericgreaterthan: (a, e) => Number(a) > Number(e),
  numericgreaterthanequals: (a, e) => Number(a) >= Number(e),
  dateequals: (a, e) => toTime(a) === toTime(e),
  datenotequals: (a, e) => toTime(a) !== toTime(e),
  datelessthan: (a, e) => toTime(a) < toTime(e),
  datelessthanequals: (a, e) => toTime(a) <= toTime(e),
  dategreaterthan: (a, e) => toTime(a) > toTime(e),
  dategreaterthanequals: (a, e) => toTime(a) >= toTime(e),
  bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
};

const NEGATED = new Set([
  'stringnotequals',
  'stringnotequalsignorecase',
  'stringnotlike',
  'arnnotequals',
  'arnnotlike',
  'numericnotequals',
  'datenotequals',
]);

function conditionMatches(condition: Statement['Condition'], ctx: RequestContext): boolean {
  if (!condition) return true;
  for (const [rawOp, block] of Object.entries(condition)) {
    let op = rawOp.toLowerCase();
    let setOp: 'any' | 'all' | undefined;
    if (op.startsWith('forallvalues:')) {
      setOp = 'all';
      op = op.slice('forallvalues:'.length);
    } else if (op.startsWith('foranyvalue:')) {
      setOp = 'any';
      op = op.slice('foranyvalue:'.length);
    }
    const ifExists = op.endsWith('ifexists');
    if (ifExists) op = op.slice(0, -'ifexists'.length);
    for (const [key, expectedRaw] of Object.entries(block ?? {})) {
      const expected = (Array.isArray(expectedRaw) ? expectedRaw : [expectedRaw]).map(String);
      const actual = contextValues(ctx, key);
      if (op === 'null') {
        const wantNull = expected.some((e) => e.toLowerCase() === 'true');
        if (wantNull !== (actual === undefined)) return false;
        continue;
      }
      const compare = OPERATORS[op];
      if (!compare) return false;
      if (actual === undefined) {
        if (ifExists || setOp === 'all') continue;
        return false;
      }
      const one = (a: string) =>
        NEGATED.has(op) ? expected.every((e) => compare(a, e)) : expected.some((e) => compare(a, e));
      const ok = setOp === 'all' ? actual.every(one) : actual.some(one);
      if (!ok) return false;
    }
  }
  return true;
}

function statements(doc: PolicyDocument | string): Statement[] {
  const parsed: PolicyDocument = typeof doc === 'string' ? JSON.parse(decodeURIComponent(doc)) : doc;
  const s = parsed.Statement;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

/**
 * The first Deny statement (its Sid or index) in `docs` that matches any of `actions` on
 * `resource` in `ctx`; undefined when none does.
 */
export function matchingDeny(
  docs: (PolicyDocument | string)[],
  actions: string[],
  resource: string,
  ctx: RequestContext,
): string | undefined {
  for (const doc of docs) {
    let all: Statement[];
    try {
      all = statements(doc);
    } catch {
      continue;
    }
    for (const [i, st] of all.entries()) {
      if (st.Effect !== 'Deny') continue;
      const actionOk = actions.some((a) =>
        st.NotAction !== undefined
          ? !list(st.NotAction).some((p) => wildcard(p, a, true))
          : list(st.Action).some((p) => wildcard(p, a, true)),
      );
      if (!actionOk) continue;
      const resourceOk =
        st.NotResource !== undefined
          ? !list(st.NotResource).some((p) => wildcard(p, resource, false))
          : list(st.Resource ?? '*').some((p) => wildcard(p, resource, false));
      if (!resourceOk) continue;
      if (!conditionMatches(st.Condition, ctx)) continue;
      return st.Sid ?? `Statement[${i}]`;
    }
  }
  return undefined;
}
