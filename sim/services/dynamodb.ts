/**
 * DynamoDB (JSON 1.0, `DynamoDB_20120810.*`): tables per account and region, in memory, with the
 * item operations and the expression language the pipeline's stores use, answered as AWS does:
 * CreateTable / DescribeTable / DeleteTable / ListTables / UpdateTimeToLive / DescribeTimeToLive,
 * PutItem / GetItem / UpdateItem / DeleteItem (condition expressions, ReturnValues), BatchGetItem,
 * Scan (filter, projection, Limit, ExclusiveStartKey). Attribute values are AWS's typed JSON; numbers
 * are exact decimals (38 significant digits) stored in canonical form; strings compare by UTF-8 bytes.
 * Errors carry AWS's `__type` (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`).
 *
 * Not modelled: Query, secondary indexes, streams, transactions, PartiQL, the legacy parameters
 * (`Expected`, `AttributeUpdates`, `AttributesToGet`: refused with a ValidationException rather than
 * ignored), capacity accounting and throttling by capacity, `ReturnValuesOnConditionCheckFailure`,
 * the CREATING/DELETING table states (tables are ACTIVE at once). TTL is recorded but never expires
 * items: AWS deletes expired items lazily (typically within days), so readers must filter on the TTL
 * attribute themselves, and against this simulator they have to. The calls are not written to the
 * simulator's CloudTrail (the item operations are data events; the table calls would only add noise
 * to the histories that timelines read).
 */
