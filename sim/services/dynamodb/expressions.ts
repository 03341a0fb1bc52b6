/**
 * The parser of DynamoDB's expression language (Amazon DynamoDB Developer Guide, "Using expressions
 * in DynamoDB": condition and filter expressions, update expressions, projection expressions,
 * expression attribute names and values, reserved words). It turns an expression into a tree that
 * ./evaluate.ts applies to items, and refuses what AWS refuses with AWS's message: syntax errors,
 * undefined or unused placeholders, reserved words used as bare names, unknown functions and
 * functions used where they are not allowed. Precedence, from the Developer Guide: `NOT`, then
 * `AND`, then `OR`; comparators, `BETWEEN` and `IN` bind tighter than all three.
 *
 * Key condition expressions are not parsed: the simulator models no Query.
 */
import { type AV, checkValue, invalid } from './values';

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

export type Seg = string | number;
export interface PathOp {
  kind: 'path';
  segs: Seg[];
}
export type Operand =
  | PathOp
  | { kind: 'value'; value: AV; name: string }
  | { kind: 'size'; path: PathOp }
  | { kind: 'if_not_exists'; path: PathOp; dflt: Operand }
  | { kind: 'list_append'; a: Operand; b: Operand }
  | { kind: 'arith'; op: '+' | '-'; a: Operand; b: Operand };
export type Cond =
  | { kind: 'cmp'; op: string; a: Operand; b: Operand }
  | { kind: 'between'; a: Operand; lo: Operand; hi: Operand }
  | { kind: 'in'; a: Operand; list: Operand[] }
  | { kind: 'fn'; name: string; args: Operand[] }
  | { kind: 'and' | 'or'; a: Cond; b: Cond }
  | { kind: 'not'; a: Cond };
export type UpdateAction =
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

/** The placeholders of one request, and which of them its expressions used. */
export class Placeholders {
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

export function parseCondition(kind: string, text: unknown, ph: Placeholders): Cond {
  const p = new Parser(kind, text as string, ph);
  const c = p.condition();
  if (!p.atEnd()) p.unexpected();
  return c;
}

/** Parses an `UpdateExpression`: its SET, REMOVE, ADD and DELETE clauses, each at most once. */
export function parseUpdate(text: unknown, ph: Placeholders): UpdateAction[] {
  return new Parser('UpdateExpression', text as string, ph).update();
}

export function parseProjection(text: unknown, ph: Placeholders): PathOp[] {
  const p = new Parser('ProjectionExpression', text as string, ph);
  const paths = [p.path()];
  while (p.isOp(',')) {
    p.next();
    paths.push(p.path());
  }
  if (!p.atEnd()) p.unexpected();
  return paths;
}
