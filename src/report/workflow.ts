/**
 * The scheduled compliance report's three steps, as plain functions the Lambda handlers call
 * (`handlers/compliance-*.ts`) and the tests drive against bks-sim:
 *
 *   1. `listAccountsStep`  Organizations → `runs/<runId>/accounts.json` (the Distributed Map's
 *                          ItemReader source: a JSON array of `{accountId, name}`)
 *   2. `scanAccountStep`   one account (AssumeRole with the org role) → `runs/<runId>/accounts/<id>.json`
 *                          (an `AccountScan`; a refused AssumeRole is written as an error account,
 *                          so the report names it instead of the map losing it)
 *   3. `aggregateStep`     every account result (missing ones = failed map items) + the previous
 *                          report → `reports/<date>/<runId>/report.{json,html}`, `latest/report.json`;
 *                          SNS summary with a presigned, short-lived link; Security Hub upsert/archive.
 *
 * Storage is S3 behind `ReportStore` (one implementation, over the wire in the tests via bks-sim).
 */
import {
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  type AwsContext,
  describeAwsError,
  listOrgAccounts,
  mapLimit,
  runInAccount,
  selectAccounts,
} from '../aws';
import { collectAccount } from '../inventory/collect';
import type { AccountScan } from '../inventory/types';
import { type ServiceId, selectServices } from '../services';
import {
  buildComplianceReport,
  type ComplianceReport,
  parseComplianceReport,
  summaryText,
} from './compliance';
import { type SyncResult, syncPostureFindings } from './findings';
import { renderComplianceHtml } from './render-html';

/** Presigned links live this long by default (seconds); at most `MAX_LINK_TTL`. */
export const DEFAULT_LINK_TTL = 3600;
/** 12 h: a URL signed with the Lambda's session credentials dies with them anyway. */
export const MAX_LINK_TTL = 43_200;
export const LATEST_KEY = 'latest/report.json';

export interface ReportStore {
  readonly bucket: string;
  put(key: string, body: string, contentType: string): Promise<void>;
  /** The object's text, or undefined when it does not exist. */
  get(key: string): Promise<string | undefined>;
  list(prefix: string): Promise<string[]>;
  /** A GET link signed at `signedAt` (second precision, as X-Amz-Date carries it) that lives `seconds`. */
  presign(key: string, seconds: number, signedAt: Date): Promise<string>;
}

export function s3Store(aws: AwsContext, bucket: string): ReportStore {
  // Path-style when an endpoint is overridden (bks-sim, LocalStack); virtual-hosted on AWS.
  const client = aws.client('s3', S3Client, aws.region, aws.endpointUrl ? { forcePathStyle: true } : {});
  return {
    bucket,
    async put(key, body, contentType) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
      );
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString('utf8');
      } catch (err) {
        if ((err as S3ServiceException).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
        for (const c of page.Contents ?? []) if (c.Key) keys.push(c.Key);
      }
      return keys;
    },
    presign(key, seconds, signedAt) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: seconds,
        signingDate: signedAt,
      });
    },
  };
}

const RUN_ID = /^[\w.-]{1,80}$/;
export function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId))
    throw new Error(`runId must match ${RUN_ID} (got ${JSON.stringify(runId)})`);
  return runId;
}
const checkAccount = (id: unknown): string => {
  if (typeof id !== 'string' || !/^\d{12}$/.test(id))
    throw new Error(`accountId must be 12 digits (got ${JSON.stringify(id)})`);
  return id;
};

export const accountsKey = (runId: string) => `runs/${runId}/accounts.json`;
export const resultKey = (runId: string, accountId: string) => `runs/${runId}/accounts/${accountId}.json`;

export interface ListAccountsInput {
  runId: string;
  include?: readonly string[];
  skip?: readonly string[];
}

export async function listAccountsStep(
  aws: AwsContext,
  store: ReportStore,
  input: ListAccountsInput,
): Promise<{ runId: string; bucket: string; accountsKey: string; accounts: number }> {
  const runId = checkRunId(input.runId);
  const selected = selectAccounts(await listOrgAccounts(aws), { include: input.include, skip: input.skip });
  // `name` always present (empty when unknown): the map's ItemSelector reads it by path.
  const items = selected.map((a) => ({ accountId: a.id, name: a.name ?? '' }));
  await store.put(accountsKey(runId), JSON.stringify(items), 'application/json');
  return { runId, bucket: store.bucket, accountsKey: accountsKey(runId), accounts: items.length };
}

