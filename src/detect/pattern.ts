/**
 * The EventBridge event-pattern language, as AWS documents it ("Content filtering in Amazon
 * EventBridge event patterns", "Comparison operators for use in event patterns", "Matching events on
 * null values and empty strings", "Arrays in EventBridge event patterns"), compiled once into plain
 * predicates.
 *
 * Semantics implemented (and tested operator by operator in test/detect/pattern.test.ts):
 * - A pattern is an object. A key maps to a nested object (descend) or to a non-empty array of
 *   matchers (a leaf: the field matches when ANY matcher matches). All keys must match (AND).
 *   `"$or": [ {…}, {…} ]` at any level matches when any of its sub-patterns matches.
 * - Event arrays match when any element matches. For arrays of objects the match is
 *   array-consistent: the fields of one sub-pattern must come from the same element.
 * - Leaf matchers apply to leaf values (strings, numbers, booleans, null). An object is not a leaf,
 *   and an empty array has no values: for both, only `{"exists": false}` matches.
 * - Exact values: a string matches the identical string, a number the numerically equal number,
 *   `true`/`false`/`null` themselves; `""` and `null` are distinct. Types never coerce (`"5"` ≠ `5`,
 *   `"true"` ≠ `true`).
 * - `prefix`, `suffix` (optionally `{"equals-ignore-case": s}` inside), `equals-ignore-case`,
 *   `wildcard` (`*` any run, `\*` a star, `\\` a backslash; `**` and other escapes are invalid) and
 *   `cidr` (IPv4 and IPv6) match string values only.
 * - `numeric` (`=`, or one lower bound `>`/`>=` and/or one upper bound `<`/`<=`) matches JSON numbers
 *   only — never strings that look like numbers.
 * - `exists: true` matches a present leaf value (including `null` and `""`); `exists: false` matches
 *   a missing field, an object, or an empty array. Under an array of objects, a sub-pattern made only
 *   of `exists: false` holds when no element has the field (aws/event-ruler's decision; the user
 *   guide is silent); with other fields it is judged in the element they match.
 * - `numeric` ranges name the lower bound first and must not be empty (event-ruler refuses both).
 * - `anything-but`: a string, a number, a list of only strings or only numbers, or an object with
 *   `prefix`, `suffix`, `equals-ignore-case` (string or list) or `wildcard` (string or list). It needs
 *   a present leaf value and matches when the value is not excluded — values of another type are not
 *   excluded (`{"anything-but": "x"}` matches `5` and `null`). With an event array it matches when any
 *   element is not excluded.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type EventPattern = { [key: string]: unknown };

/** A pattern that is not valid, with the JSON path of the offending part. */
export class PatternError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'PatternError';
  }
}

type Leaf = string | number | boolean | null;
type LeafTest = (value: Leaf) => boolean;
/** A compiled object pattern: true when the (object) event value matches. */
export type Predicate = (event: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * True when some leaf of a field value satisfies `pred`: a leaf is the value itself, or any element
 * of an array (nested arrays flattened). Objects are not leaves. No allocation on the hot path.
 */
function anyLeaf(value: unknown, pred: (v: Leaf) => boolean): boolean {
  if (Array.isArray(value)) {
    for (const x of value) {
      if (Array.isArray(x)) {
        if (anyLeaf(x, pred)) return true;
      } else if ((x === null || typeof x !== 'object') && pred(x as Leaf)) return true;
    }
    return false;
  }
  if (value === undefined || (value !== null && typeof value === 'object')) return false;
  return pred(value as Leaf);
}

const always = () => true;
/** True when the field has at least one leaf value. */
const hasLeaf = (value: unknown) => anyLeaf(value, always);

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// Leaf operators

function compileWildcard(path: string, pattern: unknown): (s: string) => boolean {
  if (typeof pattern !== 'string')
    throw new PatternError(path, `wildcard must be a string (got ${describe(pattern)})`);
  let re = '^';
  let prevStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new PatternError(path, `wildcard "${pattern}": a backslash may only escape "*" or "\\"`);
      }
      re += next === '*' ? '\\*' : '\\\\';
      i++;
      prevStar = false;
    } else if (c === '*') {
      if (prevStar) throw new PatternError(path, `wildcard "${pattern}": consecutive "*" are not allowed`);
      re += '[\\s\\S]*';
      prevStar = true;
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      prevStar = false;
    }
  }
  const regex = new RegExp(`${re}$`, 'u');
  if (!pattern.includes('*') && !pattern.includes('\\')) return (s) => s === pattern;
  return (s) => regex.test(s);
}

/** Case-insensitive comparison the way EventBridge folds case (Unicode lower case of both sides). */
const fold = (s: string) => s.toLowerCase();

