/**
 * Building keys from their parts: the inverse of decode.ts. The simulator reconstructs long-term
 * keys from a credential's alias and secret; tests, the demo and the benchmark build syntactically
 * real keys without a single key literal in the repository.
 */
import type { KeyBearingService } from '../services';
import { MAX_SHORT_TERM_EXPIRES_SECONDS } from './decode';

/** `ServiceCredentialAlias` of a user's credential: `<user>[+N]-at-<account>` (index 0 has no marker). */
export function longTermAlias(userName: string, accountId: string, index: number): string {
  if (!/^\d{12}$/.test(accountId)) throw new RangeError('accountId must be 12 digits');
  if (!Number.isInteger(index) || index < 0) throw new RangeError('index must be a whole number ≥ 0');
  return `${userName}${index > 0 ? `+${index}` : ''}-at-${accountId}`;
}

/** The long-term key text IAM hands out for a credential: `prefix + base64(alias:secret)` (framed where the service frames). */
export function encodeLongTermKey(service: KeyBearingService, alias: string, secret: string): string {
  const payload = Buffer.from(`${alias}:${secret}`, 'latin1');
  const framing = service.longTermFraming;
  if (framing.length === 0) return service.longTermPrefix + payload.toString('base64');
  const text = Buffer.concat([framing, payload]).toString('base64');
  if (!text.startsWith(service.longTermPrefix)) {
    throw new Error(`framing of ${service.id} does not encode to ${service.longTermPrefix}`);
  }
  return text;
}

export interface ShortTermKeyParts {
  /** `ASIA…`/`AKIA…` (20 characters). */
  accessKeyId: string;
  region: string;
  /** Signing time (truncated to the second). */
  issuedAt: Date;
  /** `X-Amz-Expires`, 1..43200 (default 43200). */
  expiresSeconds?: number;
  /** STS session token; required for `ASIA` ids by the decoder. */
  sessionToken?: string;
  /** 64 hex digits (default: a fixed fake; the decoder does not verify signatures). */
  signature?: string;
  /** Reorder the query parameters (the decoder must not depend on order). */
  shuffle?: (names: string[]) => string[];
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A syntactically real short-term key (the token generators' text form) from its parts. The
 * signature is not computed: the result decodes like a real key but authenticates nowhere.
 */
export function buildShortTermKey(service: KeyBearingService, parts: ShortTermKeyParts): string {
  const expires = parts.expiresSeconds ?? MAX_SHORT_TERM_EXPIRES_SECONDS;
  const date = amzDate(parts.issuedAt);
  const params: [string, string][] = [
    ['Action', 'CallWithBearerToken'],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    [
      'X-Amz-Credential',
      `${parts.accessKeyId}/${date.slice(0, 8)}/${parts.region}/${service.signingService}/aws4_request`,
    ],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', String(expires)],
    ...(parts.sessionToken !== undefined
      ? [['X-Amz-Security-Token', parts.sessionToken] as [string, string]]
      : []),
    ['X-Amz-SignedHeaders', 'host'],
    ['X-Amz-Signature', parts.signature ?? '0123456789abcdef'.repeat(4)],
  ];
  const byName = new Map(params);
  const order = parts.shuffle ? parts.shuffle(params.map(([n]) => n)) : params.map(([n]) => n);
  const query = order.map((n) => `${n}=${encodeURIComponent(byName.get(n) ?? '')}`).join('&');
  const url = `${service.shortTermHost}/?${query}&Version=1`;
  return service.shortTermPrefix + Buffer.from(url, 'latin1').toString('base64');
}
