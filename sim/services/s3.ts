/**
 * Amazon S3, minimal (REST-XML, path-style `http://<sim>/<bucket>/<key>`): CreateBucket,
 * PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2 (prefix, max-keys,
 * continuation-token, start-after), PutBucketVersioning / GetBucketVersioning. Enough for the
 * compliance workflow's result store and the pipeline's revocation records.
 *
 * - Versioning as AWS answers it: off until `PutBucketVersioning` (GetBucketVersioning then answers
 *   no Status); once `Enabled`, every PutObject keeps the previous object as a version and answers
 *   `x-amz-version-id`, GetObject/HeadObject answer the current version's id and read an older one
 *   with `?versionId=` (an unknown id: `NoSuchVersion`, 404), ListObjectsV2 lists current objects.
 *   `Suspended` writes the version `null` (the header says `null`). DeleteObject removes the
 *   current object (no delete markers).
 *
 * - A bucket belongs to the account that created it; other accounts get AccessDenied (no bucket
 *   policies). Bucket names are global, as in AWS.
 * - Objects are text (the server reads bodies as UTF-8): JSON, HTML, CSV. Not binary-safe.
 * - Errors are S3's XML `<Error><Code>…` with its status (NoSuchBucket, NoSuchKey 404, …), rendered
 *   by the server for every `rest-xml` module (`renderRestXmlError`).
 * - Presigned URLs work (the scope is read from `X-Amz-Credential`); signatures and expiry are
 *   not verified, as nowhere in the simulator.
 * - Object operations are data events: nothing is recorded in the simulated CloudTrail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { RawResponse, type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { xmlEscape } from '../protocols';

interface S3Object {
  body: string;
  contentType: string;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  /** Set once the bucket's versioning was enabled or suspended. */
  versionId?: string;
}

interface Bucket {
  name: string;
  account: string;
  region: string;
  createdAt: Date;
  objects: Map<string, S3Object>;
  versioning?: 'Enabled' | 'Suspended';
  /** Earlier versions per key, oldest first (versioned buckets). */
  versions: Map<string, S3Object[]>;
}

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function buckets(ctx: SimContext): Map<string, Bucket> {
  let map = ctx.scratch.get('s3:buckets') as Map<string, Bucket> | undefined;
  if (!map) {
    map = new Map();
    ctx.scratch.set('s3:buckets', map);
  }
  return map;
}

/** The buckets and objects the simulator holds (for tests). */
export function s3Buckets(ctx: SimContext): ReadonlyMap<string, Bucket> {
  return buckets(ctx);
}

function bucketOf(ctx: SimContext, req: SimRequest): Bucket {
  const name = req.pathParams.Bucket ?? '';
  const b = buckets(ctx).get(name);
  if (!b) throw new SimError('NoSuchBucket', 'The specified bucket does not exist', 404);
  if (b.account !== req.caller.account) throw new SimError('AccessDenied', 'Access Denied', 403);
  return b;
}

function keyOf(req: SimRequest): string {
  const key = req.pathParams.Key ?? '';
  if (key === '') throw new SimError('InvalidRequest', 'A key is required', 400);
  return key;
}

const xml = (body: string, status = 200) =>
  new RawResponse(status, `<?xml version="1.0" encoding="UTF-8"?>\n${body}`, {
    'content-type': 'application/xml',
  });

function objectHeaders(o: S3Object): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': o.contentType,
    etag: o.etag,
    'last-modified': o.lastModified.toUTCString(),
  };
  for (const [k, v] of Object.entries(o.metadata)) h[`x-amz-meta-${k}`] = v;
  if (o.versionId) h['x-amz-version-id'] = o.versionId;
  return h;
}

/** The current object, or the version `?versionId=` names. */
function objectOf(b: Bucket, req: SimRequest, missing: () => SimError): S3Object {
  const key = keyOf(req);
  const current = b.objects.get(key);
  const versionId = req.query.get('versionId');
  if (versionId === null) {
    if (!current) throw missing();
    return current;
  }
  const found = [current, ...(b.versions.get(key) ?? [])].find((o) => o?.versionId === versionId);
  if (!found) throw new SimError('NoSuchVersion', 'The specified version does not exist.', 404);
  return found;
}

function putBucketVersioning(ctx: SimContext, req: SimRequest): RawResponse {
  const b = bucketOf(ctx, req);
  const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(req.rawBody)?.[1];
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new SimError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    );
  }
  b.versioning = status;
  return new RawResponse(200, '');
}

function getBucketVersioning(ctx: SimContext, req: SimRequest): RawResponse {
  const b = bucketOf(ctx, req);
  return xml(
    `<VersioningConfiguration xmlns="${NS}">${b.versioning ? `<Status>${b.versioning}</Status>` : ''}</VersioningConfiguration>`,
  );
}

