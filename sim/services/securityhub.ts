/**
 * Security Hub (REST-JSON): BatchImportFindings (upsert on Id + ProductArn, per-finding validation
 * reported in `FailedFindings`), GetFindings (string filters, pagination), BatchUpdateFindings
 * (Workflow, Note, Severity, …) and CreateActionTarget. Findings live in the state's `findings`
 * array (what `/_sim/findings` returns). DescribeHub and GetAdministratorAccount answer from the
 * account's `securityHub` (absent: not subscribed, `InvalidAccessException`).
 */
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { inRegion, type SimSecurityHub } from '../detection';

type Finding = Record<string, unknown>;

const REQUIRED: readonly string[] = [
  'SchemaVersion',
  'Id',
  'ProductArn',
  'GeneratorId',
  'AwsAccountId',
  'Types',
  'CreatedAt',
  'UpdatedAt',
  'Severity',
  'Title',
  'Description',
  'Resources',
];

const WORKFLOW_STATUSES = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'];
const SEVERITY_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const RECORD_STATES = ['ACTIVE', 'ARCHIVED'];

function key(id: unknown, productArn: unknown): string {
  return `${String(productArn)}\u0000${String(id)}`;
}

/** Position of each finding in `state.findings` by Id + ProductArn (rebuilt when the array changes). */
function findingIndex(ctx: SimContext): Map<string, number> {
  const findings = ctx.state.findings;
  const cached = ctx.scratch.get('securityhub:index') as
    | { source: Finding[]; count: number; map: Map<string, number> }
    | undefined;
  if (cached && cached.source === findings && cached.count === findings.length) return cached.map;
  const map = new Map<string, number>();
  for (const [i, f] of findings.entries()) map.set(key(f.Id, f.ProductArn), i);
  ctx.scratch.set('securityhub:index', { source: findings, count: findings.length, map });
  return map;
}

function asffError(message: string): string {
  return `Finding does not adhere to Amazon Finding Format. ${message}`;
}

function isTime(v: unknown): boolean {
  return typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));
}

/** The first ASFF problem of a finding, or undefined when it is acceptable. */
function validateFinding(f: unknown, caller: string, partition: string): string | undefined {
  if (!f || typeof f !== 'object' || Array.isArray(f)) return asffError('data should be object.');
  const finding = f as Finding;
  for (const field of REQUIRED) {
    const v = finding[field];
    if (v === undefined || v === null) return asffError(`data should have required property '${field}'.`);
    if (typeof v === 'string' && v.length === 0) {
      return asffError(`data.${field} should NOT be shorter than 1 characters.`);
    }
  }
  if (finding.SchemaVersion !== '2018-10-08') {
    return asffError('data.SchemaVersion should be equal to one of the allowed values.');
  }
  for (const field of ['CreatedAt', 'UpdatedAt', 'FirstObservedAt', 'LastObservedAt']) {
    if (finding[field] !== undefined && !isTime(finding[field])) {
      return asffError(`data.${field} should match format "date-time".`);
    }
  }
  if (typeof finding.AwsAccountId !== 'string' || !/^\d{12}$/.test(finding.AwsAccountId)) {
    return asffError('data.AwsAccountId should match pattern "^[0-9]{12}$".');
  }
  const types = finding.Types;
  if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'string')) {
    return asffError('data.Types should NOT have fewer than 1 items.');
  }
  const severity = finding.Severity as Record<string, unknown>;
  if (typeof severity !== 'object' || (severity.Label === undefined && severity.Normalized === undefined)) {
    return asffError("data.Severity should have required property 'Label'.");
  }
  if (severity.Label !== undefined && !SEVERITY_LABELS.includes(String(severity.Label))) {
    return asffError('data.Severity.Label should be equal to one of the allowed values.');
  }
  const resources = finding.Resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    return asffError('data.Resources should NOT have fewer than 1 items.');
  }
  for (const [i, r] of resources.entries()) {
    const res = r as Record<string, unknown>;
    if (!res || typeof res.Type !== 'string' || typeof res.Id !== 'string') {
      return asffError(`data.Resources[${i}] should have required properties 'Type' and 'Id'.`);
    }
  }
  if (typeof finding.Title === 'string' && finding.Title.length > 256) {
    return asffError('data.Title should NOT be longer than 256 characters.');
  }
  if (typeof finding.Description === 'string' && finding.Description.length > 1024) {
    return asffError('data.Description should NOT be longer than 1024 characters.');
  }
  if (finding.RecordState !== undefined && !RECORD_STATES.includes(String(finding.RecordState))) {
    return asffError('data.RecordState should be equal to one of the allowed values.');
  }
  if (JSON.stringify(finding).length > 240 * 1024) return asffError('the finding is larger than 240 KB.');
  const product = String(finding.ProductArn);
  if (!product.startsWith(`arn:${partition}:securityhub:`)) {
    return asffError(`data.ProductArn is not a Security Hub product ARN in partition ${partition}.`);
  }
  // A finding is imported in its own account (a provider's default product ARN names that account).
  if (finding.AwsAccountId !== caller && product.includes(`:product/${caller}/`) === false) {
    return 'The finding must be imported from its own account (AwsAccountId).';
  }
  return undefined;
}

