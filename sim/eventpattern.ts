/**
 * EventBridge event patterns as the simulator's EventBridge evaluates them, written from the
 * EventBridge user guide ("Creating event patterns", "Content filtering in event patterns"), not
 * from the project's own matcher: the two are judged against each other and against event-ruler.
 *
 * A pattern is an object whose leaves are arrays of alternatives. An alternative is a literal
 * (string, number, boolean, null) or one of the content filters: `prefix`, `suffix` (each also with
 * `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or a
 * `prefix` / `suffix` / `wildcard` / `equals-ignore-case` filter), `numeric`, `exists`, `cidr`. An
 * object may hold `$or`: a list of sub-patterns, one of which must match. A field of the event whose
 * value is an array matches when any element matches. Every field the pattern names must match.
 */

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const MISSING = Symbol('missing');
type Value = Json | typeof MISSING;

// ---------------------------------------------------------------------------------------------
// Validation (PutRule answers InvalidEventPatternException for what AWS refuses)

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
]);

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and checks a pattern (JSON text or object); throws PatternError naming what is wrong. */
export function parsePattern(input: unknown): Record<string, unknown> {
  let pattern = input;
  if (typeof input === 'string') {
    try {
      pattern = JSON.parse(input);
    } catch (e) {
      throw new PatternError(`Event pattern is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObj(pattern)) throw new PatternError('Event pattern must be a JSON object');
  if (Object.keys(pattern).length === 0) throw new PatternError('Event pattern must not be empty');
  checkObject(pattern, '');
  return pattern;
}

function checkObject(o: Record<string, unknown>, path: string): void {
  for (const [k, v] of Object.entries(o)) {
    const here = path ? `${path}.${k}` : k;
    if (k === '$or') {
      if (!Array.isArray(v) || v.length < 2 || !v.every(isObj)) {
        throw new PatternError(`${here}: $or must list at least two patterns`);
      }
      for (const sub of v as Record<string, unknown>[]) checkObject(sub, here);
      continue;
    }
    if (isObj(v)) {
      checkObject(v, here);
      continue;
    }
    if (!Array.isArray(v)) throw new PatternError(`${here}: match value must be put inside a JSON array`);
    if (v.length === 0) throw new PatternError(`${here}: empty arrays are not allowed`);
    for (const alt of v) checkAlternative(alt, here);
  }
}

function checkAlternative(alt: unknown, path: string): void {
  if (alt === null || typeof alt === 'string' || typeof alt === 'boolean') return;
  if (typeof alt === 'number') {
    if (!Number.isFinite(alt)) throw new PatternError(`${path}: numbers must be finite`);
    return;
  }
  if (!isObj(alt)) throw new PatternError(`${path}: an array of values or filters is expected`);
  const keys = Object.keys(alt);
  if (keys.length !== 1 || !OPERATORS.has(keys[0]!)) {
    throw new PatternError(`${path}: unrecognized match type ${keys.join(', ') || '{}'}`);
  }
  const op = keys[0]!;
  const arg = alt[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string') return;
      if (isObj(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string')
        return;
      throw new PatternError(`${path}: ${op} match pattern must be a string`);
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new PatternError(`${path}: equals-ignore-case must be a string`);
      return;
    case 'wildcard':
      if (typeof arg !== 'string') throw new PatternError(`${path}: wildcard must be a string`);
      if (/\*\*/.test(arg.replace(/\\\*/g, ''))) {
        throw new PatternError(`${path}: consecutive wildcard characters are not allowed`);
      }
      return;
    case 'exists':
      if (typeof arg !== 'boolean')
        throw new PatternError(`${path}: exists match pattern must be true or false`);
      return;
    case 'cidr':
      if (typeof arg !== 'string' || !parseCidr(arg))
        throw new PatternError(`${path}: malformed CIDR ${String(arg)}`);
      return;
    case 'numeric':
      checkNumeric(arg, path);
      return;
    case 'anything-but':
      checkAnythingBut(arg, path);
      return;
  }
}

function checkNumeric(arg: unknown, path: string): void {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    throw new PatternError(`${path}: numeric expects one or two [operator, number] pairs`);
  }
  const ops = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (!['<', '<=', '=', '>', '>='].includes(op as string)) {
      throw new PatternError(`${path}: unrecognized numeric range operator ${String(op)}`);
    }
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw new PatternError(`${path}: numeric value must be a number`);
    ops.push(op as string);
  }
  if (ops.length === 2) {
    const lower = ops.filter((o) => o === '>' || o === '>=').length;
    const upper = ops.filter((o) => o === '<' || o === '<=').length;
    if (lower !== 1 || upper !== 1) {
      throw new PatternError(`${path}: a numeric range needs one lower and one upper bound`);
    }
    // As aws/event-ruler: the lower bound comes first, and the range is not empty.
    if (ops[0] !== '>' && ops[0] !== '>=') {
      throw new PatternError(`${path}: a numeric range gives its lower bound first`);
    }
    if (!((arg[1] as number) < (arg[3] as number))) {
      throw new PatternError(`${path}: a numeric range must not be empty`);
    }
  }
}

function checkAnythingBut(arg: unknown, path: string): void {
  if (typeof arg === 'string' || typeof arg === 'number') return;
  if (Array.isArray(arg)) {
    if (arg.length === 0) throw new PatternError(`${path}: anything-but list must not be empty`);
    const strings = arg.every((x) => typeof x === 'string');
    const numbers = arg.every((x) => typeof x === 'number');
    if (!strings && !numbers)
      throw new PatternError(`${path}: anything-but list must be all strings or all numbers`);
    return;
  }
  if (isObj(arg) && Object.keys(arg).length === 1) {
    const [op] = Object.keys(arg) as [string];
    const v = arg[op];
    if ((op === 'prefix' || op === 'suffix' || op === 'wildcard') && typeof v === 'string') return;
    if (op === 'wildcard' && Array.isArray(v) && v.every((x) => typeof x === 'string')) return;
    if (op === 'equals-ignore-case') {
      if (typeof v === 'string') return;
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return;
    }
  }
  throw new PatternError(`${path}: unsupported anything-but value`);
}

// ---------------------------------------------------------------------------------------------
// Matching

/** Whether an event (an object) matches a pattern already checked by `parsePattern`. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return matchObject(pattern, isObj(event) ? (event as Record<string, Json>) : {});
}

function matchObject(pattern: Record<string, unknown>, event: Record<string, Json> | undefined): boolean {
  for (const [k, p] of Object.entries(pattern)) {
    if (k === '$or') {
      if (!(p as Record<string, unknown>[]).some((sub) => matchObject(sub, event))) return false;
      continue;
    }
    const value: Value = event && Object.hasOwn(event, k) ? (event[k] as Json) : MISSING;
    if (isObj(p)) {
      // A nested pattern: the event's field must be an object (or an array holding one) that matches.
      if (value === MISSING) {
        if (!nestedAllowsMissing(p)) return false;
        continue;
      }
      const candidates = Array.isArray(value) ? value : [value];
      const one = (c: Json) => matchObject(p, isObj(c) ? (c as Record<string, Json>) : undefined);
      // Only `exists: false` under an array of objects: no element may have the field (event-ruler).
      if (Array.isArray(value) && absenceOnly(p)) {
        if (!candidates.every((c) => !isObj(c) || one(c))) return false;
        continue;
      }
      if (!candidates.some(one)) return false;
      continue;
    }
    if (!matchLeaf(p as unknown[], value)) return false;
  }
  return true;
}

/** Whether a nested pattern holds only `exists: false` leaves (at any depth, no `$or`). */
function absenceOnly(p: Record<string, unknown>): boolean {
  return Object.entries(p).every(([k, v]) => {
    if (k === '$or') return false;
    if (isObj(v)) return absenceOnly(v);
    return (
      Array.isArray(v) &&
      v.length === 1 &&
      isObj(v[0]) &&
      Object.keys(v[0]).length === 1 &&
      v[0].exists === false
    );
  });
}

/** A nested pattern can match an absent object only when every leaf under it is `exists: false`. */
function nestedAllowsMissing(p: Record<string, unknown>): boolean {
  return matchObject(p, undefined);
}

function matchLeaf(alternatives: unknown[], value: Value): boolean {
  if (value === MISSING) return alternatives.some((a) => isObj(a) && a.exists === false);
  // An object-valued field is not a leaf: only `exists: false`-style checks see it as absent.
  const values: Json[] = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && value.length === 0) {
    return alternatives.some((a) => isObj(a) && a.exists === false);
  }
  for (const alt of alternatives) {
    if (isObj(alt) && 'exists' in alt) {
      const leafPresent = values.some((v) => !isObj(v));
      if (alt.exists === leafPresent) return true;
      continue;
    }
    if (isObj(alt) && 'anything-but' in alt) {
      // anything-but on an array field: matches when some element is not excluded.
      if (values.some((v) => !isObj(v) && matchAnythingBut(alt['anything-but'], v))) return true;
      continue;
    }
    if (values.some((v) => !isObj(v) && !Array.isArray(v) && matchOne(alt, v))) return true;
  }
  return false;
}

function matchOne(alt: unknown, v: Json): boolean {
  if (alt === null) return v === null;
  if (typeof alt === 'string') return typeof v === 'string' && v === alt;
  if (typeof alt === 'number') return typeof v === 'number' && v === alt;
  if (typeof alt === 'boolean') return v === alt;
  const o = alt as Record<string, unknown>;
  const [op] = Object.keys(o) as [string];
  const arg = o[op];
  if (typeof v !== 'string' && op !== 'numeric') return false;
  switch (op) {
    case 'prefix':
      return typeof arg === 'string'
        ? (v as string).startsWith(arg)
        : fold(v as string).startsWith(fold((arg as Record<string, string>)['equals-ignore-case']!));
    case 'suffix':
      return typeof arg === 'string'
        ? (v as string).endsWith(arg)
        : fold(v as string).endsWith(fold((arg as Record<string, string>)['equals-ignore-case']!));
    case 'equals-ignore-case':
      return fold(v as string) === fold(arg as string);
    case 'wildcard':
      return wildcardMatch(arg as string, v as string);
    case 'cidr':
      return cidrContains(arg as string, v as string);
    case 'numeric':
      return typeof v === 'number' && numericMatch(arg as unknown[], v);
    default:
      return false;
  }
}

function matchAnythingBut(arg: unknown, v: Json): boolean {
  if (typeof arg === 'string') return !(typeof v === 'string' && v === arg);
  if (typeof arg === 'number') return !(typeof v === 'number' && v === arg);
  if (Array.isArray(arg)) return !arg.some((x) => x === v);
  const o = arg as Record<string, unknown>;
  const [op] = Object.keys(o) as [string];
  const x = o[op];
  // The filter forms apply to string values only.
  if (typeof v !== 'string') return false;
  switch (op) {
    case 'prefix':
      return !v.startsWith(x as string);
    case 'suffix':
      return !v.endsWith(x as string);
    case 'wildcard':
      return !(Array.isArray(x) ? x : [x]).some((w) => wildcardMatch(w as string, v));
    case 'equals-ignore-case':
      return !(Array.isArray(x) ? x : [x]).some((w) => fold(w as string) === fold(v));
    default:
      return false;
  }
}

function fold(s: string): string {
  return s.toLowerCase();
}

/** `*` matches any run of characters (also none); `\*` is a literal star. */
function wildcardMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      re += `\\${pattern[++i]}`;
    } else if (c === '*') re += '.*';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(s);
}

function numericMatch(arg: unknown[], v: number): boolean {
  for (let i = 0; i < arg.length; i += 2) {
    const n = arg[i + 1] as number;
    switch (arg[i]) {
      case '<':
        if (!(v < n)) return false;
        break;
      case '<=':
        if (!(v <= n)) return false;
        break;
      case '=':
        if (v !== n) return false;
        break;
      case '>':
        if (!(v > n)) return false;
        break;
      case '>=':
        if (!(v >= n)) return false;
        break;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// CIDR

function parseIp(s: string): { bits: bigint; width: number } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), width: 32 };
  }
  if (!s.includes(':') || !/^[0-9a-fA-F:]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => g.length === 0 || g.length > 4)) return undefined;
  return { bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n), width: 128 };
}

function parseCidr(s: string): { bits: bigint; width: number; prefix: number } | undefined {
  const [ip, len] = s.split('/');
  if (ip === undefined || len === undefined || !/^\d{1,3}$/.test(len)) return undefined;
  const addr = parseIp(ip);
  const prefix = Number(len);
  if (!addr || prefix > addr.width) return undefined;
  return { ...addr, prefix };
}

function cidrContains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  const addr = parseIp(ip);
  if (!net || !addr || net.width !== addr.width) return false;
  const shift = BigInt(net.width - net.prefix);
  return net.bits >> shift === addr.bits >> shift;
}