function createBucket(ctx: SimContext, req: SimRequest): RawResponse {
  const name = req.pathParams.Bucket ?? '';
  if (!BUCKET_RE.test(name))
    throw new SimError('InvalidBucketName', 'The specified bucket is not valid.', 400);
  const all = buckets(ctx);
  const existing = all.get(name);
  if (existing) {
    if (existing.account === req.caller.account) {
      throw new SimError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
      );
    }
    throw new SimError('BucketAlreadyExists', 'The requested bucket name is not available.', 409);
  }
  all.set(name, {
    name,
    account: req.caller.account,
    region: req.region,
    createdAt: ctx.now(),
    objects: new Map(),
    versions: new Map(),
  });
  return new RawResponse(200, '', { location: `/${name}` });
}

function putObject(ctx: SimContext, req: SimRequest): RawResponse {
  const b = bucketOf(ctx, req);
  const key = keyOf(req);
  const metadata: Record<string, string> = {};
  for (const [h, v] of Object.entries(req.headers)) {
    if (h.startsWith('x-amz-meta-') && typeof v === 'string') metadata[h.slice('x-amz-meta-'.length)] = v;
  }
  const etag = `"${createHash('md5').update(req.rawBody).digest('hex')}"`;
  const versionId =
    b.versioning === 'Enabled' ? randomBytes(24).toString('base64url') : b.versioning ? 'null' : undefined;
  const previous = b.objects.get(key);
  // Enabled keeps every earlier version; Suspended replaces the `null` version only.
  if (previous?.versionId && previous.versionId !== 'null' && b.versioning) {
    b.versions.set(key, [...(b.versions.get(key) ?? []), previous]);
  }
  b.objects.set(key, {
    body: req.rawBody,
    contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
    etag,
    lastModified: ctx.now(),
    metadata,
    ...(versionId ? { versionId } : {}),
  });
  return new RawResponse(200, '', { etag, ...(versionId ? { 'x-amz-version-id': versionId } : {}) });
}

function getObject(ctx: SimContext, req: SimRequest): RawResponse {
  const o = objectOf(
    bucketOf(ctx, req),
    req,
    () => new SimError('NoSuchKey', 'The specified key does not exist.', 404),
  );
  return new RawResponse(200, o.body, objectHeaders(o));
}

function headObject(ctx: SimContext, req: SimRequest): RawResponse {
  const o = objectOf(bucketOf(ctx, req), req, () => new SimError('NotFound', 'Not Found', 404));
  return new RawResponse(200, '', objectHeaders(o));
}

function deleteObject(ctx: SimContext, req: SimRequest): RawResponse {
  const b = bucketOf(ctx, req);
  b.objects.delete(keyOf(req));
  return new RawResponse(204, '');
}

function listObjectsV2(ctx: SimContext, req: SimRequest): RawResponse {
  const b = bucketOf(ctx, req);
  if (req.query.get('list-type') !== '2') {
    throw new SimError('NotImplemented', 'bks-sim implements ListObjectsV2 (list-type=2) only', 501);
  }
  const prefix = req.query.get('prefix') ?? '';
  const maxKeys = Math.min(1000, Math.max(0, Number(req.query.get('max-keys') ?? 1000) || 0));
  const token = req.query.get('continuation-token');
  const startAfter = token
    ? Buffer.from(token, 'base64url').toString('utf8')
    : (req.query.get('start-after') ?? '');
  const keys = [...b.objects.keys()].filter((k) => k.startsWith(prefix) && k > startAfter).sort();
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const contents = page
    .map((k) => {
      const o = b.objects.get(k) as S3Object;
      return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${Buffer.byteLength(o.body)}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  const last = page[page.length - 1];
  return xml(
    `<ListBucketResult xmlns="${NS}"><Name>${xmlEscape(b.name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (token ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '') +
      (truncated && last
        ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>`
        : '') +
      `${contents}</ListBucketResult>`,
  );
}

export const s3: ServiceModule = {
  service: 's3',
  protocol: 'rest-xml',
  throttlingCode: 'SlowDown',
  eventSource: 's3.amazonaws.com',
  actions: {
    CreateBucket: createBucket,
    PutObject: putObject,
    GetObject: getObject,
    HeadObject: headObject,
    DeleteObject: deleteObject,
    ListObjectsV2: listObjectsV2,
    PutBucketVersioning: putBucketVersioning,
    GetBucketVersioning: getBucketVersioning,
  },
  route(method, path, query): { action: string; pathParams: Record<string, string> } | undefined {
    const m = /^\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (!m) return undefined;
    const bucket = decodeURIComponent(m[1] ?? '');
    const rawKey = m[2];
    if (rawKey === undefined || rawKey === '') {
      if (query.has('versioning')) {
        const action = { PUT: 'PutBucketVersioning', GET: 'GetBucketVersioning' }[method];
        return action ? { action, pathParams: { Bucket: bucket } } : undefined;
      }
      if (method === 'PUT') return { action: 'CreateBucket', pathParams: { Bucket: bucket } };
      if (method === 'GET') return { action: 'ListObjectsV2', pathParams: { Bucket: bucket } };
      return undefined;
    }
    const key = rawKey.split('/').map(decodeURIComponent).join('/');
    const action = { PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method];
    return action ? { action, pathParams: { Bucket: bucket, Key: key } } : undefined;
  },
};
