/**
 * Offline decoding of every key format of every key-bearing service (src/services.ts): long-term
 * keys (`ABSK…`, `AEAA…`: an IAM service-specific credential's alias and secret) and short-term
 * keys (`bedrock-api-key-…`, `aws-external-anthropic-api-key-…`: a presigned SigV4 URL).
 * Facts: Amazon Bedrock User Guide, "How Amazon Bedrock API keys work"; IAM User Guide, "API keys
 * for Amazon Bedrock"; AWS's token generators (`@aws/bedrock-token-generator`,
 * `aws-bedrock-token-generator`), which presign `CallWithBearerToken`. The formats come from the service table; there
 * is no per-service branch here.
 *
 * Failures are `KeyDecodeError`s with fixed one-line reasons: no part of the input ever appears in
 * a message, since any part of it may be secret.
 */
import { createHash } from 'node:crypto';
import { type KeyBearingService, SERVICES, type ServiceId } from '../services';
import { ACCESS_KEY_ID_PATTERN, type AccessKeyIdType, accountFromAccessKeyId } from './accountId';
import { BASE64_BYTE, decodeBase64 } from './base64';
import { KeyDecodeError, Rejected } from './errors';
import { PARTITIONS, partitionOfRegion } from './partition';

export { KeyDecodeError, Rejected } from './errors';

/** Longest short-term key validity the signers allow (`X-Amz-Expires` ≤ 12 h). */
export const MAX_SHORT_TERM_EXPIRES_SECONDS = 43_200;

/** IAM user names: `[\w+=,.@-]{1,64}`. */
export const IAM_USER_NAME_PATTERN: RegExp = /^[\w+=,.@-]{1,64}$/;

export interface LongTermKey {
  service: ServiceId;
  kind: 'long-term';
  /** The credential's `ServiceCredentialAlias` (`<user>[+N]-at-<account>`): matches IAM exactly. */
  alias: string;
  accountId: string;
  /** IAM user name, without the `+N` marker. */
  userName: string;
  /** 0 for the user's first credential, N for a `+N` alias. */
  credentialIndex: number;
  partition: string;
  /** ARN of the owning user, assuming the path `/` (the console's; the key does not carry the path). */
  userArn: string;
  /** True when the user name has the service's console ("phantom") user prefix. */
  consoleUserName: boolean;
  secretSha256: string;
  secretLength: number;
}

export interface ShortTermKey {
  service: ServiceId;
  kind: 'short-term';
  accountId: string;
  accessKeyId: string;
  accessKeyType: AccessKeyIdType;
  region: string;
  partition: string;
  signingService: string;
  issuedAt: string;
  expiresAt: string;
  expiresInSeconds: number;
  expired: boolean;
  /** True when the URL carries `X-Amz-Security-Token` (signed with temporary STS credentials). */
  hasSecurityToken: boolean;
  /** SHA-256 of the whole decoded token (the bearer secret is the token itself). */
  secretSha256: string;
}

export type DecodedKey = LongTermKey | ShortTermKey;

export interface DecodeOptions {
  /** The clock `expired` is computed against (default: now). */
  now?: Date;
  /** Partition for a long-term key's `userArn` (the key does not carry one; default `aws`). */
  partition?: string;
}

/** Hex SHA-256: the only safe way to refer to a secret in output. */
export function secretFingerprint(secret: string | Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex');
}

const QUOTES = new Set(['"', "'", '`']);

/**
 * Strips what commonly surrounds a pasted key: whitespace, matching quotes, `Authorization:`,
 * `Bearer `, `export AWS_BEARER_TOKEN_*=`, a trailing `;` or `,`.
 */
export function unwrapKeyText(text: string): string {
  let s = text.trim();
  for (let round = 0; round < 4; round++) {
    const before = s;
    s = s.replace(/[;,]$/, '').trim();
    if (s.length >= 2 && QUOTES.has(s[0]!) && s[s.length - 1] === s[0]) s = s.slice(1, -1).trim();
    s = s.replace(/^authorization\s*:\s*/i, '');
    s = s.replace(/^bearer\s+/i, '');
    s = s.replace(/^(?:export\s+)?AWS_BEARER_TOKEN_[A-Za-z0-9_]*\s*[=:]\s*/, '');
    s = s.trim();
    if (s === before) break;
  }
  return s;
}

function unwrap<T>(r: T | Rejected): T {
  if (r instanceof Rejected) throw new KeyDecodeError(r.reason);
  return r;
}

