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
 *
 * This file holds the tables and the operations; the typed attribute values are in
 * ./dynamodb/values.ts, the expression parser in ./dynamodb/expressions.ts and the evaluation of
 * expressions against items in ./dynamodb/evaluate.ts.
 */
import { createHash } from 'node:crypto';
import { arn, type ServiceModule, type SimContext, type SimRequest } from '../core';
import { applyUpdate, evalCondition, project } from './dynamodb/evaluate';
import {
  type Cond,
  Placeholders,
  parseCondition,
  parseProjection,
  parseUpdate,
  type UpdateAction,
} from './dynamodb/expressions';
import { checkItem, clone, ERR_PREFIX, fail, type Item, invalid, itemSize, typeOf } from './dynamodb/values';

/**
 * A table id shaped like AWS's (a UUID), derived from the table's ARN and creation time (not from
 * the simulator's id sequence: creating a table must not shift the ids other services hand out).
 */
function tableId(tableArn: string, created: Date): string {
  const h = createHash('sha256').update(`${tableArn}@${created.toISOString()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
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

/** An update expression may not touch the table's key attributes. */
function refuseKeyUpdates(t: Table, actions: UpdateAction[]): void {
  for (const a of actions) {
    const top = a.path.segs[0] as string;
    if (top === t.hash.name || top === t.range?.name) {
      invalid(
        `One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`,
      );
    }
  }
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
  const actions = p.UpdateExpression != null ? parseUpdate(p.UpdateExpression, ph) : [];
  const cond =
    p.ConditionExpression != null
      ? parseCondition('ConditionExpression', p.ConditionExpression, ph)
      : undefined;
  ph.checkAllUsed(actions.length > 0 || cond !== undefined);
  const old = t.items.get(key);
  checkCondition('ConditionExpression', cond, old);
  refuseKeyUpdates(t, actions);
  const next = applyUpdate(actions, old, keyIn);
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
