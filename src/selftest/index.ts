/**
 * `bks selftest`: proves the detection pipeline fires, end to end, with a canary.
 *
 * 1. The deployment is read from its stack's outputs (src/selftest/deployment.ts); the canary runs in
 *    the pipeline's own account.
 * 2. Canaries of earlier runs that did not finish are removed first, from their records.
 * 3. A run record is written (0600) before anything is created; then the run id is recorded in the
 *    pipeline's approval table (so the workflow knows the canary: src/pipeline/canary.ts), the user
 *    `BedrockAPIKey-bks-canary-<runId>` is created with AmazonBedrockLimitedAccess, a 1-day Bedrock
 *    API key on it, and one bearer call made with the key.
 * 4. Security Hub is polled for the pipeline's finding on the canary, and the counter table for the
 *    incident's signals (one key, one incident: each rule that fired is a signal), until every expected rule
 *    (src/selftest/expect.ts) fired, or the timeout; then a short settle for the workflow to resolve
 *    them (and for false positives to show).
 * 5. The canary is removed whatever happened (interruption included); the record goes with it.
 * 6. Each expected rule that did not fire is traced to the stage that broke (src/selftest/diagnose.ts).
 */
import { randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateGetFindings } from '@aws-sdk/client-securityhub';
import { type AwsContext, type Clock, systemClock } from '../aws';
import { describeAwsError } from '../aws/errors';
import { CANARY_RUN_ID_RE, canaryUserName } from '../pipeline/canary';
import { DynamoIncidentTable } from '../pipeline/dispatch';
import { loadPipelineRules } from '../pipeline/load-rules';
import { IAM_REGION } from '../pipeline/rules';
import {
  attachPolicy,
  bearerCall,
  cleanedUp,
  cleanupCanary,
  closeRunId,
  createKey,
  createUser,
  recordRunId,
} from './canary';
import { type Deployment, DeploymentError, readDeployment } from './deployment';
import { diagnose } from './diagnose';
import { type Expectation, expectations, predictedCalls } from './expect';
import {
  ensureRecordDir,
  pendingRecords,
  RECORD_SCHEMA,
  type RunRecord,
  recordPath,
  removeRecord,
  writeRecord,
} from './record';
import type { CanaryCall, CleanupStep, RuleOutcome, SelftestReport } from './types';

export { DeploymentError } from './deployment';
export type { SelftestReport } from './types';

export const DEFAULT_MODEL_ID = 'amazon.nova-micro-v1:0';
const POLICY = 'AmazonBedrockLimitedAccess';
const SERVICE_NAME = 'bedrock.amazonaws.com';
const KEY_AGE_DAYS = 1;
/** After every expected rule fired: how long to wait for the workflow to resolve the findings. */
const SETTLE_MS = 60_000;

export interface SelftestOptions {
  stackName: string;
  /** Where the bearer call goes. @default the pipeline's home region */
  region?: string;
  recordDir: string;
  timeoutSeconds: number;
  pollMs: number;
  modelId: string;
  endpointUrl?: string;
  /** The detection rules' folder. @default detections/ */
  rulesDir?: string;
  signal?: AbortSignal;
  /**
   * The time the wait for the findings runs on: its deadline, the settle after every rule fired, and
   * the pause between polls. Not a command-line setting: the library's callers only (a test passes a
   * clock that moves on once the local pipeline has nothing left in flight, instead of idling through
   * the timeout). @default the system clock
   */
  clock?: Clock;
  log?: (line: string) => void;
  /**
   * Shown the plan (lines of text) before anything changes; `yes` proceeds, anything else returns
   * `undefined` with nothing changed. @default proceed
   */
  confirm?: (plan: string[]) => Promise<'yes' | 'no' | 'dry-run'>;
  /** Called after each step (tests interrupt runs here). */
  onStep?: (step: string, record: RunRecord) => void | Promise<void>;
}

export class Interrupted extends Error {
  override name = 'Interrupted';
}