/** Decodes a key (see the module comment). Throws `KeyDecodeError`. */
export function decodeKey(text: string, opts: DecodeOptions = {}): DecodedKey {
  return unwrap(tryDecodeKey(text, opts));
}

/** `decodeKey` without exceptions: the key, or a `Rejected` with the reason. */
export function tryDecodeKey(text: string, opts: DecodeOptions = {}): DecodedKey | Rejected {
  if (typeof text !== 'string') return new Rejected('the key is not text');
  const key = unwrapKeyText(text);
  if (key.length === 0) return new Rejected('empty key');
  if (opts.partition !== undefined && !PARTITIONS.includes(opts.partition)) {
    return new Rejected(`unknown partition (expected one of ${PARTITIONS.join(', ')})`);
  }
  // Short-term prefixes first: they are longer and unambiguous.
  for (const service of SERVICES) {
    if (key.startsWith(service.shortTermPrefix)) return tryDecodeShortTerm(service, key, opts);
  }
  for (const service of SERVICES) {
    if (key.startsWith(service.longTermPrefix)) return tryDecodeLongTerm(service, key, opts);
  }
  return new Rejected(
    `unknown key format (expected a prefix ${SERVICES.flatMap((s) => [s.longTermPrefix, s.shortTermPrefix]).join(', ')})`,
  );
}

/** Decodes a long-term key of a known service. Throws `KeyDecodeError`. */
export function decodeLongTerm(
  service: KeyBearingService,
  key: string,
  opts: DecodeOptions = {},
): LongTermKey {
  return unwrap(tryDecodeLongTerm(service, key, opts));
}

/** Decodes a short-term key of a known service. Throws `KeyDecodeError`. */
export function decodeShortTerm(
  service: KeyBearingService,
  key: string,
  opts: DecodeOptions = {},
): ShortTermKey {
  return unwrap(tryDecodeShortTerm(service, key, opts));
}

/**
 * The alias is at most 64 (user) + 4 (`+N`) + 4 (`-at-`) + 12 (account) bytes, so its `:` must
 * come within the first 85 payload bytes: decoding a short window first rejects most non-keys
 * (a prefix inside a long base64 blob) without decoding or validating the whole run.
 */
const ALIAS_WINDOW_CHARS = 4 * Math.ceil((85 + 8) / 3);

/** Characters of a key's text the window checks look at (enough for the alias, or the URL's host). */
export const KEY_WINDOW_CHARS: number = ALIAS_WINDOW_CHARS + 8;

function isBase64Text(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255 || BASE64_BYTE[c] !== 1) return false;
  }
  return true;
}

/**
 * Cheap early rejection for a long-term candidate (`key` starts with the prefix): false when the
 * first characters are valid base64 and decode to no `:` where the alias must end. True means
 * "decode it fully".
 */
export function longTermWindowOk(service: KeyBearingService, key: string): boolean {
  const framing = service.longTermFraming;
  const start = framing.length > 0 ? 0 : service.longTermPrefix.length;
  if (key.length - start <= ALIAS_WINDOW_CHARS + 4) return true;
  const windowText = key.slice(start, start + ALIAS_WINDOW_CHARS);
  if (!isBase64Text(windowText)) return true;
  return Buffer.from(windowText, 'base64').indexOf(0x3a, framing.length) !== -1;
}

/** Cheap early rejection for a short-term candidate: false when the decoded start is not the service's host. */
export function shortTermWindowOk(service: KeyBearingService, key: string): boolean {
  const start = service.shortTermPrefix.length;
  const headChars = 4 * Math.ceil(('https://'.length + service.shortTermHost.length) / 3);
  if (key.length - start <= headChars) return true;
  const windowText = key.slice(start, start + headChars);
  if (!isBase64Text(windowText)) return true;
  const head = Buffer.from(windowText, 'base64').toString('latin1');
  return head.startsWith(service.shortTermHost) || head.startsWith(`https://${service.shortTermHost}`);
}

