/**
 * A small evaluator of IAM policy documents (identity policies and service control policies):
 * which statements match a request, and whether the result is an explicit Deny, an Allow or an
 * implicit deny. It exists so that every SCP in `scps/` is proven against requests it must deny
 * and allow, so that `bks scp check` can tell what an organization's policies actually deny, and
 * so that the simulator can apply Deny statements the way AWS does.
 *
 * Semantics follow the IAM policy reference ("IAM JSON policy elements: Condition operators",
 * "...IfExists", "Null", "set operators for multivalued context keys"):
 * - Within a statement's `Condition`, every operator block and every key in it must hold (AND);
 *   the values listed for one key are alternatives (OR). For the negated operators
 *   (`StringNotEquals`, `StringNotLike`, `NumericNotEquals`, `DateNotEquals`, `ArnNotEquals`,
 *   `ArnNotLike`, `NotIpAddress`) the request value must match *none* of the listed values.
 * - A key absent from the request context makes a condition false, except: a negated operator is
 *   true, `...IfExists` is true, `ForAllValues:` is true (nothing violates it), `Null` tests
 *   presence itself. `ForAnyValue:` on an absent key is false. An empty list counts as absent.
 * - Condition key names and action names are case-insensitive; condition values, resources and
 *   ARNs are case-sensitive (except the `...IgnoreCase` operators).
 * - `*` and `?` are wildcards in actions, resources, `StringLike`/`StringNotLike` values and, per
 *   ARN component, in `ArnLike`/`ArnEquals` values.
 * - Policy variables (`${aws:username}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}`) are
 *   substituted in resources and string/ARN condition values of `2012-10-17` policies; a variable
 *   with no value and no default makes that pattern match nothing.
 * - A plain (non-set) operator over a request key that holds several values: a positive operator
 *   holds when any value matches, a negated one when none does (AWS advises set operators there).
 *
 * Anything the evaluator does not understand (an unknown operator, a `Principal` element) throws a
 * `PolicyError` instead of guessing: callers decide how to fail closed.
 */
import { BlockList, isIP } from 'node:net';

export type ContextScalar = string | number | boolean | Date;
export type ContextValue = ContextScalar | readonly ContextScalar[];
/** Request context keys (any case) and their values; `undefined`/`null`/`[]` mean absent. */
export type RequestContext = Readonly<Record<string, ContextValue | null | undefined>>;

export type ConditionValue = string | number | boolean;
export type ConditionBlock = Record<string, Record<string, ConditionValue | readonly ConditionValue[]>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | readonly string[];
  NotAction?: string | readonly string[];
  Resource?: string | readonly string[];
  NotResource?: string | readonly string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | readonly PolicyStatement[];
}

export interface AuthorizationRequest {
  /** `service:Action`, e.g. `bedrock:CallWithBearerToken` (case-insensitive). */
  action: string;
  /** The resource ARN, or `*` for actions without a resource. */
  resource: string;
  context?: RequestContext;
}

