/**
 * The service control policies in `scps/` as a catalog: each `<name>.json` is a policy (possibly
 * with `{{parameter}}` placeholders) and `<name>.tests.json` carries its title, description,
 * parameters and the requests it must deny, must allow, and knowingly does not deny (with the
 * reason). `proveScp` runs those requests through the evaluator; the test suite fails when a
 * policy misses its own samples, and `bks scp check` uses the same requests to recognise a control
 * in an organization's own policies.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../paths';
import {
  type AuthorizationRequest,
  evaluatePolicies,
  type PolicyDocument,
  type RequestContext,
} from './evaluate';

/**
 * The deployable controls by name, for typed props (CDK) and flags. A test keeps this list equal
 * to the files in `scps/`.
 */
export const SCP_CONTROLS = [
  'api-key-max-age',
  'deny-api-keys',
  'deny-long-term-api-keys',
  'deny-phantom-escalation',
  'deny-phantom-users',
] as const;
export type ScpControl = (typeof SCP_CONTROLS)[number];

/** The SCP size limit, counted on the policy without whitespace outside strings. */
export const SCP_MAX_CHARS = 5120;

export interface ScpRequest extends AuthorizationRequest {
  /** What the request stands for, as a person would say it. */
  name: string;
  /** For known gaps: why the policy cannot deny it. */
  reason?: string;
}

export interface ScpParameter {
  description: string;
  default: number;
  min: number;
  max: number;
}

export interface ScpEntry {
  /** File name without `.json`: what `bks scp show NAME` takes. */
  name: string;
  title: string;
  description: string;
  parameters: Record<string, ScpParameter>;
  /** The policy as stored, placeholders included. */
  template: PolicyDocument;
  mustDeny: ScpRequest[];
  mustAllow: ScpRequest[];
  /** Requests one might expect denied that the policy does not (and cannot) deny. */
  knownGaps: ScpRequest[];
  /** A documented example of what not to deploy (never listed, shown or checked). */
  negativeExample: boolean;
  /**
   * For SCPs that deny what `bks selftest` does: which statements (by Sid) exempt its one role
   * (`role`: creating the canary) or its canary users (`canary`: the canary's one bearer call), and
   * the requests that prove the exemption (`mustAllow` with it, denied without it) and its limits
   * (`mustDeny` even with it). Requests name the sample role SELFTEST_SAMPLE_ROLE.
   */
  selftest?: { exempt: Record<string, SelftestExemptKind>; mustAllow: ScpRequest[]; mustDeny: ScpRequest[] };
}

export type SelftestExemptKind = 'role' | 'canary';

/** The role the selftest samples of scps/*.tests.json name (replaced by the real one in proofs). */
export const SELFTEST_SAMPLE_ROLE = 'arn:aws:iam::111122223333:role/bks-selftest';
/** The canary users of `bks selftest` (src/pipeline/canary.ts), in every partition and account. */
export const CANARY_PRINCIPALS = 'arn:*:iam::*:user/BedrockAPIKey-bks-canary-*';

/** Checks a selftest role ARN: one role (no wildcard), of a known partition. */
export function parseSelftestRole(arn: string): string {
  if (!/^arn:(aws|aws-us-gov|aws-cn):iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(arn)) {
    throw new RangeError(
      `"${arn}" is not the ARN of one IAM role (arn:aws:iam::123456789012:role/NAME, no wildcard)`,
    );
  }
  return arn;
}

export type ScpParams = Record<string, number | undefined>;

/** The `scps/` directory of this package. */
export function scpDirectory(): string {
  return `${packagePath('scps')}/`;
}