function isPrintable(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

export function tryDecodeLongTerm(
  service: KeyBearingService,
  key: string,
  opts: DecodeOptions = {},
): LongTermKey | Rejected {
  const framing = service.longTermFraming;
  const what = `after the ${service.longTermPrefix} prefix`;
  // Unframed: prefix + base64(payload). Framed: base64(framing + payload), whose text begins with
  // the prefix; decode all of it and check the framing bytes.
  const b64 = framing.length > 0 ? key : key.slice(service.longTermPrefix.length);
  if (!longTermWindowOk(service, key)) return new Rejected(`no ":" between alias and secret ${what}`);
  const bytes = decodeBase64(b64, what);
  if (bytes instanceof Rejected) return bytes;
  for (let i = 0; i < framing.length; i++) {
    if (bytes[i] !== framing[i]) return new Rejected(`wrong framing bytes ${what}`);
  }
  const payload = bytes.subarray(framing.length);
  const colon = payload.indexOf(0x3a);
  if (colon < 0) return new Rejected(`no ":" between alias and secret ${what}`);
  const aliasBytes = payload.subarray(0, colon);
  if (!isPrintable(aliasBytes)) return new Rejected('the alias has bytes that are not printable ASCII');
  const alias = aliasBytes.toString('latin1');
  const parts = tryParseLongTermAlias(alias);
  if (parts instanceof Rejected) return parts;
  const secret = payload.subarray(colon + 1);
  if (secret.length === 0) return new Rejected('the secret after the alias is empty');
  if (!isPrintable(secret)) return new Rejected('the secret has bytes that are not printable ASCII');
  const partition = opts.partition ?? 'aws';
  return {
    service: service.id,
    kind: 'long-term',
    alias,
    accountId: parts.accountId,
    userName: parts.userName,
    credentialIndex: parts.credentialIndex,
    partition,
    userArn: `arn:${partition}:iam::${parts.accountId}:user/${parts.userName}`,
    consoleUserName: parts.userName.startsWith(service.phantomUserPrefix),
    secretSha256: secretFingerprint(secret),
    secretLength: secret.length,
  };
}

export interface AliasParts {
  userName: string;
  accountId: string;
  credentialIndex: number;
}

/**
 * Parses `<user>[+N]-at-<12 digits>` from the right: the account is the 12 digits after the last
 * `-at-`, so user names that themselves contain `-at-` or `+` survive. A user name that itself ends
 * in `+<digits>` cannot be told apart from a `+N` marker; the marker reading wins (it is what IAM
 * generates), and `alias` keeps the exact text.
 */
export function parseLongTermAlias(alias: string): AliasParts {
  return unwrap(tryParseLongTermAlias(alias));
}

export function tryParseLongTermAlias(alias: string): AliasParts | Rejected {
  const m = /^(.+)-at-(\d{12})$/.exec(alias);
  if (!m) return new Rejected('alias has no -at-<12-digit account> at its end');
  let userName = m[1]!;
  let credentialIndex = 0;
  const marker = /^(.+)\+([1-9]\d{0,2})$/.exec(userName);
  if (marker) {
    userName = marker[1]!;
    credentialIndex = Number(marker[2]);
  }
  if (!IAM_USER_NAME_PATTERN.test(userName))
    return new Rejected('alias user name is not a valid IAM user name');
  return { userName, accountId: m[2]!, credentialIndex };
}

const SIGV4_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** The query string of a presigned URL: each parameter once, percent-decoded. */
function parseQuery(query: string): Map<string, string> | Rejected {
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const raw = eq < 0 ? '' : pair.slice(eq + 1);
    let value: string;
    try {
      value = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return new Rejected('presigned URL has a badly escaped query parameter');
    }
    if (params.has(name)) return new Rejected('presigned URL repeats a query parameter');
    params.set(name, value);
  }
  return params;
}

/** `X-Amz-Credential`: `<key id>/<date>/<region>/<service>/aws4_request`, signed for the service. */
function parseCredentialScope(
  credential: string,
  service: KeyBearingService,
): { accessKeyId: string; scopeDate: string; region: string; signingService: string } | Rejected {
  const scope = credential.split('/');
  if (scope.length !== 5) {
    return new Rejected(
      'presigned URL X-Amz-Credential is not <key id>/<date>/<region>/<service>/aws4_request',
    );
  }
  const [accessKeyId, scopeDate, region, signingService, terminator] = scope as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (terminator !== 'aws4_request')
    return new Rejected('presigned URL X-Amz-Credential does not end with aws4_request');
  if (!ACCESS_KEY_ID_PATTERN.test(accessKeyId)) {
    return new Rejected('presigned URL X-Amz-Credential has no ASIA/AKIA access key id');
  }
  if (!REGION_PATTERN.test(region))
    return new Rejected('presigned URL X-Amz-Credential region is not a region');
  if (signingService !== service.signingService) {
    return new Rejected(`presigned URL is not signed for ${service.signingService}`);
  }
  return { accessKeyId, scopeDate, region, signingService };
}