export interface ScanAccountInput {
  runId: string;
  accountId: string;
  name?: string;
  orgRole: string;
  externalId?: string;
  services: ServiceId[] | 'all';
  maxAgeDays?: number;
  now?: Date;
}

/** One account of the map: never throws for an account-level failure (it is written as one). */
export async function scanAccountStep(
  aws: AwsContext,
  store: ReportStore,
  input: ScanAccountInput,
): Promise<{ accountId: string; status: 'ok' | 'error'; users: number }> {
  const runId = checkRunId(input.runId);
  const accountId = checkAccount(input.accountId);
  const services =
    input.services === 'all' ? selectServices('all') : input.services.flatMap((s) => selectServices(s));
  const result = await scanOne(aws, accountId, input, services);
  if (input.name && !result.name) result.name = input.name;
  await store.put(resultKey(runId, accountId), JSON.stringify(result), 'application/json');
  return { accountId, status: result.status, users: result.users.length };
}

async function scanOne(
  aws: AwsContext,
  accountId: string,
  input: ScanAccountInput,
  services: ReturnType<typeof selectServices>,
): Promise<AccountScan> {
  const self = (await aws.identity()).accountId;
  const outcome = await runInAccount(
    aws,
    self,
    accountId,
    (ctx) => collectAccount(ctx, { services, accountId, maxAgeDays: input.maxAgeDays, now: input.now }),
    { role: input.orgRole, externalId: input.externalId, command: 'compliance' },
  );
  return outcome.ok ? outcome.value : { accountId, status: 'error', error: outcome.error, users: [] };
}

/** How the workflow's Distributed Map failed, as its Catch recorded it (`$.mapError`). */
export interface MapFailure {
  Error?: string;
  Cause?: string;
}

/** What a failed map means for the report: which step, the error, and what the report is missing. */
export function mapFailureNote(f: MapFailure): { step: string; error: string; effect: string } {
  const error = `${f.Error ?? 'States.TaskFailed'}${f.Cause ? `: ${f.Cause.split('\n')[0]!.slice(0, 300)}` : ''}`;
  switch (f.Error) {
    case 'States.ItemReaderFailed':
      return {
        step: 'ScanAccounts (ItemReader)',
        error,
        effect: 'the account list could not be read: no account was scanned in this run',
      };
    case 'States.ResultWriterFailed':
      return {
        step: 'ScanAccounts (ResultWriter)',
        error,
        effect:
          "the map run's result manifest could not be written; the per-account results were read from their own objects",
      };
    case 'States.ExceedToleratedFailureThreshold':
      return {
        step: 'ScanAccounts',
        error,
        effect: 'more accounts failed than tolerated: the accounts without a result are listed as failed',
      };
    default:
      return {
        step: 'ScanAccounts',
        error,
        effect: 'the scan did not complete: accounts without a result are listed as failed',
      };
  }
}

export interface AggregateInput {
  runId: string;
  /** The map's failure, when its Catch led here: the report says what failed. */
  mapFailure?: MapFailure;
  services: ServiceId[] | 'all';
  maxAgeDays?: number;
  /** SNS topic for the summary; none = no notification. */
  topicArn?: string;
  linkTtlSeconds?: number;
  securityHub?: boolean;
  now?: Date;
  /** Accounts read at once from S3. */
  concurrency?: number;
}

export interface AggregateOutput {
  runId: string;
  generatedAt: string;
  jsonKey: string;
  htmlKey: string;
  link: string;
  linkExpiresAt: string;
  summary: string;
  accounts: number;
  accountsFailed: number;
  findings: number;
  trend: { new: number; resolved: number; unchanged: number; unverified: number } | null;
  securityHub?: Omit<SyncResult, 'failed'> & { failed: number };
  securityHubError?: string;
  notified: boolean;
}

/**
 * Every listed account's scan result from its own object; an account without one is failed with the
 * reason (the map item failed, or the whole map did). With the map failed, an unreadable list yields
 * no account rather than an error, and the caller says so.
 */
async function readAccountScans(
  store: ReportStore,
  runId: string,
  failure: ReturnType<typeof mapFailureNote> | undefined,
  concurrency: number,
): Promise<{ accounts: AccountScan[]; listed: string | undefined }> {
  const listed = await store.get(accountsKey(runId));
  // With the map failed, an unreadable list still yields a report, one that says nothing was scanned.
  if (listed === undefined && !failure)
    throw new Error(`no account list at s3://${store.bucket}/${accountsKey(runId)}`);
  const items = listed === undefined ? [] : (JSON.parse(listed) as { accountId: string; name?: string }[]);
  const missing = failure
    ? `no result: ${failure.step} failed (${failure.error})`
    : 'no result: the map item for this account failed (see the map run)';
  const accounts = await mapLimit(items, concurrency, async (item): Promise<AccountScan> => {
    const text = await store.get(resultKey(runId, item.accountId));
    if (text === undefined) {
      return {
        accountId: item.accountId,
        ...(item.name ? { name: item.name } : {}),
        status: 'error',
        error: missing,
        users: [],
      };
    }
    return JSON.parse(text) as AccountScan;
  });
  return { accounts, listed };
}

