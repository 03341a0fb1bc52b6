/**
 * The compliance workflow's map failing in the ways Step Functions reports (its Catch sends
 * `States.ItemReaderFailed`, `States.ResultWriterFailed` and `States.ExceedToleratedFailureThreshold`
 * to Aggregate with the state): the aggregate handler, run against bks-sim over the wire, still
 * writes the report and notifies, and both say what failed and what the report is missing — never a
 * report that looks complete.
 */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../sim/generate';
import { type SimHandle, startSim } from '../../sim/server';
import { snsMessages } from '../../sim/services/sns';
import type { ComplianceReport } from '../../src/report/compliance';
import { renderComplianceHtml } from '../../src/report/render-html';
import { type VirtualTime, virtualTime } from '../helpers/virtual-time';

const BUCKET = 'bks-compliance-reports';
let sim: SimHandle;
let time: VirtualTime | undefined;
let env: NodeJS.ProcessEnv;
let s3: S3Client;
let topic: string;
type Handler<I, O> = (e: I) => Promise<O>;
let list: Handler<{ runId: string }, { accountsKey: string; accounts: number }>;
let scan: Handler<{ runId: string; accountId: string; name?: string }, { status: string }>;
let aggregate: Handler<
  { runId: string; workflow?: { mapError?: { Error: string; Cause: string } } },
  { jsonKey: string; accounts: number; accountsFailed: number; summary: string }
>;

beforeAll(async () => {
  const scenario = generateScenario({
    accounts: 3,
    users: 1,
    phantoms: 1,
    seed: 4,
    now: new Date().toISOString(),
  });
  // Credential report polls and rate-limit pacing on virtual time (test/helpers/virtual-time.ts).
  time = virtualTime();
  sim = await startSim({ scenario, waitClock: time.waitClock });
  const principal = scenario.principals![0]!;
  topic = `arn:aws:sns:us-east-1:${scenario.accounts[0]!.id}:bks-compliance`;
  env = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: principal.accessKeyId,
    AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: sim.url,
    REPORT_BUCKET: BUCKET,
    TOPIC_ARN: topic,
    ORG_ROLE: 'OrganizationAccountAccessRole',
    LINK_TTL_SECONDS: '900',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  s3 = new S3Client({
    endpoint: sim.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey ?? '' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  list = (await import('../../handlers/compliance-list-accounts')).handler;
  scan = (await import('../../handlers/compliance-scan-account')).handler;
  aggregate = (await import('../../handlers/compliance-aggregate')).handler as never;
});

afterAll(async () => {
  time?.restore();
  process.env = env;
  s3?.destroy();
  await sim?.close();
});

async function report(key: string): Promise<ComplianceReport> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse((await out.Body?.transformToString()) ?? '') as ComplianceReport;
}

const lastNotice = () =>
  snsMessages(sim.ctx)
    .filter((m) => m.topicArn === topic)
    .at(-1)!;

describe('compliance map failures end in a report that says what failed', () => {
  it('ItemReader failed: nothing was scanned, every listed account is failed with the reason, the notice says INCOMPLETE', async () => {
    const runId = 'run-itemreader';
    const listed = await list({ runId });
    const out = await aggregate({
      runId,
      workflow: {
        mapError: {
          Error: 'States.ItemReaderFailed',
          Cause: 'Access Denied (Service: S3, Status Code: 403)',
        },
      },
    });
    const r = await report(out.jsonKey);
    expect(r.workflowErrors).toEqual([
      {
        step: 'ScanAccounts (ItemReader)',
        error: 'States.ItemReaderFailed: Access Denied (Service: S3, Status Code: 403)',
        effect: 'the account list could not be read: no account was scanned in this run',
      },
    ]);
    expect(r.failedAccounts).toHaveLength(listed.accounts);
    for (const f of r.failedAccounts) expect(f.error).toContain('ScanAccounts (ItemReader) failed');
    expect(out.summary).toContain('INCOMPLETE: ScanAccounts (ItemReader) failed');
    expect(lastNotice().message).toContain('INCOMPLETE: ScanAccounts (ItemReader) failed');
    expect(renderComplianceHtml(r)).toContain('Incomplete report: ScanAccounts (ItemReader) failed');
  });

  it('ItemReader failed and the account list itself is gone: a report with no account that says so (not a clean one)', async () => {
    const runId = 'run-nolist';
    const listed = await list({ runId });
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: listed.accountsKey }));
    const out = await aggregate({
      runId,
      workflow: {
        mapError: { Error: 'States.ItemReaderFailed', Cause: 'The specified key does not exist.' },
      },
    });
    const r = await report(out.jsonKey);
    expect(out.accounts).toBe(0);
    expect(r.workflowErrors?.[0]?.effect).toContain(
      'the account list itself is unreadable, so no account is listed',
    );
    // Without a map failure, a missing list is still an error, never an empty report.
    await expect(aggregate({ runId })).rejects.toThrow(/no account list/);
  });

  it('ResultWriter failed after every scan: the results are read from their own objects, the report says the manifest is missing', async () => {
    const runId = 'run-resultwriter';
    const listed = await list({ runId });
    const items = JSON.parse(
      (await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: listed.accountsKey }))
      ).Body?.transformToString()) ?? '[]',
    ) as { accountId: string; name?: string }[];
    for (const item of items) await scan({ runId, ...item });
    const out = await aggregate({
      runId,
      workflow: { mapError: { Error: 'States.ResultWriterFailed', Cause: 'Access Denied' } },
    });
    const r = await report(out.jsonKey);
    expect(out.accounts).toBe(items.length);
    expect(r.failedAccounts).toEqual([]);
    expect(r.workflowErrors?.[0]).toMatchObject({
      step: 'ScanAccounts (ResultWriter)',
      error: 'States.ResultWriterFailed: Access Denied',
    });
    expect(lastNotice().message).toContain('INCOMPLETE: ScanAccounts (ResultWriter) failed');
  });
});