import { createHash } from 'node:crypto';
import { arn, type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';

/** A typed attribute value (`{ S: 'x' }`, `{ N: '1' }`, `{ M: { … } }`, …). */
type AV = Record<string, unknown>;
type Item = Record<string, AV>;

const ERR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

function fail(code: string, message: string, status = 400): never {
  throw new SimError(ERR_PREFIX + code, message, status);
}

function invalid(message: string): never {
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

function compareNumbers(a: string, b: string): number {
  const [x, y] = align(parseNumber(a), parseNumber(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

function addNumbers(a: string, b: string, sign: 1n | -1n = 1n): string {
  const da = parseNumber(a);
  const db = parseNumber(b);
  const [x, y] = align(da, db);
  return formatNumber(parseNumber(formatNumber({ m: x + sign * y, e: Math.min(da.e, db.e) })));
}

// ---------------------------------------------------------------------------------------------
// Attribute values
// ---------------------------------------------------------------------------------------------

const TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'] as const;
const TYPE_NAMES: Record<string, string> = {
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

function typeOf(v: AV): string {
  return Object.keys(v)[0] ?? '';
}

/** Validates a typed value and returns its canonical copy (numbers normalized). */
function checkValue(v: unknown): AV {
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

function checkItem(x: unknown): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries((x ?? {}) as Record<string, unknown>)) out[k] = checkValue(v);
  return out;
}

function equalValues(a: AV, b: AV): boolean {
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
function order(a: AV, b: AV): number | undefined {
  const t = typeOf(a);
  if (t !== typeOf(b)) return undefined;
  if (t === 'N') return compareNumbers(a.N as string, b.N as string);
  if (t === 'S') return Buffer.compare(Buffer.from(a.S as string), Buffer.from(b.S as string));
  if (t === 'B')
    return Buffer.compare(Buffer.from(a.B as string, 'base64'), Buffer.from(b.B as string, 'base64'));
  return undefined;
}

function valueSize(v: AV): number {
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

function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += Buffer.byteLength(k) + valueSize(v);
  return n;
}

const clone = <T>(x: T): T => structuredClone(x);

/**
 * A table id shaped like AWS's (a UUID), derived from the table's ARN and creation time (not from
 * the simulator's id sequence: creating a table must not shift the ids other services hand out).
 */
function tableId(tableArn: string, created: Date): string {
  const h = createHash('sha256').update(`${tableArn}@${created.toISOString()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** DynamoDB's reserved words (AWS documentation): a bare name in an expression must not be one. */
const RESERVED_WORDS = new Set(
  (
    'ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ' +
    'ARRAY AS ASC ASCII ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION ' +
    'AUTHORIZE AUTO AVG BACK BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN ' +
    'BOTH BREADTH BUCKET BULK BY BYTE CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG ' +
    'CHAR CHARACTER CHECK CLASS CLOB CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE ' +
    'COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS CONDITION ' +
    'CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED ' +
    'CONTINUE CONVERT COPY CORRESPONDING COUNT COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE DATA ' +
    'DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE ' +
    'DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC ' +
    'DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP DURATION ' +
    'DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE ' +
    'EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT ' +
    'EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL ' +
    'FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL FUNCTION ' +
    'FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE ' +
    'HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN INCLUDING INCLUSIVE ' +
    'INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER INNTER INOUT ' +
    'INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION ITEM ' +
    'ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS ' +
    'LEVEL LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS ' +
    'LOG LOGED LONG LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS ' +
    'MINUTE MISSING MOD MODE MODIFIES MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL ' +
    'NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ' +
    'ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS ' +
    'OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS PARTIAL PARTITION PARTITIONED PARTITIONS PATH ' +
    'PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN POOL POSITION PRECISION PREPARE ' +
    'PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY ' +
    'PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE RANDOM RANGE RANK RAW READ READS REAL REBUILD ' +
    'RECORD RECURSIVE REDUCE REF REFERENCE REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE ' +
    'REMAINDER RENAME REPEAT REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT ' +
    'RETURN RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS RULE ' +
    'RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT ' +
    'SEGMENTS SELECT SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE ' +
    'SHARED SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME SOURCE SPACE SPACES SPARSE ' +
    'SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING START STATE ' +
    'STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT STYLE SUB SUBMULTISET SUBPARTITION ' +
    'SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY TERMINATED ' +
    'TEXT THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION ' +
    'TRANSFORM TRANSLATE TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION ' +
    'UNIQUE UNIT UNKNOWN UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER ' +
    'USERS USING UUID VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS ' +
    'VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE WINDOW WITH WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE '
  )
    .trim()
    .split(' '),
);

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

type Seg = string | number;
interface PathOp {
  kind: 'path';
  segs: Seg[];
}
type Operand =
  | PathOp
  | { kind: 'value'; value: AV; name: string }
  | { kind: 'size'; path: PathOp }
  | { kind: 'if_not_exists'; path: PathOp; dflt: Operand }
  | { kind: 'list_append'; a: Operand; b: Operand }
  | { kind: 'arith'; op: '+' | '-'; a: Operand; b: Operand };
type Cond =
  | { kind: 'cmp'; op: string; a: Operand; b: Operand }
  | { kind: 'between'; a: Operand; lo: Operand; hi: Operand }
  | { kind: 'in'; a: Operand; list: Operand[] }
  | { kind: 'fn'; name: string; args: Operand[] }
  | { kind: 'and' | 'or'; a: Cond; b: Cond }
  | { kind: 'not'; a: Cond };
type UpdateAction =
  | { kind: 'SET'; path: PathOp; value: Operand }
  | { kind: 'REMOVE'; path: PathOp }
  | { kind: 'ADD' | 'DELETE'; path: PathOp; value: AV };

interface Tok {
  t: 'id' | 'name' | 'value' | 'num' | 'op' | 'eof';
  v: string;
  pos: number;
}

const TOKEN_RE =
  /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(<>|<=|>=|[=<>(),.[\]+-]))/y;
const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);
const CONDITION_FUNCTIONS = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
const SCALAR = new Set(['S', 'N', 'B']);

/** The placeholders of one request, and which of them its expressions used. */
class Placeholders {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  readonly names: Record<string, string>;
  readonly values: Record<string, AV>;

  constructor(p: Record<string, unknown>) {
    const names = p.ExpressionAttributeNames;
    const values = p.ExpressionAttributeValues;
    if (names !== undefined && names !== null && Object.keys(names).length === 0) {
      invalid('ExpressionAttributeNames must not be empty');
    }
    if (values !== undefined && values !== null && Object.keys(values).length === 0) {
      invalid('ExpressionAttributeValues must not be empty');
    }
    this.names = (names ?? {}) as Record<string, string>;
    this.values = {};
    for (const [k, v] of Object.entries((values ?? {}) as Record<string, unknown>)) {
      this.values[k] = checkValue(v);
    }
  }

  /** AWS refuses placeholders no expression of the request used. */
  checkAllUsed(anyExpression: boolean): void {
    const names = Object.keys(this.names);
    const values = Object.keys(this.values);
    if (!anyExpression && names.length > 0)
      invalid('ExpressionAttributeNames can only be specified when using expressions');
    if (!anyExpression && values.length > 0)
      invalid('ExpressionAttributeValues can only be specified when using expressions');
    const unusedNames = names.filter((n) => !this.usedNames.has(n));
    if (unusedNames.length > 0) {
      invalid(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    }
    const unusedValues = values.filter((n) => !this.usedValues.has(n));
    if (unusedValues.length > 0) {
      invalid(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
    }
  }
}

class Parser {
  private readonly toks: Tok[] = [];
  private i = 0;

  constructor(
    private readonly kind: string,
    private readonly text: string,
    private readonly ph: Placeholders,
  ) {
    if (typeof text !== 'string' || text.trim() === '')
      invalid(`Invalid ${kind}: The expression can not be empty;`);
    TOKEN_RE.lastIndex = 0;
    let pos = 0;
    while (pos < text.length) {
      if (/^\s*$/.test(text.slice(pos))) break;
      TOKEN_RE.lastIndex = pos;
      const m = TOKEN_RE.exec(text);
      if (!m) {
        const at = text.slice(pos).trimStart();
        this.syntax(at[0] ?? '', pos);
      }
      const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').length;
      const t: Tok['t'] = m[1] ? 'name' : m[2] ? 'value' : m[3] ? 'id' : m[4] ? 'num' : 'op';
      this.toks.push({ t, v: m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '', pos: start });
      pos = TOKEN_RE.lastIndex;
    }
    this.toks.push({ t: 'eof', v: '', pos: text.length });
  }

  private syntax(token: string, pos: number): never {
    const near = this.text.slice(Math.max(0, pos - 10), pos + 10).trim();
    invalid(`Invalid ${this.kind}: Syntax error; token: ${token ? `"${token}"` : '<EOF>'}, near: "${near}"`);
  }

  peek(k = 0): Tok {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }

  next(): Tok {
    const t = this.peek();
    this.i = Math.min(this.i + 1, this.toks.length - 1);
    return t;
  }

  unexpected(): never {
    const t = this.peek();
    this.syntax(t.v, t.pos);
  }

  isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }

  isKeyword(word: string): boolean {
    const t = this.peek();
    return t.t === 'id' && t.v.toUpperCase() === word;
  }

  expectOp(v: string): void {
    if (!this.isOp(v)) this.unexpected();
    this.next();
  }

  atEnd(): boolean {
    return this.peek().t === 'eof';
  }

  private nameSegment(): string {
    const t = this.next();
    if (t.t === 'name') {
      const n = this.ph.names[t.v];
      if (n === undefined) {
        invalid(
          `Invalid ${this.kind}: An expression attribute name used in the document path is not defined; attribute name: ${t.v}`,
        );
      }
      this.ph.usedNames.add(t.v);
      return n;
    }
    if (t.t === 'id') {
      if (RESERVED_WORDS.has(t.v.toUpperCase())) {
        invalid(`Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${t.v}`);
      }
      return t.v;
    }
    this.i--;
    return this.unexpected();
  }

  path(): PathOp {
    const segs: Seg[] = [this.nameSegment()];
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        segs.push(this.nameSegment());
      } else if (this.isOp('[')) {
        this.next();
        const n = this.next();
        if (n.t !== 'num') {
          this.i--;
          this.unexpected();
        }
        segs.push(Number(n.v));
        this.expectOp(']');
      } else return { kind: 'path', segs };
    }
  }

  value(): Operand {
    const t = this.next();
    const v = this.ph.values[t.v];
    if (v === undefined) {
      invalid(
        `Invalid ${this.kind}: An expression attribute value used in expression is not defined; attribute value: ${t.v}`,
      );
    }
    this.ph.usedValues.add(t.v);
    return { kind: 'value', value: v, name: t.v };
  }

  private isCall(): boolean {
    return this.peek().t === 'id' && this.peek(1).t === 'op' && this.peek(1).v === '(';
  }

  /** path | :value | size(path) (conditions); update operands add if_not_exists, list_append and + -. */
  operand(update: boolean): Operand {
    const t = this.peek();
    if (t.t === 'value') return this.value();
    if (this.isCall()) {
      const fn = this.next().v;
      this.expectOp('(');
      let out: Operand;
      if (fn === 'size' && !update) out = { kind: 'size', path: this.path() };
      else if (fn === 'if_not_exists' && update) {
        const path = this.path();
        this.expectOp(',');
        out = { kind: 'if_not_exists', path, dflt: this.operand(true) };
      } else if (fn === 'list_append' && update) {
        const a = this.operand(true);
        this.expectOp(',');
        out = { kind: 'list_append', a, b: this.operand(true) };
      } else if (CONDITION_FUNCTIONS.has(fn) || ['size', 'if_not_exists', 'list_append'].includes(fn)) {
        invalid(
          `Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${fn}`,
        );
      } else invalid(`Invalid ${this.kind}: Invalid function name; function: ${fn}`);
      this.expectOp(')');
      return out;
    }
    if (t.t === 'name' || t.t === 'id') return this.path();
    return this.unexpected();
  }

  setValue(): Operand {
    const a = this.operand(true);
    if (this.isOp('+') || this.isOp('-')) {
      const op = this.next().v as '+' | '-';
      return { kind: 'arith', op, a, b: this.operand(true) };
    }
    return a;
  }

  condition(): Cond {
    let a = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      a = { kind: 'or', a, b: this.conjunction() };
    }
    return a;
  }

  private conjunction(): Cond {
    let a = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      a = { kind: 'and', a, b: this.negation() };
    }
    return a;
  }

  private negation(): Cond {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', a: this.negation() };
    }
    return this.primary();
  }

  private primary(): Cond {
    if (this.isOp('(')) {
      this.next();
      const c = this.condition();
      this.expectOp(')');
      return c;
    }
    if (this.isCall() && CONDITION_FUNCTIONS.has(this.peek().v)) {
      const name = this.next().v;
      this.expectOp('(');
      const args: Operand[] = [this.operand(false)];
      while (this.isOp(',')) {
        this.next();
        args.push(this.operand(false));
      }
      this.expectOp(')');
      const arity = name.startsWith('attribute_') && name !== 'attribute_type' ? 1 : 2;
      if (args.length !== arity) {
        invalid(
          `Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
        );
      }
      if (args[0]!.kind !== 'path') {
        invalid(
          `Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${name}`,
        );
      }
      return { kind: 'fn', name, args };
    }
    const a = this.operand(false);
    const t = this.peek();
    if (t.t === 'op' && COMPARATORS.has(t.v)) {
      this.next();
      return { kind: 'cmp', op: t.v, a, b: this.operand(false) };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const lo = this.operand(false);
      if (!this.isKeyword('AND')) this.unexpected();
      this.next();
      return { kind: 'between', a, lo, hi: this.operand(false) };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expectOp('(');
      const list = [this.operand(false)];
      while (this.isOp(',')) {
        this.next();
        list.push(this.operand(false));
      }
      this.expectOp(')');
      return { kind: 'in', a, list };
    }
    return this.unexpected();
  }

  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (!this.atEnd()) {
      const clause = this.peek().t === 'id' ? this.peek().v.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) this.unexpected();
      this.next();
      if (seen.has(clause)) {
        invalid(
          `Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`,
        );
      }
      seen.add(clause);
      for (;;) {
        const path = this.path();
        if (clause === 'SET') {
          this.expectOp('=');
          actions.push({ kind: 'SET', path, value: this.setValue() });
        } else if (clause === 'REMOVE') actions.push({ kind: 'REMOVE', path });
        else {
          if (this.peek().t !== 'value') this.unexpected();
          const v = this.value() as { value: AV };
          actions.push({ kind: clause as 'ADD' | 'DELETE', path, value: v.value });
        }
        if (!this.isOp(',')) break;
        this.next();
      }
    }
    return actions;
  }
}

function parseCondition(kind: string, text: unknown, ph: Placeholders): Cond {
  const p = new Parser(kind, text as string, ph);
  const c = p.condition();
  if (!p.atEnd()) p.unexpected();
  return c;
}

function parseProjection(text: unknown, ph: Placeholders): PathOp[] {
  const p = new Parser('ProjectionExpression', text as string, ph);
  const paths = [p.path()];
  while (p.isOp(',')) {
    p.next();
    paths.push(p.path());
  }
  if (!p.atEnd()) p.unexpected();
  return paths;
}

function getPath(item: Item, segs: Seg[]): AV | undefined {
  let cur: AV | undefined = item[segs[0] as string];
  for (const s of segs.slice(1)) {
    if (!cur) return undefined;
    if (typeof s === 'number') cur = Array.isArray(cur.L) ? (cur.L as AV[])[s] : undefined;
    else cur = cur.M && typeof cur.M === 'object' ? (cur.M as Item)[s] : undefined;
  }
  return cur;
}

function formatPath(segs: Seg[]): string {
  return `[${segs.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join(', ')}]`;
}

/** Sets a path in place; the parent of a nested path must exist (AWS does not create it). */
function setPath(item: Item, segs: Seg[], v: AV): void {
  if (segs.length === 1) {
    item[segs[0] as string] = v;
    return;
  }
  const parent = getPath(item, segs.slice(0, -1));
  const last = segs[segs.length - 1]!;
  if (typeof last === 'number' && parent && Array.isArray(parent.L)) {
    const list = parent.L as AV[];
    if (last >= list.length) list.push(v);
    else list[last] = v;
  } else if (typeof last === 'string' && parent?.M && typeof parent.M === 'object') {
    (parent.M as Item)[last] = v;
  } else invalid('The document path provided in the update expression is invalid for update');
}

function removePath(item: Item, segs: Seg[]): void {
  if (segs.length === 1) {
    delete item[segs[0] as string];
    return;
  }
  const parent = getPath(item, segs.slice(0, -1));
  const last = segs[segs.length - 1]!;
  if (typeof last === 'number' && parent && Array.isArray(parent.L)) (parent.L as AV[]).splice(last, 1);
  else if (typeof last === 'string' && parent?.M && typeof parent.M === 'object')
    delete (parent.M as Item)[last];
  else if (!parent) return;
  else invalid('The document path provided in the update expression is invalid for update');
}

function evalOperand(op: Operand, item: Item): AV | undefined {
  switch (op.kind) {
    case 'path':
      return getPath(item, op.segs);
    case 'value':
      return op.value;
    case 'size': {
      const v = getPath(item, op.path.segs);
      if (!v) return undefined;
      const t = typeOf(v);
      const x = v[t];
      if (t === 'S') return { N: String([...(x as string)].length) };
      if (t === 'B') return { N: String(Buffer.from(x as string, 'base64').length) };
      if (Array.isArray(x)) return { N: String(x.length) };
      if (t === 'M') return { N: String(Object.keys(x as Item).length) };
      invalid(
        `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: ${TYPE_NAMES[t]}`,
      );
      break;
    }
    case 'if_not_exists':
      return getPath(item, op.path.segs) ?? evalOperand(op.dflt, item);
    case 'list_append': {
      const a = evalOperand(op.a, item);
      const b = evalOperand(op.b, item);
      if (!a || !b) invalid('The provided expression refers to an attribute that does not exist in the item');
      if (!Array.isArray(a.L) || !Array.isArray(b.L))
        invalid('An operand in the update expression has an incorrect data type');
      return { L: [...clone(a.L as AV[]), ...clone(b.L as AV[])] };
    }
    case 'arith': {
      const a = evalOperand(op.a, item);
      const b = evalOperand(op.b, item);
      if (!a || !b) invalid('The provided expression refers to an attribute that does not exist in the item');
      if (typeOf(a) !== 'N' || typeOf(b) !== 'N')
        invalid('An operand in the update expression has an incorrect data type');
      return { N: addNumbers(a.N as string, b.N as string, op.op === '+' ? 1n : -1n) };
    }
  }
  return undefined;
}

/** Ordering comparators refuse literal operands that are not scalars, as AWS does. */
function checkScalarLiteral(kind: string, fn: string, ops: Operand[]): void {
  for (const op of ops) {
    if (op.kind === 'value' && !SCALAR.has(typeOf(op.value))) {
      invalid(
        `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${TYPE_NAMES[typeOf(op.value)]}`,
      );
    }
  }
}

function evalCondition(kind: string, c: Cond, item: Item): boolean {
  switch (c.kind) {
    case 'and':
      return evalCondition(kind, c.a, item) && evalCondition(kind, c.b, item);
    case 'or':
      return evalCondition(kind, c.a, item) || evalCondition(kind, c.b, item);
    case 'not':
      return !evalCondition(kind, c.a, item);
    case 'cmp': {
      const a = evalOperand(c.a, item);
      const b = evalOperand(c.b, item);
      if (c.op === '=') return !!a && !!b && equalValues(a, b);
      if (c.op === '<>') return !(a && b && equalValues(a, b));
      checkScalarLiteral(kind, c.op, [c.a, c.b]);
      const o = a && b ? order(a, b) : undefined;
      if (o === undefined) return false;
      return c.op === '<' ? o < 0 : c.op === '<=' ? o <= 0 : c.op === '>' ? o > 0 : o >= 0;
    }
    case 'between': {
      checkScalarLiteral(kind, 'BETWEEN', [c.a, c.lo, c.hi]);
      const a = evalOperand(c.a, item);
      const lo = evalOperand(c.lo, item);
      const hi = evalOperand(c.hi, item);
      if (!a || !lo || !hi) return false;
      const l = order(lo, hi);
      if (l !== undefined && l > 0) {
        invalid(
          `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound`,
        );
      }
      const x = order(a, lo);
      const y = order(a, hi);
      return x !== undefined && y !== undefined && x >= 0 && y <= 0;
    }
    case 'in': {
      const a = evalOperand(c.a, item);
      return (
        !!a &&
        c.list.some((op) => {
          const v = evalOperand(op, item);
          return !!v && equalValues(a, v);
        })
      );
    }
    case 'fn': {
      const [p, arg] = c.args as [PathOp, Operand | undefined];
      const v = getPath(item, p.segs);
      if (c.name === 'attribute_exists') return v !== undefined;
      if (c.name === 'attribute_not_exists') return v === undefined;
      const w = arg ? evalOperand(arg, item) : undefined;
      if (c.name === 'attribute_type') {
        if (!w || typeOf(w) !== 'S' || !(TYPES as readonly string[]).includes(w.S as string)) {
          invalid(
            `Invalid ${kind}: Invalid attribute type name found; type: ${w ? String(w[typeOf(w)]) : ''}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
          );
        }
        return !!v && typeOf(v) === w.S;
      }
      if (!v || !w) return false;
      const tv = typeOf(v);
      const tw = typeOf(w);
      if (c.name === 'begins_with') {
        if (arg?.kind === 'value' && tw !== 'S' && tw !== 'B') {
          invalid(
            `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${TYPE_NAMES[tw]}`,
          );
        }
        if (tv === 'S' && tw === 'S') return (v.S as string).startsWith(w.S as string);
        if (tv === 'B' && tw === 'B') {
          const a = Buffer.from(v.B as string, 'base64');
          const b = Buffer.from(w.B as string, 'base64');
          return a.subarray(0, b.length).equals(b);
        }
        return false;
      }
      // contains
      if (tv === 'S' && tw === 'S') return (v.S as string).includes(w.S as string);
      if (tv === 'B' && tw === 'B')
        return Buffer.from(v.B as string, 'base64').includes(Buffer.from(w.B as string, 'base64'));
      if (tv === 'SS' || tv === 'NS' || tv === 'BS')
        return tw === tv.slice(0, 1) && (v[tv] as string[]).includes(w[tw] as string);
      if (tv === 'L') return (v.L as AV[]).some((m) => equalValues(m, w));
      return false;
    }
  }
}

function project(item: Item, paths: PathOp[]): Item {
  const out: Item = {};
  for (const p of paths) {
    const v = getPath(item, p.segs);
    if (v === undefined) continue;
    let target: Item | AV[] = out;
    for (let i = 0; i < p.segs.length - 1; i++) {
      const s = p.segs[i]!;
      const nextIsIndex = typeof p.segs[i + 1] === 'number';
      const fresh: AV = nextIsIndex ? { L: [] } : { M: {} };
      let holder: AV;
      if (Array.isArray(target)) {
        holder = fresh;
        target.push(holder);
      } else {
        holder = target[s as string] ??= fresh;
      }
      target = (nextIsIndex ? holder.L : holder.M) as Item | AV[];
    }
    const last = p.segs[p.segs.length - 1]!;
    if (Array.isArray(target)) target.push(clone(v));
    else target[last as string] = clone(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

interface KeyAttr {
  name: string;
  type: 'S' | 'N' | 'B';
}

interface Table {
  name: string;
  arn: string;
  id: string;
  hash: KeyAttr;
  range?: KeyAttr;
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  read: number;
  write: number;
  created: Date;
  ttl?: { attribute: string; enabled: boolean };
  items: Map<string, Item>;
}

const TABLE_NAME_RE = /^[a-zA-Z0-9_.-]{3,255}$/;
const MAX_ITEM_BYTES = 400 * 1024;

function tablesOf(ctx: SimContext, req: SimRequest): Map<string, Table> {
  const key = `dynamodb:${req.caller.account}:${req.region}`;
  let tables = ctx.scratch.get(key) as Map<string, Table> | undefined;
  if (!tables) {
    tables = new Map();
    ctx.scratch.set(key, tables);
  }
  return tables;
}

function tableName(v: unknown): string {
  if (typeof v !== 'string' || !TABLE_NAME_RE.test(v)) {
    invalid(
      `1 validation error detected: Value '${String(v)}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
    );
  }
  return v;
}

function table(ctx: SimContext, req: SimRequest, name: unknown): Table {
  const t = tablesOf(ctx, req).get(tableName(name));
  if (!t) fail('ResourceNotFoundException', 'Requested resource not found');
  return t;
}

function describe(t: Table): Record<string, unknown> {
  let bytes = 0;
  for (const item of t.items.values()) bytes += itemSize(item);
  return {
    TableName: t.name,
    TableArn: t.arn,
    TableId: t.id,
    TableStatus: 'ACTIVE',
    CreationDateTime: t.created,
    KeySchema: [
      { AttributeName: t.hash.name, KeyType: 'HASH' },
      ...(t.range ? [{ AttributeName: t.range.name, KeyType: 'RANGE' }] : []),
    ],
    AttributeDefinitions: t.attributeDefinitions,
    ItemCount: t.items.size,
    TableSizeBytes: bytes,
    ProvisionedThroughput: {
      NumberOfDecreasesToday: 0,
      ReadCapacityUnits: t.read,
      WriteCapacityUnits: t.write,
    },
    ...(t.billingMode === 'PAY_PER_REQUEST'
      ? {
          BillingModeSummary: {
            BillingMode: 'PAY_PER_REQUEST',
            LastUpdateToPayPerRequestDateTime: t.created,
          },
        }
      : {}),
    DeletionProtectionEnabled: false,
  };
}

/** The storage key of an item or a `Key` parameter, checked against the table's key schema. */
function keyOf(t: Table, x: Item, what: 'item' | 'key'): string {
  const attrs = t.range ? [t.hash, t.range] : [t.hash];
  if (what === 'key' && Object.keys(x).length !== attrs.length) {
    invalid('The provided key element does not match the schema');
  }
  const parts: string[] = [];
  for (const a of attrs) {
    const v = x[a.name];
    if (!v) {
      if (what === 'key') invalid('The provided key element does not match the schema');
      invalid(`One or more parameter values were invalid: Missing the key ${a.name} in the item`);
    }
    const actual = typeOf(v);
    if (actual !== a.type) {
      if (what === 'key') invalid('The provided key element does not match the schema');
      invalid(
        `One or more parameter values were invalid: Type mismatch for key ${a.name} expected: ${a.type} actual: ${actual}`,
      );
    }
    if ((actual === 'S' || actual === 'B') && v[actual] === '') {
      invalid(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${actual === 'S' ? 'string' : 'binary'} value. Key: ${a.name}`,
      );
    }
    parts.push(`${actual}:${String(v[actual])}`);
  }
  return JSON.stringify(parts);
}

function keyItem(t: Table, item: Item): Item {
  const out: Item = { [t.hash.name]: clone(item[t.hash.name]!) };
  if (t.range) out[t.range.name] = clone(item[t.range.name]!);
  return out;
}

function refuseLegacy(p: Record<string, unknown>, names: string[]): void {
  for (const n of names) {
    if (p[n] !== undefined && p[n] !== null) {
      invalid(`bks-sim models the expression parameters only; ${n} is not supported`);
    }
  }
}

function returnValues(p: Record<string, unknown>, allowed: string[]): string {
  const v = p.ReturnValues ?? 'NONE';
  if (typeof v !== 'string' || !allowed.includes(v)) {
    invalid(`Return values set to invalid value`);
  }
  return v;
}

function checkCondition(kind: string, cond: Cond | undefined, item: Item | undefined): void {
  if (cond && !evalCondition(kind, cond, item ?? {})) {
    fail('ConditionalCheckFailedException', 'The conditional request failed');
  }
}

function checkSize(item: Item): void {
  if (itemSize(item) > MAX_ITEM_BYTES) invalid('Item size has exceeded the maximum allowed size');
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

function createTable(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const name = tableName(p.TableName);
  const schema = (Array.isArray(p.KeySchema) ? p.KeySchema : []) as Array<Record<string, unknown>>;
  const defs = (Array.isArray(p.AttributeDefinitions) ? p.AttributeDefinitions : []) as Array<
    Record<string, unknown>
  >;
  if (schema.length < 1 || schema.length > 2) {
    invalid(
      "1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
    );
  }
  const hash = schema.find((k) => k.KeyType === 'HASH');
  const range = schema.find((k) => k.KeyType === 'RANGE');
  if (!hash || schema[0] !== hash || (schema.length === 2 && !range)) {
    invalid('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  }
  if (defs.length !== schema.length) {
    invalid(
      'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
    );
  }
  const typeOfKey = (k: Record<string, unknown>): KeyAttr => {
    const d = defs.find((x) => x.AttributeName === k.AttributeName);
    if (!d) {
      invalid(
        'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [' +
          `${String(k.AttributeName)}], AttributeDefinitions: [${defs.map((x) => String(x.AttributeName)).join(', ')}]`,
      );
    }
    if (!['S', 'N', 'B'].includes(d.AttributeType as string)) {
      invalid(
        `1 validation error detected: Value '${String(d.AttributeType)}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`,
      );
    }
    return { name: String(k.AttributeName), type: d.AttributeType as KeyAttr['type'] };
  };
  const billingMode = (p.BillingMode ?? 'PROVISIONED') as Table['billingMode'];
  const throughput = p.ProvisionedThroughput as
    | { ReadCapacityUnits?: number; WriteCapacityUnits?: number }
    | undefined;
  if (billingMode === 'PROVISIONED' && (!throughput?.ReadCapacityUnits || !throughput?.WriteCapacityUnits)) {
    invalid(
      'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
    );
  }
  if (billingMode === 'PAY_PER_REQUEST' && throughput) {
    invalid(
      'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
    );
  }
  const tables = tablesOf(ctx, req);
  if (tables.has(name)) fail('ResourceInUseException', `Table already exists: ${name}`);
  const tableArn = arn(ctx, 'dynamodb', req.region, req.caller.account, `table/${name}`);
  const created = ctx.now();
  const t: Table = {
    name,
    arn: tableArn,
    id: tableId(tableArn, created),
    hash: typeOfKey(hash),
    ...(range ? { range: typeOfKey(range) } : {}),
    attributeDefinitions: defs.map((d) => ({
      AttributeName: String(d.AttributeName),
      AttributeType: String(d.AttributeType),
    })),
    billingMode,
    read: billingMode === 'PROVISIONED' ? Number(throughput?.ReadCapacityUnits) : 0,
    write: billingMode === 'PROVISIONED' ? Number(throughput?.WriteCapacityUnits) : 0,
    created,
    items: new Map(),
  };
  tables.set(name, t);
  return { TableDescription: describe(t) };
}

function describeTable(ctx: SimContext, req: SimRequest): unknown {
  return { Table: describe(table(ctx, req, req.params.TableName)) };
}

function deleteTable(ctx: SimContext, req: SimRequest): unknown {
  const t = table(ctx, req, req.params.TableName);
  tablesOf(ctx, req).delete(t.name);
  return { TableDescription: { ...describe(t), TableStatus: 'DELETING' } };
}

function listTables(ctx: SimContext, req: SimRequest): unknown {
  const names = [...tablesOf(ctx, req).keys()].sort();
  const after = req.params.ExclusiveStartTableName;
  const limit = Number(req.params.Limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    invalid(
      "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
  }
  const from = typeof after === 'string' ? names.filter((n) => n > after) : names;
  const page = from.slice(0, limit);
  return {
    TableNames: page,
    ...(from.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}),
  };
}

function updateTimeToLive(ctx: SimContext, req: SimRequest): unknown {
  const t = table(ctx, req, req.params.TableName);
  const spec = req.params.TimeToLiveSpecification as
    | { Enabled?: boolean; AttributeName?: string }
    | undefined;
  if (
    !spec ||
    typeof spec.Enabled !== 'boolean' ||
    typeof spec.AttributeName !== 'string' ||
    !spec.AttributeName
  ) {
    invalid(
      "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
    );
  }
  if (spec.Enabled && t.ttl?.enabled) invalid('TimeToLive is already enabled');
  if (!spec.Enabled && !t.ttl?.enabled) invalid('TimeToLive is already disabled');
  t.ttl = { attribute: spec.AttributeName, enabled: spec.Enabled };
  return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
}

function describeTimeToLive(ctx: SimContext, req: SimRequest): unknown {
  const t = table(ctx, req, req.params.TableName);
  return {
    TimeToLiveDescription: t.ttl?.enabled
      ? { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl.attribute }
      : { TimeToLiveStatus: 'DISABLED' },
  };
}

function putItem(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  refuseLegacy(p, ['Expected', 'ConditionalOperator']);
  const t = table(ctx, req, p.TableName);
  const rv = returnValues(p, ['NONE', 'ALL_OLD']);
  const item = checkItem(p.Item);
  const key = keyOf(t, item, 'item');
  checkSize(item);
  const ph = new Placeholders(p);
  const cond =
    p.ConditionExpression != null
      ? parseCondition('ConditionExpression', p.ConditionExpression, ph)
      : undefined;
  ph.checkAllUsed(cond !== undefined);
  const old = t.items.get(key);
  checkCondition('ConditionExpression', cond, old);
  t.items.set(key, item);
  return rv === 'ALL_OLD' && old ? { Attributes: old } : {};
}

function getItem(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  refuseLegacy(p, ['AttributesToGet']);
  const t = table(ctx, req, p.TableName);
  const key = keyOf(t, checkItem(p.Key), 'key');
  const ph = new Placeholders(p);
  const proj = p.ProjectionExpression != null ? parseProjection(p.ProjectionExpression, ph) : undefined;
  ph.checkAllUsed(proj !== undefined);
  const item = t.items.get(key);
  if (!item) return {};
  return { Item: proj ? project(item, proj) : clone(item) };
}

function deleteItem(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  refuseLegacy(p, ['Expected', 'ConditionalOperator']);
  const t = table(ctx, req, p.TableName);
  const rv = returnValues(p, ['NONE', 'ALL_OLD']);
  const key = keyOf(t, checkItem(p.Key), 'key');
  const ph = new Placeholders(p);
  const cond =
    p.ConditionExpression != null
      ? parseCondition('ConditionExpression', p.ConditionExpression, ph)
      : undefined;
  ph.checkAllUsed(cond !== undefined);
  const old = t.items.get(key);
  checkCondition('ConditionExpression', cond, old);
  t.items.delete(key);
  return rv === 'ALL_OLD' && old ? { Attributes: old } : {};
}

function pathsOverlap(a: Seg[], b: Seg[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function applyUpdate(t: Table, actions: UpdateAction[], old: Item | undefined, key: Item): Item {
  for (const a of actions) {
    const top = a.path.segs[0] as string;
    if (top === t.hash.name || top === t.range?.name) {
      invalid(
        `One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`,
      );
    }
  }
  for (let i = 0; i < actions.length; i++) {
    for (let j = i + 1; j < actions.length; j++) {
      const x = actions[i]!.path.segs;
      const y = actions[j]!.path.segs;
      if (pathsOverlap(x, y)) {
        invalid(
          `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(x)}, path two: ${formatPath(y)}`,
        );
      }
    }
  }
  const before: Item = old ?? key;
  // Every right-hand side reads the item as it was before the update.
  const values = actions.map((a) => (a.kind === 'SET' ? evalOperand(a.value, before) : undefined));
  const next: Item = clone(before);
  actions.forEach((a, i) => {
    if (a.kind === 'SET') {
      const v = values[i];
      if (!v) invalid('The provided expression refers to an attribute that does not exist in the item');
      setPath(next, a.path.segs, clone(v));
    } else if (a.kind === 'REMOVE') removePath(next, a.path.segs);
    else {
      const vt = typeOf(a.value);
      const isSet = vt === 'SS' || vt === 'NS' || vt === 'BS';
      if (a.kind === 'ADD' && vt !== 'N' && !isSet) {
        invalid(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${TYPE_NAMES[vt]}`,
        );
      }
      if (a.kind === 'DELETE' && !isSet) {
        invalid(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${TYPE_NAMES[vt]}`,
        );
      }
      const cur = getPath(next, a.path.segs);
      if (cur && typeOf(cur) !== vt)
        invalid('An operand in the update expression has an incorrect data type');
      if (a.kind === 'ADD') {
        if (!cur) setPath(next, a.path.segs, clone(a.value));
        else if (vt === 'N')
          setPath(next, a.path.segs, { N: addNumbers(cur.N as string, a.value.N as string) });
        else {
          const members = [...(cur[vt] as string[])];
          for (const m of a.value[vt] as string[]) if (!members.includes(m)) members.push(m);
          setPath(next, a.path.segs, { [vt]: members });
        }
      } else if (cur) {
        const drop = new Set(a.value[vt] as string[]);
        const members = (cur[vt] as string[]).filter((m) => !drop.has(m));
        if (members.length === 0) removePath(next, a.path.segs);
        else setPath(next, a.path.segs, { [vt]: members });
      }
    }
  });
  return next;
}

function pick(item: Item | undefined, names: Set<string>): Item {
  const out: Item = {};
  if (!item) return out;
  for (const n of names) if (item[n] !== undefined) out[n] = clone(item[n]!);
  return out;
}

function updateItem(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  refuseLegacy(p, ['Expected', 'ConditionalOperator', 'AttributeUpdates']);
  const t = table(ctx, req, p.TableName);
  const rv = returnValues(p, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']);
  const keyIn = checkItem(p.Key);
  const key = keyOf(t, keyIn, 'key');
  const ph = new Placeholders(p);
  const actions =
    p.UpdateExpression != null
      ? new Parser('UpdateExpression', p.UpdateExpression as string, ph).update()
      : [];
  const cond =
    p.ConditionExpression != null
      ? parseCondition('ConditionExpression', p.ConditionExpression, ph)
      : undefined;
  ph.checkAllUsed(actions.length > 0 || cond !== undefined);
  const old = t.items.get(key);
  checkCondition('ConditionExpression', cond, old);
  const next = applyUpdate(t, actions, old, keyIn);
  checkSize(next);
  t.items.set(key, next);
  const touched = new Set(actions.map((a) => a.path.segs[0] as string));
  switch (rv) {
    case 'ALL_NEW':
      return { Attributes: clone(next) };
    case 'ALL_OLD':
      return old ? { Attributes: clone(old) } : {};
    case 'UPDATED_NEW': {
      const a = pick(next, touched);
      return Object.keys(a).length ? { Attributes: a } : {};
    }
    case 'UPDATED_OLD': {
      const a = pick(old, touched);
      return Object.keys(a).length ? { Attributes: a } : {};
    }
    default:
      return {};
  }
}

function batchGetItem(ctx: SimContext, req: SimRequest): unknown {
  const requests = req.params.RequestItems as Record<string, Record<string, unknown>> | undefined;
  if (!requests || typeof requests !== 'object' || Object.keys(requests).length === 0) {
    invalid(
      "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  let total = 0;
  for (const r of Object.values(requests)) total += Array.isArray(r?.Keys) ? r.Keys.length : 0;
  if (total > 100) invalid('Too many items requested for the BatchGetItem call');
  const responses: Record<string, Item[]> = {};
  for (const [name, r] of Object.entries(requests)) {
    refuseLegacy(r, ['AttributesToGet']);
    const t = table(ctx, req, name);
    const keys = Array.isArray(r.Keys) ? r.Keys : [];
    if (keys.length === 0) {
      invalid(
        "1 validation error detected: Value at 'requestItems.keys' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const ph = new Placeholders(r);
    const proj = r.ProjectionExpression != null ? parseProjection(r.ProjectionExpression, ph) : undefined;
    ph.checkAllUsed(proj !== undefined);
    const seen = new Set<string>();
    const found: Item[] = [];
    for (const k of keys) {
      const key = keyOf(t, checkItem(k), 'key');
      if (seen.has(key)) invalid('Provided list of item keys contains duplicates');
      seen.add(key);
      const item = t.items.get(key);
      if (item) found.push(proj ? project(item, proj) : clone(item));
    }
    responses[name] = found;
  }
  return { Responses: responses, UnprocessedKeys: {} };
}

function scan(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  refuseLegacy(p, ['ScanFilter', 'AttributesToGet', 'ConditionalOperator']);
  if (p.IndexName != null) invalid('bks-sim models no secondary indexes; IndexName is not supported');
  if (p.Segment != null || p.TotalSegments != null) invalid('bks-sim does not model parallel scans');
  const t = table(ctx, req, p.TableName);
  const ph = new Placeholders(p);
  const filter =
    p.FilterExpression != null ? parseCondition('FilterExpression', p.FilterExpression, ph) : undefined;
  const proj = p.ProjectionExpression != null ? parseProjection(p.ProjectionExpression, ph) : undefined;
  ph.checkAllUsed(filter !== undefined || proj !== undefined);
  const limit = p.Limit == null ? Number.POSITIVE_INFINITY : Number(p.Limit);
  if (!(limit >= 1)) {
    invalid(
      "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  }
  const keys = [...t.items.keys()].sort();
  const start = p.ExclusiveStartKey != null ? keyOf(t, checkItem(p.ExclusiveStartKey), 'key') : undefined;
  const from = start === undefined ? keys : keys.filter((k) => k > start);
  const scanned = from.slice(0, limit);
  const items: Item[] = [];
  for (const k of scanned) {
    const item = t.items.get(k)!;
    if (filter && !evalCondition('FilterExpression', filter, item)) continue;
    items.push(proj ? project(item, proj) : clone(item));
  }
  const last = scanned.length < from.length ? t.items.get(scanned[scanned.length - 1]!) : undefined;
  const count = p.Select === 'COUNT';
  return {
    ...(count ? {} : { Items: items }),
    Count: items.length,
    ScannedCount: scanned.length,
    ...(last ? { LastEvaluatedKey: keyItem(t, last) } : {}),
  };
}

export const dynamodb: ServiceModule = {
  service: 'dynamodb',
  protocol: 'json',
  jsonVersion: '1.0',
  targetPrefix: 'DynamoDB_20120810',
  throttlingCode: `${ERR_PREFIX}ThrottlingException`,
  eventSource: 'dynamodb.amazonaws.com',
  actions: {
    CreateTable: createTable,
    DescribeTable: describeTable,
    DeleteTable: deleteTable,
    ListTables: listTables,
    UpdateTimeToLive: updateTimeToLive,
    DescribeTimeToLive: describeTimeToLive,
    PutItem: putItem,
    GetItem: getItem,
    UpdateItem: updateItem,
    DeleteItem: deleteItem,
    BatchGetItem: batchGetItem,
    Scan: scan,
  },
  // Not recorded: see the header.
  management: () => undefined,
};