function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 10; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/** A pause on `clock` (the system's timers without one) that an abort ends early. */
function sleeper(signal: AbortSignal | undefined, clock?: Clock) {
  return (ms: number) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const t = clock ? undefined : setTimeout(done, ms);
      if (clock) void clock.sleep(ms).then(done);
      function done() {
        if (t) clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
}

interface Seen {
  id: string;
  firstSeen: number;
  workflowStatus?: string;
}

/** The pipeline's findings on the canary, by rule id. */
async function readFindings(aws: AwsContext, d: Deployment, userArn: string, seen: Map<string, Seen>) {
  const pages = paginateGetFindings(
    { client: aws.securityhub(d.homeRegion), pageSize: 100 },
    {
      Filters: {
        GeneratorId: [{ Value: 'bks/pipeline/', Comparison: 'PREFIX' }],
        ResourceId: [{ Value: userArn, Comparison: 'PREFIX' }],
        AwsAccountId: [{ Value: d.account, Comparison: 'EQUALS' }],
      },
    },
  );
  const found: Array<{ id: string; workflowStatus?: string }> = [];
  for await (const page of pages) {
    for (const f of page.Findings ?? []) {
      const ruleId = f.GeneratorId?.slice('bks/pipeline/'.length);
      if (!ruleId || !f.Id) continue;
      const s = seen.get(ruleId) ?? { id: f.Id, firstSeen: Date.now() };
      s.workflowStatus = f.Workflow?.Status;
      seen.set(ruleId, s);
      found.push({ id: f.Id, ...(f.Workflow?.Status ? { workflowStatus: f.Workflow.Status } : {}) });
    }
  }
  // One key, one incident: the finding names the rule that opened it; every other rule that fired
  // on the canary is a signal recorded on the incident (the counter table), under the same finding.
  const incident = found[0];
  if (!incident) return;
  const state = await new DynamoIncidentTable(
    aws.client('dynamodb', DynamoDBClient, d.homeRegion),
    d.counterTable,
  ).read(`${d.account}|${userArn}`);
  for (const sig of state?.signals ?? []) {
    const s = seen.get(sig.ruleId) ?? { id: incident.id, firstSeen: Date.now() };
    if (s.id === incident.id) s.workflowStatus = incident.workflowStatus;
    seen.set(sig.ruleId, s);
  }
}

/** Removes the canaries of earlier runs that did not finish (this account's records). */
async function resumePending(aws: AwsContext, opts: SelftestOptions, account: string) {
  const { records, unreadable } = pendingRecords(opts.recordDir);
  for (const path of unreadable) opts.log?.(`ignoring ${path}: not a readable selftest record`);
  const resumed: SelftestReport['resumed'] = [];
  for (const rec of records) {
    if (rec.account !== account) {
      opts.log?.(`record ${rec.runId} belongs to account ${rec.account}: run selftest there to finish it`);
      continue;
    }
    opts.log?.(`finishing the cleanup of run ${rec.runId} (${rec.userName}) from its record`);
    const steps = await cleanupCanary(aws, rec);
    if (cleanedUp(steps) && rec.created.tableItem) steps.push(await closeRunId(aws, rec, new Date()));
    const ok = cleanedUp(steps);
    if (ok) removeRecord(opts.recordDir, rec.runId);
    resumed.push({ runId: rec.runId, userName: rec.userName, status: ok ? 'done' : 'failed', steps });
  }
  return resumed;
}

/** Everything a run knows before it acts. */
interface Prepared {
  me: { accountId: string; arn: string };
  d: Deployment;
  region: string;
  runId: string;
  userName: string;
  iamRegion: string;
  policyArn: string;
  userArn: string;
  expected: Expectation[];
  firing: Expectation[];
}

async function prepare(aws: AwsContext, opts: SelftestOptions): Promise<Prepared> {
  const me = await aws.identity();
  const d = await readDeployment(aws, opts.stackName, aws.region);
  if (d.account !== me.accountId) {
    throw new DeploymentError(
      `stack ${d.stackName} is in account ${d.account}, the credentials are of ${me.accountId}: run selftest in the pipeline's account`,
    );
  }
  const region = opts.region ?? d.homeRegion;
  const runId = newRunId();
  if (!CANARY_RUN_ID_RE.test(runId)) throw new Error('run id generator broken');
  const userName = canaryUserName(runId);
  const partition = aws.partition;
  const iamRegion = IAM_REGION[partition] ?? 'us-east-1';
  const policyArn = `arn:${partition}:iam::aws:policy/${POLICY}`;
  const calls = predictedCalls({
    partition,
    account: me.accountId,
    callerArn: me.arn,
    userName,
    iamRegion,
    region,
    modelId: opts.modelId,
    policyArn,
    serviceName: SERVICE_NAME,
    credentialAgeDays: KEY_AGE_DAYS,
  });
  const expected = expectations(loadPipelineRules(opts.rulesDir), calls);
  return {
    me,
    d,
    region,
    runId,
    userName,
    iamRegion,
    policyArn,
    userArn: `arn:${partition}:iam::${me.accountId}:user/${userName}`,
    expected,
    firing: expected.filter((e) => e.kind === 'fire'),
  };
}

function planLines(p: Prepared, opts: SelftestOptions): string[] {
  const pending = pendingRecords(opts.recordDir).records.filter((r) => r.account === p.me.accountId);
  return [
    `bks selftest: canary in account ${p.me.accountId} against stack ${p.d.stackName} (${p.d.homeRegion})`,
    ...pending.map(
      (r) => `  first remove the canary ${r.userName} of unfinished run ${r.runId} (from its record)`,
    ),
    `  record run id ${p.runId} in table ${p.d.approvalTable} (expires after a day)`,
    `  create user ${p.userName}, attach ${POLICY}, create a Bedrock API key on it valid ${KEY_AGE_DAYS} day`,
    `  one bearer call: InvokeModel ${opts.modelId} in ${p.region} (1 output token at most)`,
    `  wait up to ${opts.timeoutSeconds} s for ${p.firing.map((e) => e.rule.id).join(', ')}`,
    `  then delete the key, detach the policy and delete the user (run record in ${opts.recordDir})`,
  ];
}

/** What the canary did and saw. */
interface Observed {
  made: CanaryCall[];
  callAt: Map<string, number>;
  seen: Map<string, Seen>;
  error?: string;
  interrupted: boolean;
}

/** The canary's calls, each recorded before the next. */
async function makeCanary(aws: AwsContext, opts: SelftestOptions, p: Prepared, rec: RunRecord, o: Observed) {
  const step = async (
    name: string,
    eventName: string | undefined,
    region: string,
    run: () => Promise<unknown>,
  ) => {
    if (opts.signal?.aborted) throw new Interrupted('interrupted');
    const at = Date.now();
    const call = (result: string) =>
      eventName && o.made.push({ eventName, region, at: new Date(at).toISOString(), result });
    try {
      const result = await run();
      if (eventName) o.callAt.set(eventName, at);
      call(typeof result === 'string' ? result : 'ok');
    } catch (err) {
      call(describeAwsError(err));
      throw err;
    }
    writeRecord(opts.recordDir, rec);
    opts.log?.(`${name} done`);
    await opts.onStep?.(name, rec);
  };
  let token: string | undefined;
  await step('record run id', undefined, p.d.homeRegion, async () => {
    await recordRunId(aws, rec, p.me.arn, new Date());
    rec.created.tableItem = true;
  });
  await step(`create user ${p.userName}`, 'CreateUser', p.iamRegion, async () => {
    await createUser(aws, rec);
    rec.created.user = true;
  });
  await step(`attach ${POLICY}`, 'AttachUserPolicy', p.iamRegion, async () => {
    await attachPolicy(aws, rec);
    rec.created.policy = true;
  });
  await step('create a 1-day API key', 'CreateServiceSpecificCredential', p.iamRegion, async () => {
    const key = await createKey(aws, rec, SERVICE_NAME, KEY_AGE_DAYS);
    rec.created.credentialId = key.credentialId;
    token = key.token;
  });
  await step('bearer call', 'InvokeModel', p.region, () =>
    bearerCall({
      token: token!,
      region: p.region,
      modelId: opts.modelId,
      ...(opts.endpointUrl ? { endpointUrl: opts.endpointUrl } : {}),
      dnsSuffix: aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
      settleMs: 30_000,
      sleep: sleeper(opts.signal),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
  );
}

/** Polls the findings until every expected rule fired and was resolved, or the time is up. */
async function waitForFindings(aws: AwsContext, opts: SelftestOptions, p: Prepared, seen: Map<string, Seen>) {
  opts.log?.(`waiting up to ${opts.timeoutSeconds} s for ${p.firing.map((e) => e.rule.id).join(', ')}`);
  const clock = opts.clock ?? systemClock;
  const sleep = sleeper(opts.signal, opts.clock);
  const deadline = clock.now() + opts.timeoutSeconds * 1000;
  let settleUntil: number | undefined;
  for (;;) {
    await readFindings(aws, p.d, p.userArn, seen);
    const allFired = p.firing.every((e) => seen.has(e.rule.id));
    if (allFired && p.firing.every((e) => seen.get(e.rule.id)?.workflowStatus === 'RESOLVED')) return;
    if (allFired && settleUntil === undefined) settleUntil = Math.min(deadline, clock.now() + SETTLE_MS);
    const now = clock.now();
    if (now >= deadline || (settleUntil !== undefined && now >= settleUntil)) return;
    if (opts.signal?.aborted) throw new Interrupted('interrupted');
    await sleep(opts.pollMs);
  }
}

export async function runSelftest(
  aws: AwsContext,
  opts: SelftestOptions,
): Promise<SelftestReport | undefined> {
  ensureRecordDir(opts.recordDir);
  const p = await prepare(aws, opts);
  if (opts.confirm && (await opts.confirm(planLines(p, opts))) !== 'yes') return undefined;
  const resumed = await resumePending(aws, opts, p.me.accountId);
  const rec: RunRecord = {
    schema: RECORD_SCHEMA,
    runId: p.runId,
    account: p.me.accountId,
    partition: aws.partition,
    userName: p.userName,
    policyArn: p.policyArn,
    table: p.d.approvalTable,
    homeRegion: p.d.homeRegion,
    startedAt: new Date().toISOString(),
    created: { tableItem: false, user: false, policy: false },
  };
  const path = writeRecord(opts.recordDir, rec);
  const since = new Date(Date.now() - 60_000);
  const o: Observed = { made: [], callAt: new Map(), seen: new Map(), interrupted: false };
  try {
    await makeCanary(aws, opts, p, rec, o);
    await waitForFindings(aws, opts, p, o.seen);
  } catch (err) {
    if (err instanceof Interrupted || opts.signal?.aborted) o.interrupted = true;
    else o.error = describeAwsError(err);
  }
  opts.log?.(`removing the canary ${p.userName}`);
  const steps: CleanupStep[] = rec.created.user ? await cleanupCanary(aws, rec) : [];
  if ((!rec.created.user || cleanedUp(steps)) && rec.created.tableItem) {
    steps.push(await closeRunId(aws, rec, new Date()));
  }
  const clean =
    steps.length === 0 ||
    cleanedUp(steps) ||
    (!rec.created.user && !steps.some((x) => x.status === 'failed'));
  if (clean) removeRecord(opts.recordDir, p.runId);
  const failure = o.error ?? (o.interrupted ? 'interrupted' : undefined);
  const outcomes: RuleOutcome[] = [];
  for (const e of p.expected) {
    outcomes.push(await outcomeOf(aws, p.d, e, o.seen, o.callAt, p.userName, since, failure));
  }
  return report(p, opts, o, outcomes, {
    record: clean ? `${path} (removed: the canary is gone)` : path,
    cleanup: { status: o.interrupted && clean ? 'interrupted' : clean ? 'done' : 'failed', steps },
    resumed,
    credentialId: rec.created.credentialId,
  });
}

function report(
  p: Prepared,
  opts: SelftestOptions,
  o: Observed,
  outcomes: RuleOutcome[],
  end: {
    record: string;
    cleanup: SelftestReport['cleanup'];
    resumed: SelftestReport['resumed'];
    credentialId: string | undefined;
  },
): SelftestReport {
  const count = (s: RuleOutcome['status']) => outcomes.filter((x) => x.status === s).length;
  const summary = {
    expected: p.firing.length,
    fired: count('fired'),
    missing: count('missing'),
    unexpected: count('unexpected'),
    notExercised: count('not-exercised'),
    resolvedByPipeline: outcomes.filter((x) => x.status === 'fired' && x.workflowStatus === 'RESOLVED')
      .length,
  };
  const unknown = o.error !== undefined || o.interrupted || count('unknown') > 0;
  return {
    schema: 'bks.selftest/v1',
    generatedAt: new Date().toISOString(),
    runId: p.runId,
    stackName: p.d.stackName,
    account: p.me.accountId,
    homeRegion: p.d.homeRegion,
    region: p.region,
    status: unknown ? 'unknown' : summary.missing + summary.unexpected > 0 ? 'fail' : 'pass',
    ...(o.error
      ? { error: o.error }
      : o.interrupted
        ? { error: 'interrupted before the findings were read' }
        : {}),
    canary: {
      userName: p.userName,
      ...(end.credentialId ? { credentialId: end.credentialId } : {}),
      record: end.record,
      calls: o.made,
    },
    timeoutSeconds: opts.timeoutSeconds,
    pollMs: opts.pollMs,
    rules: outcomes,
    cleanup: end.cleanup,
    resumed: end.resumed,
    summary,
  };
}

async function outcomeOf(
  aws: AwsContext,
  d: Deployment,
  e: Expectation,
  seen: Map<string, Seen>,
  callAt: Map<string, number>,
  userName: string,
  since: Date,
  failure: string | undefined,
): Promise<RuleOutcome> {
  const base = { ruleId: e.rule.id, title: e.rule.title, severity: e.rule.severity };
  const s = seen.get(e.rule.id);
  const found = s
    ? { findingId: s.id, ...(s.workflowStatus ? { workflowStatus: s.workflowStatus } : {}) }
    : {};
  if (e.kind === 'not-exercised')
    return { ...base, status: 'not-exercised', ...found, ...(e.why ? { detail: e.why } : {}) };
  if (e.kind === 'silent') {
    if (s) {
      return {
        ...base,
        status: 'unexpected',
        ...found,
        detail: 'raised a finding on the canary, whose calls its pattern must not match (a false positive)',
      };
    }
    return { ...base, status: 'silent' };
  }
  const call = e.call!;
  if (s) {
    const at = callAt.get(call.eventName);
    return {
      ...base,
      status: 'fired',
      call: call.eventName,
      ...(at !== undefined ? { latencyMs: Math.max(0, s.firstSeen - at) } : {}),
      ...found,
      ...(s.workflowStatus === 'RESOLVED'
        ? {}
        : {
            detail: `finding ${s.workflowStatus ?? 'not closed'}: the workflow did not resolve it as a canary (was the SOC paged?)`,
          }),
    };
  }
  if (failure) return { ...base, status: 'unknown', call: call.eventName, detail: `not read: ${failure}` };
  if (!callAt.has(call.eventName)) {
    return {
      ...base,
      status: 'unknown',
      call: call.eventName,
      detail: `the canary never made its ${call.eventName} call`,
    };
  }
  const dx = await diagnose(aws, d, e.rule, call, userName, since);
  return {
    ...base,
    status: 'missing',
    call: call.eventName,
    ...(dx.stage ? { stage: dx.stage } : {}),
    detail: dx.detail,
  };
}

/** 0 every expected rule fired (and none unexpected), 1 some did not, 3 something could not be read. */
export function selftestExitCode(r: SelftestReport): number {
  if (r.status === 'unknown' || r.cleanup.status === 'failed') return 3;
  return r.status === 'pass' ? 0 : 1;
}

export { recordPath };