/** Reads every SCP and its tests; `includeNegative` adds the documented negative examples. */
export function loadScpCatalog(opts: { dir?: string; includeNegative?: boolean } = {}): ScpEntry[] {
  const dir = opts.dir ?? scpDirectory();
  const entries = readDir(dir, '', false);
  if (opts.includeNegative) {
    try {
      entries.push(...readDir(join(dir, 'negative'), 'negative/', true));
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
  }
  return entries;
}

function readDir(dir: string, prefix: string, negative: boolean): ScpEntry[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.tests.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  return names.map((base) => {
    const policyFile = join(dir, `${base}.json`);
    const testsFile = join(dir, `${base}.tests.json`);
    const template = JSON.parse(readFileSync(policyFile, 'utf8')) as PolicyDocument;
    const tests = JSON.parse(readFileSync(testsFile, 'utf8')) as Record<string, unknown>;
    const where = `${prefix}${base}.tests.json`;
    const requestList = (list: unknown, field: string, required: boolean): ScpRequest[] => {
      if (list === undefined && !required) return [];
      if (!Array.isArray(list) || (required && list.length === 0)) {
        throw new Error(`${where}: ${field} must be a non-empty list of requests`);
      }
      return list.map((r, i) => {
        const req = r as ScpRequest;
        if (
          typeof req.name !== 'string' ||
          typeof req.action !== 'string' ||
          typeof req.resource !== 'string'
        ) {
          throw new Error(`${where}: ${field}[${i}] needs name, action and resource`);
        }
        return req;
      });
    };
    const requests = (field: string, required: boolean) => requestList(tests[field], field, required);
    if (typeof tests.title !== 'string' || typeof tests.description !== 'string') {
      throw new Error(`${where}: title and description are required`);
    }
    const selftest = selftestSection(tests.selftest, template, where, requestList);
    return {
      name: `${prefix}${base}`,
      title: tests.title,
      description: tests.description,
      parameters: (tests.parameters ?? {}) as Record<string, ScpParameter>,
      template,
      mustDeny: requests('mustDeny', true),
      mustAllow: requests('mustAllow', true),
      knownGaps: requests('knownGaps', false),
      negativeExample: Boolean(tests.negativeExample) || negative,
      ...(selftest ? { selftest } : {}),
    };
  });
}

function selftestSection(
  raw: unknown,
  template: PolicyDocument,
  where: string,
  requestList: (list: unknown, field: string, required: boolean) => ScpRequest[],
): ScpEntry['selftest'] {
  if (raw === undefined) return undefined;
  const o = raw as { exempt?: Record<string, unknown>; mustAllow?: unknown; mustDeny?: unknown };
  const sids = new Set(
    (Array.isArray(template.Statement) ? template.Statement : [template.Statement]).map((st) => st.Sid),
  );
  const exempt: Record<string, SelftestExemptKind> = {};
  for (const [sid, kind] of Object.entries(o.exempt ?? {})) {
    if (!sids.has(sid)) throw new Error(`${where}: selftest.exempt names no statement ${sid}`);
    if (kind !== 'role' && kind !== 'canary')
      throw new Error(`${where}: selftest.exempt.${sid} must be role or canary`);
    exempt[sid] = kind;
  }
  if (Object.keys(exempt).length === 0) throw new Error(`${where}: selftest.exempt must name a statement`);
  return {
    exempt,
    mustAllow: requestList(o.mustAllow, 'selftest.mustAllow', true),
    mustDeny: requestList(o.mustDeny, 'selftest.mustDeny', true),
  };
}

/**
 * The policy with the `bks selftest` exemption: each statement the entry names gets the condition
 * `ArnNotLike aws:PrincipalArn` on the selftest role (creating the canary) or on the canary users
 * (its one bearer call). Conditions are ANDed: the statement still denies everyone else.
 */
function withSelftestExemption(policy: PolicyDocument, entry: ScpEntry, role: string): PolicyDocument {
  const exempt = entry.selftest?.exempt;
  if (!exempt)
    throw new RangeError(`${entry.name} denies nothing bks selftest does: it takes no selftest role`);
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return {
    ...policy,
    Statement: statements.map((st) => {
      const kind = st.Sid ? exempt[st.Sid] : undefined;
      if (!kind) return st;
      const cond = (st.Condition ?? {}) as Record<string, Record<string, unknown>>;
      const prior = cond['ArnNotLike']?.['aws:PrincipalArn'];
      const arns = [
        ...(prior === undefined ? [] : Array.isArray(prior) ? prior : [prior]),
        kind === 'role' ? role : CANARY_PRINCIPALS,
      ];
      return {
        ...st,
        Condition: {
          ...cond,
          ArnNotLike: { ...cond['ArnNotLike'], 'aws:PrincipalArn': arns.length === 1 ? arns[0] : arns },
        },
      };
    }),
  } as PolicyDocument;
}

/**
 * Fills in parameter values: defaults for the missing ones, a RangeError naming the parameter for
 * an out-of-range value or for a parameter the policy does not take.
 */
export function resolveParams(entry: ScpEntry, given: ScpParams = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && !(name in entry.parameters)) {
      throw new RangeError(`${entry.name} takes no parameter ${name}`);
    }
  }
  for (const [name, spec] of Object.entries(entry.parameters)) {
    const value = given[name] ?? spec.default;
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new RangeError(
        `${name} must be a whole number between ${spec.min} and ${spec.max} (got ${value})`,
      );
    }
    out[name] = value;
  }
  return out;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*(?:([+-])\s*(\d+)\s*)?\}\}/g;