function stringArg(path: string, op: string, v: unknown): string {
  if (typeof v !== 'string') throw new PatternError(path, `${op} must be a string (got ${describe(v)})`);
  return v;
}

/** `prefix` / `suffix` argument: a string, or `{"equals-ignore-case": string}`. */
function affixTest(path: string, op: 'prefix' | 'suffix', arg: unknown): (s: string) => boolean {
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new PatternError(
        path,
        `${op} takes a string or {"equals-ignore-case": string} (got ${describe(arg)})`,
      );
    }
    const want = fold(stringArg(path, `${op}.equals-ignore-case`, arg['equals-ignore-case']));
    return op === 'prefix' ? (s) => fold(s).startsWith(want) : (s) => fold(s).endsWith(want);
  }
  const want = stringArg(path, op, arg);
  return op === 'prefix' ? (s) => s.startsWith(want) : (s) => s.endsWith(want);
}

function stringList(path: string, op: string, arg: unknown): string[] {
  const list = Array.isArray(arg) ? arg : [arg];
  if (list.length === 0) throw new PatternError(path, `${op} list must not be empty`);
  return list.map((v) => stringArg(path, op, v));
}

interface Cidr {
  v6: boolean;
  bits: bigint;
  mask: bigint;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseIpv6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    if (lastColon < 0) return undefined;
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const groups: bigint[] = [];
  for (const g of [...head, ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
  }
  const total = head.length + rest.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  for (const g of head) groups.push(BigInt(`0x${g}`));
  for (let i = 0; i < 8 - total; i++) groups.push(0n);
  for (const g of rest) groups.push(BigInt(`0x${g}`));
  groups.push(...tail);
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function parseIp(s: string): { v6: boolean; bits: bigint } | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { v6: false, bits: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseIpv6(s);
  return v6 === undefined ? undefined : { v6: true, bits: v6 };
}

function parseCidr(path: string, arg: unknown): Cidr {
  const text = stringArg(path, 'cidr', arg);
  const [addr, len, extra] = text.split('/');
  const ip = addr === undefined ? undefined : parseIp(addr);
  const width = ip?.v6 ? 128 : 32;
  if (!ip || extra !== undefined || len === undefined || !/^\d{1,3}$/.test(len) || Number(len) > width) {
    throw new PatternError(path, `cidr "${text}" is not an IPv4 or IPv6 CIDR block`);
  }
  const prefix = BigInt(Number(len));
  const all = (1n << BigInt(width)) - 1n;
  const mask = (all >> (BigInt(width) - prefix)) << (BigInt(width) - prefix);
  return { v6: ip.v6, bits: ip.bits & mask, mask };
}

const NUMERIC_OPS = new Set(['<', '<=', '=', '>=', '>']);

function compileNumeric(path: string, arg: unknown): (n: number) => boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    throw new PatternError(
      path,
      `numeric takes ["op", number] or ["op", number, "op", number] (got ${describe(arg)})`,
    );
  }
  const tests: ((n: number) => boolean)[] = [];
  let lower = false;
  let upper = false;
  let lowerValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const v = arg[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) {
      throw new PatternError(path, `numeric operator must be one of < <= = >= > (got ${describe(op)})`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new PatternError(path, `numeric ${op} needs a number (got ${describe(v)})`);
    }
    if (op === '=') {
      if (arg.length !== 2) throw new PatternError(path, 'numeric "=" cannot be combined with another bound');
      tests.push((n) => n === v);
    } else if (op === '>' || op === '>=') {
      if (lower) throw new PatternError(path, 'numeric has two lower bounds');
      // A range names its lower bound first (as AWS's matcher, aws/event-ruler, requires).
      if (upper) throw new PatternError(path, 'numeric range must give the lower bound first');
      lower = true;
      lowerValue = v;
      tests.push(op === '>' ? (n) => n > v : (n) => n >= v);
    } else {
      if (upper) throw new PatternError(path, 'numeric has two upper bounds');
      // An empty or inverted range matches nothing: refused, as event-ruler refuses it.
      if (lower && !(lowerValue < v)) {
        throw new PatternError(
          path,
          `numeric range is empty: the lower bound must be below the upper (${lowerValue} vs ${v})`,
        );
      }
      upper = true;
      tests.push(op === '<' ? (n) => n < v : (n) => n <= v);
    }
  }
  const [a, b] = tests;
  return b ? (n) => a!(n) && b(n) : a!;
}

