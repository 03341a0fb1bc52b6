/**
 * DynamoDB's typed attribute values as AWS defines them (Amazon DynamoDB Developer Guide, "Supported
 * data types and naming rules"; API Reference, `AttributeValue`): validation into a canonical copy,
 * exact decimal numbers (38 significant digits, compared and added without floating point),
 * equality, ordering (N numerically, S and B by bytes) and item size. Errors carry AWS's `__type`.
 */
import { SimError } from '../../core';

/** A typed attribute value (`{ S: 'x' }`, `{ N: '1' }`, `{ M: { … } }`, …). */
export type AV = Record<string, unknown>;
export type Item = Record<string, AV>;

export const ERR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

export function fail(code: string, message: string, status = 400): never {
  throw new SimError(ERR_PREFIX + code, message, status);
}

export function invalid(message: string): never {
  fail('ValidationException', message);
}

// ---------------------------------------------------------------------------------------------
// Numbers: exact decimals, value = m × 10^e
// ---------------------------------------------------------------------------------------------

interface Dec {
  m: bigint;
  e: number;
}

const NUM_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function parseNumber(s: unknown): Dec {
  const r = typeof s === 'string' ? NUM_RE.exec(s) : null;
  if (!r || `${r[2] ?? ''}${r[3] ?? ''}` === '') {
    invalid('A value provided cannot be converted into a number');
  }
  const int = r[2] ?? '';
  const frac = r[3] ?? '';
  let m = BigInt(`${r[1] === '-' ? '-' : ''}${int}${frac}` || '0');
  let e = Number(r[4] ?? 0) - frac.length;
  if (m === 0n) return { m: 0n, e: 0 };
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  const digits = (m < 0n ? -m : m).toString().length;
  if (digits > 38) invalid('Attempting to store more than 38 significant digits in a Number');
  if (digits + e - 1 > 125) {
    invalid('Number overflow. Attempting to store a number with magnitude larger than supported range');
  }
  if (digits + e - 1 < -130) {
    invalid('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  }
  return { m, e };
}

function formatNumber(d: Dec): string {
  if (d.m === 0n) return '0';
  const neg = d.m < 0n;
  const digits = (neg ? -d.m : d.m).toString();
  let out: string;
  if (d.e >= 0) out = digits + '0'.repeat(d.e);
  else {
    const point = digits.length + d.e;
    out = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

function align(a: Dec, b: Dec): [bigint, bigint] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e)];
}

export function compareNumbers(a: string, b: string): number {
  const [x, y] = align(parseNumber(a), parseNumber(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addNumbers(a: string, b: string, sign: 1n | -1n = 1n): string {
  const da = parseNumber(a);
  const db = parseNumber(b);
  const [x, y] = align(da, db);
  return formatNumber(parseNumber(formatNumber({ m: x + sign * y, e: Math.min(da.e, db.e) })));
}

// ---------------------------------------------------------------------------------------------
// Attribute values
// ---------------------------------------------------------------------------------------------

export const TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'] as const;
export const TYPE_NAMES: Record<string, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  SS: 'STRING_SET',
  NS: 'NUMBER_SET',
  BS: 'BINARY_SET',
  M: 'MAP',
  L: 'LIST',
  NULL: 'NULL',
  BOOL: 'BOOLEAN',
};

export function typeOf(v: AV): string {
  return Object.keys(v)[0] ?? '';
}

/** Validates a typed value and returns its canonical copy (numbers normalized). */
export function checkValue(v: unknown): AV {
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    invalid('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  const keys = Object.keys(v).filter((k) => (v as AV)[k] !== undefined && (v as AV)[k] !== null);
  if (keys.length === 0) {
    invalid('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  if (keys.length > 1) {
    invalid(
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  }
  const t = keys[0]!;
  const x = (v as AV)[t];
  switch (t) {
    case 'S':
    case 'B':
      if (typeof x !== 'string') invalid(`Invalid attribute value type for ${t}`);
      return { [t]: x };
    case 'N':
      return { N: formatNumber(parseNumber(x)) };
    case 'BOOL':
      if (typeof x !== 'boolean') invalid('Invalid attribute value type for BOOL');
      return { BOOL: x };
    case 'NULL':
      if (x !== true)
        invalid(
          'One or more parameter values were invalid: Null attribute value types must have the value of true',
        );
      return { NULL: true };
    case 'SS':
    case 'NS':
    case 'BS': {
      if (!Array.isArray(x) || x.some((m) => typeof m !== 'string'))
        invalid(`Invalid attribute value type for ${t}`);
      const members = t === 'NS' ? (x as string[]).map((m) => formatNumber(parseNumber(m))) : (x as string[]);
      if (members.length === 0) {
        invalid(
          `One or more parameter values were invalid: An ${TYPE_NAMES[t]!.toLowerCase().replace('_', ' ')} may not be empty`,
        );
      }
      if (new Set(members).size !== members.length)
        invalid(`Input collection [${x.join(', ')}] contains duplicates.`);
      return { [t]: members };
    }
    case 'L':
      if (!Array.isArray(x)) invalid('Invalid attribute value type for L');
      return { L: x.map(checkValue) };
    case 'M':
      if (!x || typeof x !== 'object' || Array.isArray(x)) invalid('Invalid attribute value type for M');
      return { M: checkItem(x) };
    default:
      invalid(`Supplied AttributeValue has an unknown datatype: ${t}`);
  }
}

export function checkItem(x: unknown): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries((x ?? {}) as Record<string, unknown>)) out[k] = checkValue(v);
  return out;
}

export function equalValues(a: AV, b: AV): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  const x = a[t];
  const y = b[t];
  switch (t) {
    case 'SS':
    case 'NS':
    case 'BS': {
      const xs = x as string[];
      const ys = new Set(y as string[]);
      return xs.length === ys.size && xs.every((m) => ys.has(m));
    }
    case 'L': {
      const xs = x as AV[];
      const ys = y as AV[];
      return xs.length === ys.length && xs.every((m, i) => equalValues(m, ys[i]!));
    }
    case 'M': {
      const xs = x as Item;
      const ys = y as Item;
      const keys = Object.keys(xs);
      return (
        keys.length === Object.keys(ys).length && keys.every((k) => ys[k] && equalValues(xs[k]!, ys[k]!))
      );
    }
    default:
      return x === y;
  }
}

/** Orders two scalars of one type (N numerically, S and B by bytes); undefined when not comparable. */
export function order(a: AV, b: AV): number | undefined {
  const t = typeOf(a);
  if (t !== typeOf(b)) return undefined;
  if (t === 'N') return compareNumbers(a.N as string, b.N as string);
  if (t === 'S') return Buffer.compare(Buffer.from(a.S as string), Buffer.from(b.S as string));
  if (t === 'B')
    return Buffer.compare(Buffer.from(a.B as string, 'base64'), Buffer.from(b.B as string, 'base64'));
  return undefined;
}

export function valueSize(v: AV): number {
  const t = typeOf(v);
  const x = v[t];
  switch (t) {
    case 'S':
      return Buffer.byteLength(x as string);
    case 'B':
      return Buffer.from(x as string, 'base64').length;
    case 'N':
      return Math.ceil((x as string).replace(/[-.]/g, '').length / 2) + 1;
    case 'SS':
      return (x as string[]).reduce((n, m) => n + Buffer.byteLength(m), 0);
    case 'NS':
      return (x as string[]).reduce((n, m) => n + valueSize({ N: m }), 0);
    case 'BS':
      return (x as string[]).reduce((n, m) => n + Buffer.from(m, 'base64').length, 0);
    case 'L':
      return 3 + (x as AV[]).reduce((n, m) => n + 1 + valueSize(m), 0);
    case 'M':
      return 3 + itemSize(x as Item);
    default:
      return 1;
  }
}

export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += Buffer.byteLength(k) + valueSize(v);
  return n;
}

export const clone = <T>(x: T): T => structuredClone(x);