function batchImportFindings(ctx: SimContext, req: SimRequest): unknown {
  const list = req.params.Findings;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SimError('InvalidInputException', 'Findings must contain between 1 and 100 findings.', 400);
  }
  if (list.length > 100) {
    throw new SimError(
      'InvalidInputException',
      `Findings has ${list.length} items; the maximum is 100 per request.`,
      400,
    );
  }
  const index = findingIndex(ctx);
  const findings = ctx.state.findings;
  const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
  const now = ctx.nowIso();
  let success = 0;
  for (const raw of list) {
    const problem = validateFinding(raw, req.caller.account, ctx.state.partition);
    if (problem) {
      const id = raw && typeof raw === 'object' ? String((raw as Finding).Id ?? '') : '';
      failed.push({
        Id: id,
        ErrorCode: problem.startsWith('The finding must') ? 'AccessDeniedException' : 'InvalidInput',
        ErrorMessage: problem,
      });
      continue;
    }
    const finding = structuredClone(raw as Finding);
    const k = key(finding.Id, finding.ProductArn);
    const at = index.get(k);
    const previous = at === undefined ? undefined : (findings[at] as Finding);
    const stored: Finding = {
      ...finding,
      Region: finding.Region ?? req.region,
      ProductName: finding.ProductName ?? 'Default',
      CompanyName: finding.CompanyName ?? 'Personal',
      RecordState: finding.RecordState ?? 'ACTIVE',
      ProcessedAt: now,
    };
    // The provider cannot set Workflow or Note through an import once they exist (BatchUpdateFindings owns them).
    if (previous) {
      stored.Workflow = previous.Workflow;
      stored.WorkflowState = previous.WorkflowState;
      if (previous.Note !== undefined) stored.Note = previous.Note;
      findings[at as number] = stored;
    } else {
      stored.Workflow = { Status: 'NEW' };
      stored.WorkflowState = 'NEW';
      findings.push(stored);
      index.set(k, findings.length - 1);
      ctx.scratch.set('securityhub:index', { source: findings, count: findings.length, map: index });
    }
    success++;
  }
  req.trail = {
    ...req.trail,
    requestParameters: {
      findings: list.map((f) => ({ id: (f as Finding)?.Id, productArn: (f as Finding)?.ProductArn })),
    },
    responseElements: { failedCount: failed.length, successCount: success },
  };
  return { FailedCount: failed.length, SuccessCount: success, FailedFindings: failed };
}

type Getter = (f: Finding) => unknown;