function substitute(text: string, params: Record<string, number>): string {
  return text.replace(PLACEHOLDER, (_m, name: string, sign?: string, delta?: string) => {
    const value = params[name];
    if (value === undefined) throw new RangeError(`no value for template parameter ${name}`);
    const d = delta === undefined ? 0 : Number(delta) * (sign === '-' ? -1 : 1);
    return String(value + d);
  });
}

function substituteDeep(value: unknown, params: Record<string, number>, numbers: boolean): unknown {
  if (typeof value === 'string') {
    const out = substitute(value, params);
    const whole = value.trim().startsWith('{{') && value.trim().endsWith('}}');
    return numbers && whole && /^-?\d+$/.test(out) ? Number(out) : out;
  }
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, params, numbers));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, params, numbers)]));
  }
  return value;
}

/** Options beyond the numeric parameters. */
export interface ScpOptions {
  /** Exempt this role (and the canaries it makes) for `bks selftest` (docs/commands/selftest.md). */
  selftestRole?: string;
}

/** The deployable policy with its parameters filled in. */
export function renderScp(entry: ScpEntry, params: ScpParams = {}, opts: ScpOptions = {}): PolicyDocument {
  const policy = substituteDeep(entry.template, resolveParams(entry, params), false) as PolicyDocument;
  return opts.selftestRole
    ? withSelftestExemption(policy, entry, parseSelftestRole(opts.selftestRole))
    : policy;
}

/** The selftest requests naming the given role instead of the sample one. */
function selftestRequests(list: readonly ScpRequest[], role: string): ScpRequest[] {
  return list.map((r) => ({
    ...r,
    name: `selftest: ${r.name}`,
    ...(r.context
      ? {
          context: Object.fromEntries(
            Object.entries(r.context).map(([k, v]) => [k, v === SELFTEST_SAMPLE_ROLE ? role : v]),
          ) as RequestContext,
        }
      : {}),
  }));
}

/** The description with its parameters filled in. */
export function describeScp(entry: ScpEntry, params: ScpParams = {}): string {
  return substitute(entry.description, resolveParams(entry, params));
}

/** What `aws organizations create-policy --content` takes: no whitespace outside strings. */
export function minifyPolicy(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}

/** The entry's requests with parameters filled in (whole-placeholder values become numbers). */
export function renderRequests(
  entry: ScpEntry,
  list: readonly ScpRequest[],
  params: ScpParams = {},
): ScpRequest[] {
  const values = resolveParams(entry, params);
  return list.map((r) => {
    const out: ScpRequest = { ...r, resource: substitute(r.resource, values) };
    if (r.context) out.context = substituteDeep(r.context, values, true) as RequestContext;
    return out;
  });
}

export type Expectation = 'deny' | 'allow' | 'gap';

export interface ProofLine {
  expected: Expectation;
  request: ScpRequest;
  /** Whether the policy explicitly denies the request. */
  denied: boolean;
  /** Deny for `deny`; no deny for `allow` and `gap`. */
  ok: boolean;
}

/**
 * Runs an SCP against its own samples. With a selftest role, the selftest samples run too (allowed
 * for that role, still denied otherwise); without one, the requests the exemption would allow are
 * proved denied.
 */
export function proveScp(entry: ScpEntry, params: ScpParams = {}, opts: ScpOptions = {}): ProofLine[] {
  const policy = renderScp(entry, params, opts);
  const lines: ProofLine[] = [];
  const run = (expected: Expectation, list: readonly ScpRequest[]) => {
    for (const request of renderRequests(entry, list, params)) {
      const denied = evaluatePolicies([policy], request).decision === 'Deny';
      lines.push({ expected, request, denied, ok: expected === 'deny' ? denied : !denied });
    }
  };
  run('deny', entry.mustDeny);
  run('allow', entry.mustAllow);
  run('gap', entry.knownGaps);
  if (entry.selftest) {
    const role = opts.selftestRole ?? SELFTEST_SAMPLE_ROLE;
    run(opts.selftestRole ? 'allow' : 'deny', selftestRequests(entry.selftest.mustAllow, role));
    if (opts.selftestRole) run('deny', selftestRequests(entry.selftest.mustDeny, role));
  }
  return lines;
}