/** The value-level test of `anything-but`: true when the value is EXCLUDED. */
function compileExclusion(path: string, arg: unknown): LeafTest {
  if (typeof arg === 'string') return (v) => v === arg;
  if (typeof arg === 'number') return (v) => v === arg;
  if (Array.isArray(arg)) {
    if (arg.length === 0) throw new PatternError(path, 'anything-but list must not be empty');
    if (arg.every((x) => typeof x === 'string')) {
      const set = new Set<unknown>(arg);
      return (v) => typeof v === 'string' && set.has(v);
    }
    if (arg.every((x) => typeof x === 'number')) {
      const set = new Set<unknown>(arg);
      return (v) => typeof v === 'number' && set.has(v);
    }
    throw new PatternError(
      path,
      `anything-but list must hold only strings or only numbers (got ${describe(arg)})`,
    );
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1)
      throw new PatternError(path, `anything-but takes one operator (got ${describe(arg)})`);
    const op = keys[0] as string;
    const inner = arg[op];
    const onString =
      (t: (s: string) => boolean): LeafTest =>
      (v) =>
        typeof v === 'string' && t(v);
    switch (op) {
      case 'prefix':
      case 'suffix': {
        if (typeof inner !== 'string') throw new PatternError(path, `anything-but ${op} must be a string`);
        return onString(affixTest(path, op, inner));
      }
      case 'equals-ignore-case': {
        const set = new Set(stringList(path, 'anything-but equals-ignore-case', inner).map(fold));
        return onString((s) => set.has(fold(s)));
      }
      case 'wildcard': {
        const tests = stringList(path, 'anything-but wildcard', inner).map((w) => compileWildcard(path, w));
        return onString((s) => tests.some((t) => t(s)));
      }
      default:
        throw new PatternError(
          path,
          `anything-but supports prefix, suffix, equals-ignore-case and wildcard (got "${op}")`,
        );
    }
  }
  throw new PatternError(
    path,
    `anything-but takes a string, a number, a list or an operator (got ${describe(arg)})`,
  );
}

/** A compiled leaf matcher list, given the raw field value (undefined when absent). */
type FieldTest = (value: unknown) => boolean;