/** The string filters GetFindings understands: filter name → value(s) of a finding. */
const STRING_FILTERS: Record<string, Getter> = {
  Id: (f) => f.Id,
  ProductArn: (f) => f.ProductArn,
  GeneratorId: (f) => f.GeneratorId,
  AwsAccountId: (f) => f.AwsAccountId,
  Region: (f) => f.Region,
  Title: (f) => f.Title,
  Description: (f) => f.Description,
  ProductName: (f) => f.ProductName,
  CompanyName: (f) => f.CompanyName,
  RecordState: (f) => f.RecordState,
  WorkflowState: (f) => f.WorkflowState,
  WorkflowStatus: (f) => (f.Workflow as Record<string, unknown> | undefined)?.Status,
  SeverityLabel: (f) => (f.Severity as Record<string, unknown> | undefined)?.Label,
  VerificationState: (f) => f.VerificationState,
  Type: (f) => f.Types,
  ResourceId: (f) => (f.Resources as Record<string, unknown>[] | undefined)?.map((r) => r.Id),
  ResourceType: (f) => (f.Resources as Record<string, unknown>[] | undefined)?.map((r) => r.Type),
  ComplianceStatus: (f) => (f.Compliance as Record<string, unknown> | undefined)?.Status,
};

const NEGATIVE = new Set(['NOT_EQUALS', 'PREFIX_NOT_EQUALS', 'NOT_CONTAINS']);

function compare(comparison: string, actual: string, value: string): boolean {
  switch (comparison) {
    case 'EQUALS':
      return actual === value;
    case 'NOT_EQUALS':
      return actual !== value;
    case 'PREFIX':
      return actual.startsWith(value);
    case 'PREFIX_NOT_EQUALS':
      return !actual.startsWith(value);
    case 'CONTAINS':
      return actual.includes(value);
    case 'NOT_CONTAINS':
      return !actual.includes(value);
    case 'CONTAINS_WORD':
      return actual.split(/\W+/).includes(value);
    default:
      throw new SimError('InvalidInputException', `Invalid comparison ${comparison}.`, 400);
  }
}

/** Positive filters of one field are ORed, negative ones ANDed, fields ANDed (as AWS documents). */
function matches(f: Finding, filters: Record<string, unknown>): boolean {
  for (const [name, raw] of Object.entries(filters)) {
    if (!Array.isArray(raw) || raw.length === 0) continue;
    const getter = STRING_FILTERS[name];
    if (!getter) {
      throw new SimError('InvalidInputException', `bks-sim does not support the filter ${name}.`, 400);
    }
    const v = getter(f);
    const values = (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map(String);
    const positives = raw.filter((c) => !NEGATIVE.has(String((c as Record<string, unknown>).Comparison)));
    const negatives = raw.filter((c) => NEGATIVE.has(String((c as Record<string, unknown>).Comparison)));
    for (const c of negatives as Record<string, unknown>[]) {
      if (!values.every((a) => compare(String(c.Comparison), a, String(c.Value)))) return false;
    }
    if (
      positives.length > 0 &&
      !(positives as Record<string, unknown>[]).some((c) =>
        values.some((a) => compare(String(c.Comparison ?? 'EQUALS'), a, String(c.Value))),
      )
    ) {
      return false;
    }
  }
  return true;
}

function getFindings(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const max = p.MaxResults === undefined || p.MaxResults === null ? 100 : Number(p.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new SimError('InvalidInputException', 'MaxResults must be between 1 and 100.', 400);
  }
  let offset = 0;
  if (typeof p.NextToken === 'string' && p.NextToken !== '') {
    const m = /^sim-(\d+)$/.exec(Buffer.from(p.NextToken, 'base64').toString('utf8'));
    if (!m) throw new SimError('InvalidInputException', 'The NextToken is not valid.', 400);
    offset = Number(m[1]);
  }
  const filters = (p.Filters ?? {}) as Record<string, unknown>;
  const all = ctx.state.findings.filter((f) => f.AwsAccountId === req.caller.account && matches(f, filters));
  const page = all.slice(offset, offset + max);
  const out: { Findings: Finding[]; NextToken?: string } = { Findings: page };
  if (offset + max < all.length) out.NextToken = Buffer.from(`sim-${offset + max}`).toString('base64');
  return out;
}

function identifiers(list: unknown): { Id: string; ProductArn: string }[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
    throw new SimError(
      'InvalidInputException',
      'FindingIdentifiers must contain between 1 and 100 items.',
      400,
    );
  }
  return list.map((x) => {
    const o = x as Record<string, unknown>;
    if (typeof o?.Id !== 'string' || typeof o.ProductArn !== 'string') {
      throw new SimError('InvalidInputException', 'Each finding identifier needs Id and ProductArn.', 400);
    }
    return { Id: o.Id, ProductArn: o.ProductArn };
  });
}

