/**
 * The pipeline's revocation records are durable: the revoke function writes its plan-then-act
 * record to the record bucket (BKS_RECORD_BUCKET, versioned) under the execution's name, indexed by
 * the finding id, and `bks restore` finds it by URI, by execution or by finding — over real HTTP
 * against bks-sim's S3 with the real SDK. Every way a record cannot be read ends in one line and
 * exit 2 (nothing there) or 3 (S3 failed), with nothing changed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findingPrefix } from '../../src/response/record-s3';
import { bks } from '../cli/bks-runner';
import { envelope, record } from './fixtures';
import { Harness } from './workflow-harness';

const created = (eventID?: string) => {
  const detail = record('console-create-bedrock-api-key');
  return {
    ruleId: 'BKS-004-BEDROCK',
    severity: 'HIGH',
    event: envelope(eventID ? { ...detail, eventID } : detail),
  };
};
const approve = { via: 'link', decision: 'approve', by: 'alice', reason: 'leaked' } as const;

describe('revocation records in S3 and bks restore', () => {
  let h: Harness;
  let s3: S3Client;
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bks-restore-s3-'));
    h = new Harness();
    await h.start();
    s3 = new S3Client({ forcePathStyle: true });
  }, 60_000);
  afterEach(async () => {
    s3.destroy();
    await h.stop();
  });

  const restore = (...args: string[]) =>
    bks(['restore', ...args, '-y', '-o', 'json', '--record-dir', dir, '--endpoint-url', h.sim.url]);
  const execName = (arn: string) => arn.split(':').pop() as string;

  it('the revoke step writes its record to the bucket; restore finds it by execution, finding and URI', async () => {
    const run = await h.run(created(), { analyst: approve });
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    expect(await h.credentialStatus()).toBe('Inactive');
    const records = run.output?.revocation?.records as string[];
    const exec = execName(run.executionArn);
    expect(records).toEqual([
      expect.stringMatching(
        new RegExp(
          `^s3://${h.recordBucket}/records/execution/${exec}/revoke-key-.*BedrockAPIKey-q7xk.*\\.json$`,
        ),
      ),
    ]);
    const key = records[0]!.slice(`s3://${h.recordBucket}/`.length);
    const stored = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: h.recordBucket, Key: key }))
      ).Body!.transformToString(),
    );
    expect(stored).toMatchObject({ schema: 'bks.record/v1', state: 'completed', accountId: h.account });
    expect(stored.steps.map((s: { status: string }) => s.status)).toEqual(['done']);
    // The finding leads to the execution; the closing note says how to undo.
    const findingId = String(run.output?.finding?.id);
    const index = await s3.send(
      new GetObjectCommand({ Bucket: h.recordBucket, Key: `${findingPrefix(findingId)}${exec}` }),
    );
    expect(JSON.parse(await index.Body!.transformToString())).toMatchObject({ findingId, execution: exec });
    const finding = (await h.findings())[0]!;
    expect(String(finding.Note?.Text)).toContain(`Undo: bks restore ${records[0]}`);

    const r1 = await restore('--execution', run.executionArn, '--record-bucket', h.recordBucket);
    expect(r1.stderr).toMatch(/Plan \(restore, account 123456789012\): 1 call/);
    expect(r1.code).toBe(0);
    expect(JSON.parse(r1.stdout)).toMatchObject({ kind: 'revoke-key', outcome: 'completed' });
    expect(JSON.parse(r1.stdout).source).toMatch(/^s3:\/\/.*\?versionId=/);
    expect(await h.credentialStatus()).toBe('Active');
    expect(await h.bearerCall()).toBe(200);

    const r2 = await restore('--finding', findingId, '--record-bucket', h.recordBucket);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout).outcome).toBe('nothing-to-do');
    const r3 = await restore(records[0]!);
    expect(r3.code).toBe(0);
    expect(JSON.parse(r3.stdout).outcome).toBe('nothing-to-do');

    // A second incident on the same key: two records lead from the finding; restore never guesses.
    const again = await h.run(created('second-event-0001'), { analyst: approve });
    expect(again.output?.outcome).toEqual({ stage: 'revoked' });
    const second = ((again.output?.revocation?.records ?? []) as string[])[0]!;
    const r4 = await restore('--finding', findingId, '--record-bucket', h.recordBucket);
    expect(r4.code).toBe(2);
    expect(r4.stderr.trim().split('\n')).toHaveLength(1);
    expect(r4.stderr).toContain(`2 records of finding ${findingId}`);
    expect(r4.stderr.indexOf(second)).toBeLessThan(r4.stderr.indexOf(records[0]!));
    expect(await h.credentialStatus()).toBe('Inactive');
    const r5 = await restore(second);
    expect(r5.code).toBe(0);
    expect(await h.credentialStatus()).toBe('Active');
  }, 120_000);

  it('fails closed: a missing, unreadable or ambiguous record is one line, exit 2 or 3, nothing changed', async () => {
    const run = await h.run(created(), { analyst: approve });
    const uri = ((run.output?.revocation?.records ?? []) as string[])[0]!;
    const oneLine = (r: { stderr: string }) => expect(r.stderr.trim().split('\n')).toHaveLength(1);

    const missingExec = await restore('--execution', 'no-such-run', '--record-bucket', h.recordBucket);
    expect(missingExec.code).toBe(2);
    expect(missingExec.stderr).toMatch(/no record of execution no-such-run/);
    oneLine(missingExec);
    const missingKey = await restore(`s3://${h.recordBucket}/records/execution/x/missing.json`);
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toMatch(/NoSuchKey/);
    oneLine(missingKey);
    const missingBucket = await restore('s3://no-such-bucket-bks/records/x.json');
    expect(missingBucket.code).toBe(2);
    oneLine(missingBucket);
    const badName = await restore('--execution', 'a/b', '--record-bucket', h.recordBucket);
    expect(badName.code).toBe(2);
    oneLine(badName);
    const both = await restore(uri, '--execution', 'x');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of/);
    const bucketEnv = process.env['BKS_RECORD_BUCKET'];
    delete process.env['BKS_RECORD_BUCKET'];
    const noBucket = await restore('--finding', 'f-1');
    process.env['BKS_RECORD_BUCKET'] = bucketEnv;
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(/--record-bucket NAME or BKS_RECORD_BUCKET/);
    const notUri = await restore('s3://UPPER/x');
    expect(notUri.code).toBe(2);

    // S3 refuses the read (a missing grant, a KMS key policy): an AWS failure, exit 3.
    await h.setFaults([{ action: 's3:GetObject', error: 'AccessDenied', message: 'kms:Decrypt denied' }]);
    const denied = await restore(uri);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/could not be read \(AccessDenied/);
    oneLine(denied);
    await h.setFaults([]);
    expect(await h.credentialStatus()).toBe('Inactive');
  }, 120_000);

  it('the revoke function does not act when its record cannot be stored', async () => {
    await h.setFaults([
      { action: 's3:PutObject', error: 'AccessDenied', message: 'kms:GenerateDataKey denied' },
    ]);
    const run = await h.run(created(), { analyst: approve });
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/manual action/i);
    expect(await h.credentialStatus()).toBe('Active');
    expect(String((await h.findings())[0]?.Note?.Text)).toMatch(
      /MANUAL ACTION REQUIRED.*kms:GenerateDataKey/,
    );
  }, 120_000);
});