function compileMatcher(path: string, m: unknown): FieldTest {
  if (m === null || typeof m === 'string' || typeof m === 'boolean') {
    const eq = (v: Leaf) => v === m;
    return (value) => value === m || (Array.isArray(value) && anyLeaf(value, eq));
  }
  if (typeof m === 'number') {
    if (!Number.isFinite(m)) throw new PatternError(path, `${describe(m)} is not a valid number`);
    const eq = (v: Leaf) => v === m;
    return (value) => value === m || (Array.isArray(value) && anyLeaf(value, eq));
  }
  if (Array.isArray(m))
    throw new PatternError(path, 'a matcher cannot be an array (nest values directly in the list)');
  if (!isObject(m)) throw new PatternError(path, `unsupported matcher ${describe(m)}`);
  const keys = Object.keys(m);
  if (keys.length !== 1) {
    throw new PatternError(path, `a matcher object takes exactly one operator (got ${describe(m)})`);
  }
  const op = keys[0] as string;
  const arg = m[op];
  const anyString = (t: (s: string) => boolean): FieldTest => {
    const pred = (v: Leaf) => typeof v === 'string' && t(v);
    return (value) => (typeof value === 'string' ? t(value) : Array.isArray(value) && anyLeaf(value, pred));
  };
  switch (op) {
    case 'prefix':
    case 'suffix':
      return anyString(affixTest(path, op, arg));
    case 'equals-ignore-case': {
      const want = fold(stringArg(path, op, arg));
      return anyString((s) => fold(s) === want);
    }
    case 'wildcard':
      return anyString(compileWildcard(path, arg));
    case 'cidr': {
      const block = parseCidr(path, arg);
      return anyString((s) => {
        const ip = parseIp(s);
        return ip !== undefined && ip.v6 === block.v6 && (ip.bits & block.mask) === block.bits;
      });
    }
    case 'numeric': {
      const t = compileNumeric(path, arg);
      const pred = (v: Leaf) => typeof v === 'number' && t(v);
      return (value) => anyLeaf(value, pred);
    }
    case 'exists': {
      if (typeof arg !== 'boolean')
        throw new PatternError(path, `exists must be true or false (got ${describe(arg)})`);
      return arg ? hasLeaf : (value) => !hasLeaf(value);
    }
    case 'anything-but': {
      const excluded = compileExclusion(path, arg);
      const pred = (v: Leaf) => !excluded(v);
      return (value) => anyLeaf(value, pred);
    }
    default:
      throw new PatternError(path, `unknown operator "${op}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// Structure

interface FieldCheck {
  key: string;
  /** Leaf matchers (any of). */
  leaf?: FieldTest;
  /** Nested object pattern. */
  nested?: Predicate;
}

function compileLeaf(path: string, list: unknown[]): FieldTest {
  if (list.length === 0) throw new PatternError(path, 'a list of matchers must not be empty');
  const tests = list.map((m, i) => compileMatcher(`${path}[${i}]`, m));
  // Fast path: all exact strings → one Set lookup.
  if (list.every((m) => typeof m === 'string')) {
    const set = new Set(list as string[]);
    if (set.size === 1) {
      const only = list[0] as string;
      const eq = (v: Leaf) => v === only;
      return (value) => value === only || (Array.isArray(value) && anyLeaf(value, eq));
    }
    const inSet = (v: Leaf) => typeof v === 'string' && set.has(v);
    return (value) =>
      typeof value === 'string' ? set.has(value) : Array.isArray(value) && anyLeaf(value, inSet);
  }
  if (tests.length === 1) return tests[0]!;
  return (value) => {
    for (const t of tests) if (t(value)) return true;
    return false;
  };
}

/**
 * Object patterns made only of `exists: false` leaves (at any depth, no `$or`): against an array of
 * objects they hold only when NO element has the field, as event-ruler decides (with no other field
 * of the pattern to pick an element, absence is judged over the whole array).
 */
const ABSENCE_ONLY = new WeakSet<Predicate>();

function isExistsFalse(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length === 1 &&
    isObject(value[0]) &&
    Object.keys(value[0]).length === 1 &&
    value[0].exists === false
  );
}

function compileObject(path: string, pattern: unknown): Predicate {
  if (!isObject(pattern)) throw new PatternError(path, `expected an object (got ${describe(pattern)})`);
  const checks: FieldCheck[] = [];
  const ors: Predicate[][] = [];
  let absenceOnly = true;
  for (const [key, value] of Object.entries(pattern)) {
    const p = path === '$' ? `$.${key}` : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new PatternError(p, '"$or" takes a list of at least two patterns');
      }
      ors.push(value.map((sub, i) => compileObject(`${p}[${i}]`, sub)));
      absenceOnly = false;
    } else if (Array.isArray(value)) {
      checks.push({ key, leaf: compileLeaf(p, value) });
      if (!isExistsFalse(value)) absenceOnly = false;
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0)
        throw new PatternError(p, 'an empty object matches nothing; remove it');
      const nested = compileObject(p, value);
      checks.push({ key, nested });
      if (!ABSENCE_ONLY.has(nested)) absenceOnly = false;
    } else {
      throw new PatternError(p, `must be an object or a list of matchers (got ${describe(value)})`);
    }
  }
  // Cheapest checks first: exact leaves before nested objects.
  checks.sort((a, b) => Number(Boolean(a.nested)) - Number(Boolean(b.nested)));
  const objectMatches = (obj: Record<string, unknown>): boolean => {
    for (const c of checks) {
      const v = obj[c.key];
      if (c.leaf) {
        if (!c.leaf(v)) return false;
      } else if (!matchNested(c.nested!, v)) {
        return false;
      }
    }
    for (const alternatives of ors) {
      let any = false;
      for (const alt of alternatives) {
        if (alt(obj)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  };
  const predicate: Predicate = (event) => {
    if (isObject(event)) return objectMatches(event);
    // An absent or non-object value: only a pattern made of `exists: false` leaves can match it.
    return objectMatches(EMPTY);
  };
  if (absenceOnly) ABSENCE_ONLY.add(predicate);
  return predicate;
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** A nested pattern against a value that may be an object, an array of objects, or absent. */
function matchNested(pred: Predicate, value: unknown): boolean {
  if (Array.isArray(value) && ABSENCE_ONLY.has(pred)) {
    // Every element must lack the fields (an empty array lacks them all).
    for (const el of value) {
      if (Array.isArray(el) ? !matchNested(pred, el) : isObject(el) && !pred(el)) return false;
    }
    return true;
  }
  if (Array.isArray(value)) {
    let sawObject = false;
    for (const el of value) {
      if (Array.isArray(el)) {
        if (matchNested(pred, el)) return true;
        sawObject = true;
      } else if (isObject(el)) {
        sawObject = true;
        if (pred(el)) return true;
      }
    }
    return sawObject ? false : pred(undefined);
  }
  return pred(value);
}

/** Validates a pattern and compiles it into a predicate over an event. Throws PatternError. */
export function compilePattern(pattern: unknown): Predicate {
  if (!isObject(pattern))
    throw new PatternError('$', `a pattern must be a JSON object (got ${describe(pattern)})`);
  if (Object.keys(pattern).length === 0) throw new PatternError('$', 'a pattern must not be empty');
  return compileObject('$', pattern);
}

/** Validates a pattern; returns the error message, or undefined when it is valid. */
export function validatePattern(pattern: unknown): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof PatternError) return err.message;
    throw err;
  }
}

/** One-off convenience: does `event` match `pattern`? (Compiles every call; prefer compilePattern.) */
export function matches(pattern: EventPattern, event: unknown): boolean {
  return compilePattern(pattern)(event);
}
