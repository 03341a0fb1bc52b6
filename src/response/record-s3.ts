/**
 * Revocation records in S3: where the pipeline's revoke function keeps its plan-then-act record
 * (the bucket named by `BKS_RECORD_BUCKET`: versioned, KMS-encrypted), and how `bks restore` finds
 * one again by its URI, by Security Hub finding id or by workflow execution name.
 *
 * Keys:
 * - `records/execution/<execution name>/<record file>.json`: the record, rewritten after every step
 *   (the bucket's versioning keeps each state: planned, running, each step, the end);
 * - `records/finding/<sha256 of the finding id>/<execution name>`: an index entry written before the
 *   first record of an execution, so that a finding leads to the executions that acted on it.
 *
 * Reading fails closed: a missing bucket, key or record is bad input (exit 2, one line); an S3
 * error (access denied, KMS, throttling) is an AWS failure (exit 3, one line). More than one record
 * for a finding or an execution is never guessed between: the user is shown each URI.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { AwsContext } from '../aws';
import { errorCode } from '../aws/errors';
import { AwsFailure, describeError, UsageError } from '../errors';
import type { RecordDestination } from './record';

export const RECORD_PREFIX = 'records/';
const INDEX_SCHEMA = 'bks.record-index/v1';
/** Step Functions execution names: 1 to 80 of these characters (no `/`, so one key segment). */
const EXECUTION_NAME = /^[\w-]{1,80}$/;

/** An S3 client of this context (path-style against a custom endpoint such as bks-sim). */
export function recordS3Client(aws: AwsContext): S3Client {
  return aws.client('s3', S3Client, aws.region, {
    followRegionRedirects: true,
    ...(aws.endpointUrl ? { forcePathStyle: true } : {}),
  });
}

export function executionPrefix(execution: string): string {
  return `${RECORD_PREFIX}execution/${execution}/`;
}

export function findingPrefix(findingId: string): string {
  return `${RECORD_PREFIX}finding/${createHash('sha256').update(findingId).digest('hex')}/`;
}

/** An execution name, or the name at the end of an execution ARN; anything else is refused (exit 2). */
export function executionName(text: string): string {
  const name = text.startsWith('arn:') ? (text.split(':').pop() ?? '') : text;
  if (!EXECUTION_NAME.test(name)) {
    throw new UsageError(
      (names) =>
        `${names('execution')}: not a Step Functions execution name or ARN (1 to 80 letters, digits, - and _)`,
    );
  }
  return name;
}

export interface S3Location {
  bucket: string;
  key: string;
}

export function s3Uri(l: S3Location): string {
  return `s3://${l.bucket}/${l.key}`;
}

/** `s3://BUCKET/KEY`; anything else is bad input. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!m) throw new UsageError(`${uri.slice(0, 200)}: not an S3 URI of a record (s3://BUCKET/KEY)`);
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * Where the revoke function writes: one prefix per execution, and the finding's index entry
 * before the first record (so a record is never stored that its finding cannot lead to).
 */
export function s3RecordDestination(
  s3: S3Client,
  bucket: string,
  run: { execution: string; findingId?: string },
): RecordDestination {
  const execution = executionName(run.execution);
  let indexed = !run.findingId;
  return {
    locate: (fileName) => s3Uri({ bucket, key: `${executionPrefix(execution)}${fileName}` }),
    async write(location, text) {
      if (!indexed && run.findingId) {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${findingPrefix(run.findingId)}${execution}`,
            Body: JSON.stringify({ schema: INDEX_SCHEMA, findingId: run.findingId, execution }),
            ContentType: 'application/json',
          }),
        );
        indexed = true;
      }
      // Encryption: the bucket's default (SSE-KMS with its own key). Naming `aws:kms` here without
      // the key id would select the AWS managed key instead.
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: parseS3Uri(location).key,
          Body: text,
          ContentType: 'application/json',
        }),
      );
    },
  };
}

/** NoSuchKey / NoSuchBucket: the user named something that is not there (exit 2). */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NoSuchKey' || code === 'NoSuchBucket' || code === 'NotFound';
}

function failure(what: string, err: unknown): Error {
  if (isMissing(err)) return new UsageError(`${what}: ${errorCode(err)} (no such record)`);
  return new AwsFailure(`${what}: could not be read (${describeError(err)})`);
}

/** A record read from S3: its parsed JSON and the exact version read. */
export interface S3Document {
  doc: unknown;
  /** `s3://BUCKET/KEY` with `?versionId=…` when the bucket is versioned. */
  location: string;
}

export async function readS3Document(s3: S3Client, uri: string): Promise<S3Document> {
  const l = parseS3Uri(uri);
  let text: string;
  let versionId: string | undefined;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: l.bucket, Key: l.key }));
    text = (await out.Body?.transformToString('utf8')) ?? '';
    versionId = out.VersionId && out.VersionId !== 'null' ? out.VersionId : undefined;
  } catch (err) {
    throw failure(uri, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`${uri}: not a JSON record`);
  }
  return { doc, location: versionId ? `${uri}?versionId=${encodeURIComponent(versionId)}` : uri };
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    }
  } catch (err) {
    throw failure(`s3://${bucket}/${prefix}`, err);
  }
  return keys.sort();
}

/**
 * The one record a finding or an execution leads to. None, or more than one (a revocation retried
 * by the workflow writes one record per attempt; an incident re-opened later, one per execution),
 * is refused with exit 2, naming each record found so the user picks.
 */
export async function findS3Record(
  s3: S3Client,
  bucket: string,
  by: { findingId: string } | { execution: string },
): Promise<string> {
  let executions: string[];
  let what: string;
  if ('findingId' in by) {
    what = `finding ${by.findingId}`;
    const prefix = findingPrefix(by.findingId);
    executions = (await listKeys(s3, bucket, prefix)).map((k) => k.slice(prefix.length));
  } else {
    executions = [executionName(by.execution)];
    what = `execution ${executions[0]}`;
  }
  const records: string[] = [];
  for (const e of executions) {
    if (!EXECUTION_NAME.test(e)) continue;
    for (const key of await listKeys(s3, bucket, executionPrefix(e))) {
      if (key.endsWith('.json')) records.push(s3Uri({ bucket, key }));
    }
  }
  if (records.length === 0) {
    throw new UsageError(`no record of ${what} in s3://${bucket}/${RECORD_PREFIX}`);
  }
  if (records.length > 1) {
    throw new UsageError(
      `${records.length} records of ${what}: restore each, newest first (${records.reverse().join(' ')})`,
    );
  }
  return records[0]!;
}