function batchUpdateFindings(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const ids = identifiers(p.FindingIdentifiers);
  const note = p.Note as Record<string, unknown> | undefined;
  if (note !== undefined) {
    if (
      typeof note.Text !== 'string' ||
      typeof note.UpdatedBy !== 'string' ||
      !note.Text ||
      !note.UpdatedBy
    ) {
      throw new SimError('InvalidInputException', 'Note requires Text and UpdatedBy.', 400);
    }
    if (note.Text.length > 512)
      throw new SimError('InvalidInputException', 'Note.Text is longer than 512.', 400);
  }
  const workflow = p.Workflow as Record<string, unknown> | undefined;
  if (workflow?.Status !== undefined && !WORKFLOW_STATUSES.includes(String(workflow.Status))) {
    throw new SimError('InvalidInputException', `Invalid Workflow.Status ${String(workflow.Status)}.`, 400);
  }
  const severity = p.Severity as Record<string, unknown> | undefined;
  if (severity?.Label !== undefined && !SEVERITY_LABELS.includes(String(severity.Label))) {
    throw new SimError('InvalidInputException', `Invalid Severity.Label ${String(severity.Label)}.`, 400);
  }
  const index = findingIndex(ctx);
  const now = ctx.nowIso();
  const processed: { Id: string; ProductArn: string }[] = [];
  const unprocessed: unknown[] = [];
  for (const id of ids) {
    const at = index.get(key(id.Id, id.ProductArn));
    const f = at === undefined ? undefined : ctx.state.findings[at];
    if (!f || f.AwsAccountId !== req.caller.account) {
      unprocessed.push({
        FindingIdentifier: id,
        ErrorCode: 'FindingNotFound',
        ErrorMessage: 'Finding Not Found',
      });
      continue;
    }
    if (workflow?.Status !== undefined) {
      f.Workflow = { Status: workflow.Status };
      f.WorkflowState =
        workflow.Status === 'RESOLVED' ? 'RESOLVED' : workflow.Status === 'SUPPRESSED' ? 'SUPPRESSED' : 'NEW';
    }
    if (note) f.Note = { Text: note.Text, UpdatedBy: note.UpdatedBy, UpdatedAt: now };
    if (severity) f.Severity = { ...(f.Severity as object), ...severity };
    for (const field of [
      'VerificationState',
      'Confidence',
      'Criticality',
      'Types',
      'UserDefinedFields',
      'RelatedFindings',
    ]) {
      if (p[field] !== undefined) f[field] = p[field];
    }
    f.UpdatedAt = now;
    processed.push(id);
  }
  req.trail = {
    ...req.trail,
    requestParameters: {
      findingIdentifiers: ids.map((i) => ({ id: i.Id, productArn: i.ProductArn })),
      ...(workflow ? { workflow: { status: workflow.Status } } : {}),
      ...(note ? { note: { text: note.Text, updatedBy: note.UpdatedBy } } : {}),
    },
    responseElements: { processedFindings: processed.length, unprocessedFindings: unprocessed.length },
  };
  return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
}

interface ActionTarget {
  ActionTargetArn: string;
  Name: string;
  Description: string;
}