export interface StatementMatch {
  policyIndex: number;
  statementIndex: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

export type Decision = 'Deny' | 'Allow' | 'ImplicitDeny';

export interface EvaluationResult {
  decision: Decision;
  /** Every statement that applied to the request, Deny and Allow alike, in policy order. */
  matchedStatements: StatementMatch[];
}

/** A policy the evaluator cannot read or does not support. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/**
 * Evaluates a request against a set of policies evaluated together (for example, all the identity
 * policies of a principal, or all the SCPs attached at one level of an organization): an explicit
 * Deny wins, then any Allow, otherwise the request is implicitly denied.
 */
export function evaluatePolicies(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
): EvaluationResult {
  const matchedStatements: StatementMatch[] = [];
  policies.forEach((policy, policyIndex) => {
    statementsOf(policy).forEach((statement, statementIndex) => {
      if (statementMatches(statement, request, policy.Version)) {
        const match: StatementMatch = { policyIndex, statementIndex, effect: statement.Effect };
        if (statement.Sid !== undefined) match.sid = statement.Sid;
        matchedStatements.push(match);
      }
    });
  });
  const decision: Decision = matchedStatements.some((m) => m.effect === 'Deny')
    ? 'Deny'
    : matchedStatements.some((m) => m.effect === 'Allow')
      ? 'Allow'
      : 'ImplicitDeny';
  return { decision, matchedStatements };
}

/** True when some Deny statement of the policies applies to the request. */
export function isExplicitlyDenied(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
): boolean {
  return evaluatePolicies(policies, request).decision === 'Deny';
}

/** The statements of a policy as a list (`Statement` may be one object or an array). */
export function statementsOf(policy: PolicyDocument): readonly PolicyStatement[] {
  const s = policy.Statement;
  if (Array.isArray(s)) return s as readonly PolicyStatement[];
  if (s && typeof s === 'object') return [s as PolicyStatement];
  throw new PolicyError('policy has no Statement');
}

/** Whether one statement applies to a request (action, resource and every condition). */
export function statementMatches(
  statement: PolicyStatement,
  request: AuthorizationRequest,
  version = '2012-10-17',
): boolean {
  if ('Principal' in statement || 'NotPrincipal' in statement) {
    throw new PolicyError('Principal/NotPrincipal are not supported: identity policies and SCPs only');
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new PolicyError(`Effect must be Allow or Deny (got ${JSON.stringify(statement.Effect)})`);
  }
  const context = normalizeContext(request.context ?? {});
  const variables = version === '2012-10-17';

  if (statement.Action !== undefined && statement.NotAction !== undefined) {
    throw new PolicyError('a statement cannot have both Action and NotAction');
  }
  if (statement.Action !== undefined) {
    if (!list(statement.Action).some((p) => actionMatches(p, request.action))) return false;
  } else if (statement.NotAction !== undefined) {
    if (list(statement.NotAction).some((p) => actionMatches(p, request.action))) return false;
  } else {
    throw new PolicyError('a statement needs Action or NotAction');
  }

  if (statement.Resource !== undefined && statement.NotResource !== undefined) {
    throw new PolicyError('a statement cannot have both Resource and NotResource');
  }
  const resourceMatches = (p: string) => {
    const pattern = variables ? substituteVariables(p, context, true) : p;
    return pattern !== undefined && wildcardMatch(pattern, request.resource, false);
  };
  if (statement.Resource !== undefined) {
    if (!list(statement.Resource).some(resourceMatches)) return false;
  } else if (statement.NotResource !== undefined) {
    if (list(statement.NotResource).some(resourceMatches)) return false;
  }
  // A statement with neither Resource nor NotResource (older SCP grammar) applies to every resource.

  if (statement.Condition !== undefined) {
    if (typeof statement.Condition !== 'object' || statement.Condition === null) {
      throw new PolicyError('Condition must be an object');
    }
    for (const [operator, block] of Object.entries(statement.Condition)) {
      if (typeof block !== 'object' || block === null || Array.isArray(block)) {
        throw new PolicyError(`Condition ${operator} must map keys to values`);
      }
      for (const [key, values] of Object.entries(block)) {
        if (
          !conditionHolds(
            operator,
            key,
            list(values as ConditionValue | ConditionValue[]),
            context,
            variables,
          )
        ) {
          return false;
        }
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Conditions

type Comparator = (requestValue: ContextScalar, policyValue: string) => boolean;

interface OperatorSpec {
  compare: Comparator;
  negated: boolean;
  /** Whether policy variables are substituted in the policy values. */
  variables: boolean;
  /** Whether the policy values are wildcard patterns. */
  pattern?: boolean;
}

const stringEq: Comparator = (r, p) => scalarString(r) === p;
const stringEqIgnoreCase: Comparator = (r, p) => scalarString(r).toLowerCase() === p.toLowerCase();
const stringLike: Comparator = (r, p) => wildcardMatch(p, scalarString(r), false);
const numeric =
  (test: (a: number, b: number) => boolean): Comparator =>
  (r, p) => {
    const a = toNumber(r);
    const b = toNumber(p);
    return a !== undefined && b !== undefined && test(a, b);
  };
const date =
  (test: (a: number, b: number) => boolean): Comparator =>
  (r, p) => {
    const a = toEpochMs(r);
    const b = toEpochMs(p);
    return a !== undefined && b !== undefined && test(a, b);
  };
const bool: Comparator = (r, p) => {
  const a = scalarString(r).toLowerCase();
  return (a === 'true' || a === 'false') && a === p.toLowerCase();
};
const arnLike: Comparator = (r, p) => arnMatch(p, scalarString(r));
const ipAddress: Comparator = (r, p) => ipInRange(scalarString(r), p);

const OPERATORS: Record<string, OperatorSpec> = {
  stringequals: { compare: stringEq, negated: false, variables: true },
  stringnotequals: { compare: stringEq, negated: true, variables: true },
  stringequalsignorecase: { compare: stringEqIgnoreCase, negated: false, variables: true },
  stringnotequalsignorecase: { compare: stringEqIgnoreCase, negated: true, variables: true },
  stringlike: { pattern: true, compare: stringLike, negated: false, variables: true },
  stringnotlike: { pattern: true, compare: stringLike, negated: true, variables: true },
  numericequals: { compare: numeric((a, b) => a === b), negated: false, variables: false },
  numericnotequals: { compare: numeric((a, b) => a === b), negated: true, variables: false },
  numericlessthan: { compare: numeric((a, b) => a < b), negated: false, variables: false },
  numericlessthanequals: { compare: numeric((a, b) => a <= b), negated: false, variables: false },
  numericgreaterthan: { compare: numeric((a, b) => a > b), negated: false, variables: false },
  numericgreaterthanequals: { compare: numeric((a, b) => a >= b), negated: false, variables: false },
  dateequals: { compare: date((a, b) => a === b), negated: false, variables: false },
  datenotequals: { compare: date((a, b) => a === b), negated: true, variables: false },
  datelessthan: { compare: date((a, b) => a < b), negated: false, variables: false },
  datelessthanequals: { compare: date((a, b) => a <= b), negated: false, variables: false },
  dategreaterthan: { compare: date((a, b) => a > b), negated: false, variables: false },
  dategreaterthanequals: { compare: date((a, b) => a >= b), negated: false, variables: false },
  bool: { compare: bool, negated: false, variables: false },
  binaryequals: { compare: stringEq, negated: false, variables: false },
  ipaddress: { compare: ipAddress, negated: false, variables: false },
  notipaddress: { compare: ipAddress, negated: true, variables: false },
  arnequals: { pattern: true, compare: arnLike, negated: false, variables: true },
  arnlike: { pattern: true, compare: arnLike, negated: false, variables: true },
  arnnotequals: { pattern: true, compare: arnLike, negated: true, variables: true },
  arnnotlike: { pattern: true, compare: arnLike, negated: true, variables: true },
};

/** The condition operators the evaluator supports (without set prefixes and `IfExists`). */
export const SUPPORTED_OPERATORS: readonly string[] = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
];

interface ParsedOperator {
  set: 'all' | 'any' | undefined;
  ifExists: boolean;
  name: string;
}

function parseOperator(operator: string): ParsedOperator {
  let rest = operator;
  let set: ParsedOperator['set'];
  const prefix = /^(forallvalues|foranyvalue):/i.exec(rest);
  if (prefix) {
    set = prefix[1]!.toLowerCase() === 'forallvalues' ? 'all' : 'any';
    rest = rest.slice(prefix[0].length);
  }
  let ifExists = false;
  if (/ifexists$/i.test(rest) && rest.length > 'IfExists'.length) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const name = rest.toLowerCase();
  if (name === 'null') {
    if (ifExists || set) throw new PolicyError(`unsupported condition operator ${operator}`);
  } else if (!(name in OPERATORS)) {
    throw new PolicyError(`unsupported condition operator ${operator}`);
  }
  return { set, ifExists, name };
}

function conditionHolds(
  operator: string,
  key: string,
  policyValues: readonly ConditionValue[],
  context: Map<string, ContextScalar[]>,
  variables: boolean,
): boolean {
  const op = parseOperator(operator);
  const requestValues = context.get(key.toLowerCase());
  const absent = requestValues === undefined;

  if (op.name === 'null') {
    return policyValues.some((v) => {
      const s = String(v).toLowerCase();
      if (s !== 'true' && s !== 'false') {
        throw new PolicyError(`Null condition on ${key} needs "true" or "false" (got ${JSON.stringify(v)})`);
      }
      return (s === 'true') === absent;
    });
  }

  const spec = OPERATORS[op.name]!;
  if (absent) {
    if (op.ifExists) return true;
    if (op.set === 'all') return true;
    if (op.set === 'any') return false;
    return spec.negated;
  }

  const values: string[] = [];
  for (const v of policyValues) {
    const s = String(v);
    const substituted =
      spec.variables && variables ? substituteVariables(s, context, spec.pattern === true) : s;
    if (substituted !== undefined) values.push(substituted);
  }
  const matchesAny = (r: ContextScalar) => values.some((p) => spec.compare(r, p));
  const holdsFor = (r: ContextScalar) => (spec.negated ? !matchesAny(r) : matchesAny(r));

  if (op.set === 'all') return requestValues.every(holdsFor);
  if (op.set === 'any') return requestValues.some(holdsFor);
  return spec.negated ? !requestValues.some(matchesAny) : requestValues.some(matchesAny);
}

/** Lower-cases context keys and turns every value into a non-empty list (absent keys dropped). */
function normalizeContext(context: RequestContext): Map<string, ContextScalar[]> {
  const out = new Map<string, ContextScalar[]>();
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? [...(value as ContextScalar[])] : [value as ContextScalar];
    const present = values.filter((v) => v !== undefined && v !== null);
    if (present.length > 0) out.set(key.toLowerCase(), present);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Matching helpers

function list<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

const regexCache = new Map<string, RegExp>();

/** `*` matches any run of characters, `?` exactly one; everything else is literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === '*') return true;
  const cacheKey = (ignoreCase ? 'i:' : 's:') + pattern;
  let re = regexCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => {
        if (c === '*') return '.*';
        if (c === '?') return '.';
        if (c === LITERAL_STAR) return '\\*';
        if (c === LITERAL_QMARK) return '\\?';
        return c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
      })
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (regexCache.size > 5000) regexCache.clear();
    regexCache.set(cacheKey, re);
  }
  return re.test(value);
}

/** Action patterns (`bedrock:*`, `iam:*AccessKey*`, `*`) against `service:Action`, ignoring case. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action, true);
}

/** `ArnLike`/`ArnEquals`: each of the six colon-separated components compared on its own. */
function arnMatch(pattern: string, arn: string): boolean {
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return wildcardMatch(pattern, arn, false);
  return p.every((part, i) => wildcardMatch(part, a[i]!, false));
}

function splitArn(arn: string): string[] | undefined {
  const parts: string[] = [];
  let rest = arn;
  for (let i = 0; i < 5; i++) {
    const at = rest.indexOf(':');
    if (at < 0) return undefined;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

function scalarString(v: ContextScalar): string {
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function toNumber(v: ContextScalar | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !/^\s*-?\d+(\.\d+)?\s*$/.test(v)) return undefined;
  return Number(v);
}

/** Dates: `Date`, ISO 8601 text, or epoch seconds (number or digits). */
function toEpochMs(v: ContextScalar | string): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime();
  if (typeof v === 'number') return Number.isFinite(v) ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

function ipInRange(address: string, cidr: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const [net, bits] = cidr.split('/');
  const netFamily = isIP(net ?? '');
  if (netFamily !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  if (!Number.isInteger(prefix)) return false;
  const blocks = new BlockList();
  blocks.addSubnet(net!, prefix, type);
  return blocks.check(address, type);
}

/** Literal `*` and `?` inside a wildcard pattern (from `${*}`, `${?}` or a substituted value). */
const LITERAL_STAR = '\u0000';
const LITERAL_QMARK = '\u0001';

/**
 * Substitutes `${key}` / `${key, 'default'}` and the escapes `${*}`, `${?}`, `${$}`. In a wildcard
 * pattern (`pattern`), the escapes and any `*`/`?` inside a substituted value stay literal. Returns
 * undefined when a variable has no single value and no default: the pattern then matches nothing.
 */
function substituteVariables(
  text: string,
  context: Map<string, ContextScalar[]>,
  pattern: boolean,
): string | undefined {
  if (!text.includes('${')) return text;
  const literal = (v: string) =>
    pattern ? v.replaceAll('*', LITERAL_STAR).replaceAll('?', LITERAL_QMARK) : v;
  let missing = false;
  const out = text.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
    const body = inner.trim();
    if (body === '*' || body === '?' || body === '$') return literal(body);
    const def = /^(.*?)\s*,\s*'([^']*)'$/.exec(body);
    const key = (def ? def[1]! : body).toLowerCase();
    const values = context.get(key);
    if (values && values.length === 1) return literal(scalarString(values[0]!));
    if (def) return literal(def[2]!);
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}