export async function aggregateStep(
  aws: AwsContext,
  store: ReportStore,
  input: AggregateInput,
): Promise<AggregateOutput> {
  const runId = checkRunId(input.runId);
  const now = input.now ?? new Date();
  const ttl = Math.min(Math.max(input.linkTtlSeconds ?? DEFAULT_LINK_TTL, 60), MAX_LINK_TTL);
  const failure = input.mapFailure ? mapFailureNote(input.mapFailure) : undefined;
  const { accounts, listed } = await readAccountScans(store, runId, failure, input.concurrency ?? 16);
  const previousText = await store.get(LATEST_KEY);
  let previous: ComplianceReport | undefined;
  if (previousText !== undefined) {
    try {
      previous = parseComplianceReport(previousText, `s3://${store.bucket}/${LATEST_KEY}`);
    } catch {
      previous = undefined; // an unreadable previous report loses the trend, not the report
    }
  }
  const services = input.services === 'all' ? selectServices('all').map((s) => s.id) : input.services;
  const report = buildComplianceReport(
    { generatedAt: now.toISOString(), partition: aws.partition, services, accounts },
    {
      previous: previous && previous.generatedAt < now.toISOString() ? previous : undefined,
      maxAgeDays: input.maxAgeDays,
    },
  );
  if (failure) {
    report.workflowErrors = [
      listed === undefined
        ? {
            ...failure,
            effect: `${failure.effect}; the account list itself is unreadable, so no account is listed`,
          }
        : failure,
    ];
  }
  const base = `reports/${report.generatedAt.slice(0, 10)}/${runId}`;
  const json = JSON.stringify(report, null, 2);
  await store.put(`${base}/report.json`, json, 'application/json');
  await store.put(`${base}/report.html`, renderComplianceHtml(report), 'text/html; charset=utf-8');
  await store.put(LATEST_KEY, json, 'application/json');
  // The expiry printed is the link's own: signed now (whole seconds), not when the run started.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const link = await store.presign(`${base}/report.html`, ttl, signedAt);
  const linkExpiresAt = new Date(signedAt.getTime() + ttl * 1000).toISOString();
  const summary = summaryText(report);

  // Security Hub is best effort: a refusal (not enabled, no permission) must not lose the notice.
  let securityHub: AggregateOutput['securityHub'];
  let securityHubError: string | undefined;
  if (input.securityHub) {
    try {
      const account = (await aws.identity()).accountId;
      const where = { account, region: aws.region, partition: aws.partition };
      const r = await syncPostureFindings(aws, report, where);
      securityHub = { imported: r.imported, archived: r.archived, calls: r.calls, failed: r.failed.length };
    } catch (err) {
      securityHubError = describeAwsError(err);
    }
  }
  let notified = false;
  if (input.topicArn) {
    const sns = aws.client('sns', SNSClient);
    await sns.send(
      new PublishCommand({
        TopicArn: input.topicArn,
        Subject:
          `bks compliance: ${report.totals.findings} findings, ${report.totals.accountsFailed} accounts failed`.slice(
            0,
            100,
          ),
        Message:
          `${summary}\n\nReport (link valid until ${linkExpiresAt}): ${link}\nJSON: s3://${store.bucket}/${base}/report.json` +
          (securityHubError ? `\nSecurity Hub findings were not updated: ${securityHubError}` : ''),
      }),
    );
    notified = true;
  }
  return {
    runId,
    generatedAt: report.generatedAt,
    jsonKey: `${base}/report.json`,
    htmlKey: `${base}/report.html`,
    link,
    linkExpiresAt,
    summary,
    accounts: report.totals.accounts,
    accountsFailed: report.totals.accountsFailed,
    findings: report.totals.findings,
    trend: report.trend
      ? {
          new: report.trend.new.length,
          resolved: report.trend.resolved.length,
          unchanged: report.trend.unchanged.length,
          unverified: report.trend.unverified.length,
        }
      : null,
    ...(securityHub ? { securityHub } : {}),
    ...(securityHubError ? { securityHubError } : {}),
    notified,
  };
}