function createActionTarget(ctx: SimContext, req: SimRequest): unknown {
  const { Name, Description, Id } = req.params as Record<string, unknown>;
  for (const [field, v] of Object.entries({ Name, Description, Id })) {
    if (typeof v !== 'string' || v.length === 0) {
      throw new SimError('InvalidInputException', `${field} is required.`, 400);
    }
  }
  if (String(Name).length > 20)
    throw new SimError('InvalidInputException', 'Name must be at most 20 characters.', 400);
  if (String(Description).length > 256) {
    throw new SimError('InvalidInputException', 'Description must be at most 256 characters.', 400);
  }
  if (!/^[A-Za-z0-9]{1,20}$/.test(String(Id))) {
    throw new SimError('InvalidInputException', 'Id must be 1 to 20 alphanumeric characters.', 400);
  }
  const arn = `arn:${ctx.state.partition}:securityhub:${req.region}:${req.caller.account}:action/custom/${String(Id)}`;
  let targets = ctx.scratch.get('securityhub:actionTargets') as Map<string, ActionTarget> | undefined;
  if (!targets) {
    targets = new Map();
    ctx.scratch.set('securityhub:actionTargets', targets);
  }
  if (targets.has(arn)) {
    throw new SimError('ResourceConflictException', `The action target ${arn} already exists.`, 409);
  }
  targets.set(arn, { ActionTargetArn: arn, Name: String(Name), Description: String(Description) });
  return { ActionTargetArn: arn };
}

/** Action targets created so far (for tests and the control API). */
export function actionTargets(ctx: SimContext): ActionTarget[] {
  return [
    ...((ctx.scratch.get('securityhub:actionTargets') as Map<string, ActionTarget> | undefined)?.values() ??
      []),
  ];
}

/** The account's hub in the request's region, or Security Hub's answer for an account without one. */
function hubOf(ctx: SimContext, req: SimRequest): SimSecurityHub {
  const account = ctx.account(req.caller.account);
  const hub = account.securityHub;
  if (!hub?.enabled || !inRegion(hub, account.regions, req.region)) {
    throw new SimError(
      'InvalidAccessException',
      `Account ${req.caller.account} is not subscribed to AWS Security Hub`,
      401,
    );
  }
  return hub;
}

function describeHub(ctx: SimContext, req: SimRequest): unknown {
  const hub = hubOf(ctx, req);
  return {
    HubArn: `arn:${ctx.state.partition}:securityhub:${req.region}:${req.caller.account}:hub/default`,
    SubscribedAt: hub.subscribedAt ?? ctx.state.now,
    AutoEnableControls: hub.autoEnableControls ?? true,
    ControlFindingGenerator: hub.controlFindingGenerator ?? 'SECURITY_CONTROL',
  };
}

function getAdministratorAccount(ctx: SimContext, req: SimRequest): unknown {
  const hub = hubOf(ctx, req);
  const admin = hub.administratorAccount;
  // An account that is its own administrator (or has none) has no administrator to show.
  if (!admin || admin === req.caller.account) return {};
  return {
    Administrator: {
      AccountId: admin,
      InvitationId: `${admin}-${req.caller.account}`,
      // Security Hub's REST timestamps are ISO 8601 strings on the wire.
      InvitedAt: new Date(hub.subscribedAt ?? ctx.state.now).toISOString(),
      MemberStatus: 'Enabled',
    },
  };
}

const READS = new Set(['GetFindings', 'DescribeHub', 'GetAdministratorAccount']);

const ROUTES: Record<string, string> = {
  'GET /accounts': 'DescribeHub',
  'GET /administrator': 'GetAdministratorAccount',
  'POST /findings/import': 'BatchImportFindings',
  'POST /findings': 'GetFindings',
  'PATCH /findings/batchupdate': 'BatchUpdateFindings',
  'POST /actionTargets': 'CreateActionTarget',
};

export const securityhub: ServiceModule = {
  service: 'securityhub',
  protocol: 'rest-json',
  throttlingCode: 'ThrottlingException',
  eventSource: 'securityhub.amazonaws.com',
  actions: {
    BatchImportFindings: batchImportFindings,
    GetFindings: getFindings,
    BatchUpdateFindings: batchUpdateFindings,
    CreateActionTarget: createActionTarget,
    DescribeHub: describeHub,
    GetAdministratorAccount: getAdministratorAccount,
  },
  route: (method, path) => {
    const action = ROUTES[`${method.toUpperCase()} ${path.replace(/\/+$/, '') || '/'}`];
    return action ? { action, pathParams: {} } : undefined;
  },
  // Reads are not recorded (as for the other services of the simulator).
  management: (action) => (READS.has(action) ? undefined : { readOnly: false }),
};