/** `X-Amz-Date` (`yyyymmddThhmmssZ`) as a time, or why it is not one. */
function parseSigV4Date(date: string): Date | Rejected {
  const dm = SIGV4_DATE.exec(date);
  if (!dm) return new Rejected('presigned URL X-Amz-Date is not yyyymmddThhmmssZ');
  const [, y, mo, d, h, mi, s] = dm.map(Number) as [number, number, number, number, number, number, number];
  const issued = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    issued.getUTCFullYear() !== y ||
    issued.getUTCMonth() !== mo - 1 ||
    issued.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return new Rejected('presigned URL X-Amz-Date is not a valid time');
  }
  return issued;
}

export function tryDecodeShortTerm(
  service: KeyBearingService,
  key: string,
  opts: DecodeOptions = {},
): ShortTermKey | Rejected {
  const what = `after the ${service.shortTermPrefix} prefix`;
  const b64 = key.slice(service.shortTermPrefix.length);
  if (!shortTermWindowOk(service, key))
    return new Rejected(`presigned URL host is not ${service.shortTermHost}`);
  const bytes = decodeBase64(b64, what);
  if (bytes instanceof Rejected) return bytes;
  if (!isPrintable(bytes)) return new Rejected('presigned URL has bytes that are not printable ASCII');
  let url = bytes.toString('latin1');
  if (url.startsWith('https://')) url = url.slice('https://'.length);
  const q = url.indexOf('?');
  if (q < 0) return new Rejected('presigned URL has no query string');
  const host = url.slice(0, q).replace(/\/$/, '');
  if (host !== service.shortTermHost)
    return new Rejected(`presigned URL host is not ${service.shortTermHost}`);
  const params = parseQuery(url.slice(q + 1));
  if (params instanceof Rejected) return params;
  const missing = [
    'Action',
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ].find((name) => !params.get(name));
  if (missing) return new Rejected(`presigned URL has no ${missing}`);
  const get = (name: string) => params.get(name) as string;
  if (get('Action') !== 'CallWithBearerToken')
    return new Rejected('presigned URL Action is not CallWithBearerToken');
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    return new Rejected('presigned URL X-Amz-Algorithm is not AWS4-HMAC-SHA256');
  }
  const credential = get('X-Amz-Credential');
  const date = get('X-Amz-Date');
  const expiresText = get('X-Amz-Expires');
  const version = params.get('Version');
  if (version !== undefined && version !== '1') return new Rejected('presigned URL Version is not 1');
  if (!/^[0-9a-f]{64}$/.test(get('X-Amz-Signature'))) {
    return new Rejected('presigned URL X-Amz-Signature is not 64 hex digits');
  }
  if (!get('X-Amz-SignedHeaders').split(';').includes('host')) {
    return new Rejected('presigned URL X-Amz-SignedHeaders does not include host');
  }
  const scope = parseCredentialScope(credential, service);
  if (scope instanceof Rejected) return scope;
  const { accessKeyId, scopeDate, region, signingService } = scope;
  const issued = parseSigV4Date(date);
  if (issued instanceof Rejected) return issued;
  if (scopeDate !== date.slice(0, 8))
    return new Rejected('presigned URL X-Amz-Credential date differs from X-Amz-Date');
  if (!/^\d{1,5}$/.test(expiresText))
    return new Rejected('presigned URL X-Amz-Expires is not a whole number of seconds');
  const expires = Number(expiresText);
  if (expires < 1 || expires > MAX_SHORT_TERM_EXPIRES_SECONDS) {
    return new Rejected(`presigned URL X-Amz-Expires is not between 1 and ${MAX_SHORT_TERM_EXPIRES_SECONDS}`);
  }
  const accessKeyType = accessKeyId.slice(0, 4) as AccessKeyIdType;
  const hasSecurityToken = params.has('X-Amz-Security-Token');
  if (accessKeyType === 'ASIA' && !hasSecurityToken) {
    return new Rejected('presigned URL signed with an ASIA key id has no X-Amz-Security-Token');
  }
  const accountId = accountFromAccessKeyId(accessKeyId);
  if (accountId === undefined) return new Rejected('presigned URL access key id does not carry an account');
  const expiresAt = new Date(issued.getTime() + expires * 1000);
  const now = opts.now ?? new Date();
  return {
    service: service.id,
    kind: 'short-term',
    accountId,
    accessKeyId,
    accessKeyType,
    region,
    partition: partitionOfRegion(region),
    signingService,
    issuedAt: issued.toISOString().replace('.000Z', 'Z'),
    expiresAt: expiresAt.toISOString().replace('.000Z', 'Z'),
    expiresInSeconds: Math.round((expiresAt.getTime() - now.getTime()) / 1000),
    expired: now.getTime() >= expiresAt.getTime(),
    hasSecurityToken,
    secretSha256: secretFingerprint(bytes),
  };
}
