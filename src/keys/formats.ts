/**
 * Every key format as data, each carrying its own positive and negative samples (the gitleaks
 * discipline): the test suite decodes and scans every sample and fails when a format misses one
 * of its own. The formats are derived from the service table, so a new service brings its formats
 * and its samples with it. Samples are built from parts here; no key literal exists in the tree.
 */
import { type KeyBearingService, SERVICES, type ServiceId } from '../services';
import { accessKeyIdForAccount } from './accountId';
import { buildShortTermKey, encodeLongTermKey, longTermAlias } from './encode';

export interface KeyFormat {
  id: string;
  service: ServiceId;
  kind: 'long-term' | 'short-term';
  prefix: string;
  description: string;
  /** Keys of this format (they must decode and be found by the scanner). */
  match: readonly string[];
  /** Texts starting with this format's prefix that are not keys (decode fails, the scanner reports nothing). */
  noMatch: readonly string[];
}

/** A fixed, obviously fake secret for samples (never a real credential). */
const SAMPLE_SECRET = 'SAMPLEsecretNOTREAL0123456789abcdefSAMPLE+/=';
const SAMPLE_ACCOUNT = '111122223333';
const SAMPLE_TIME = new Date('2026-03-01T12:00:00Z');
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

function longTermFormat(s: KeyBearingService): KeyFormat {
  const key = (alias: string, secret = SAMPLE_SECRET) => encodeLongTermKey(s, alias, secret);
  const primary = key(longTermAlias(`${s.phantomUserPrefix}ab12`, SAMPLE_ACCOUNT, 0));
  const noPad = primary.replace(/=+$/, '');
  const rawPayload = (payload: string) =>
    s.longTermFraming.length > 0
      ? Buffer.concat([s.longTermFraming, Buffer.from(payload)]).toString('base64')
      : s.longTermPrefix + b64(payload);
  return {
    id: `${s.id}-long-term`,
    service: s.id,
    kind: 'long-term',
    prefix: s.longTermPrefix,
    description: `${s.displayName} long-term API key (IAM service-specific credential ${s.sscServiceName})`,
    match: [
      primary,
      noPad,
      key(longTermAlias(`${s.phantomUserPrefix}ab12`, SAMPLE_ACCOUNT, 1)),
      key(longTermAlias('ci-bot-at-home+ops', SAMPLE_ACCOUNT, 0)),
      key(longTermAlias('a', '000000000001', 0), 'x:y'),
    ],
    noMatch: [
      // random base64 after the prefix
      rawPayload(String.fromCharCode(...Array.from({ length: 48 }, (_, i) => (i * 37 + 11) % 256))),
      // alias without -at-<account>
      rawPayload(`${s.phantomUserPrefix}ab12:${SAMPLE_SECRET}`),
      // 11-digit account
      rawPayload(`${s.phantomUserPrefix}ab12-at-11112222333:${SAMPLE_SECRET}`),
      // user name IAM would refuse
      rawPayload(`bad user!-at-${SAMPLE_ACCOUNT}:${SAMPLE_SECRET}`),
      // no secret
      rawPayload(`${s.phantomUserPrefix}ab12-at-${SAMPLE_ACCOUNT}:`),
      // truncated inside the alias
      primary.slice(0, s.longTermPrefix.length + 16),
      // a character outside the base64 alphabet
      `${primary.slice(0, 12)}-${primary.slice(13)}`,
      // the prefix alone
      s.longTermPrefix,
    ],
  };
}

function shortTermFormat(s: KeyBearingService): KeyFormat {
  const asia = accessKeyIdForAccount('ASIA', SAMPLE_ACCOUNT, Uint8Array.of(1, 2, 3, 4, 5, 6));
  const akia = accessKeyIdForAccount('AKIA', SAMPLE_ACCOUNT, Uint8Array.of(6, 5, 4, 3, 2, 1));
  const base = {
    accessKeyId: asia,
    region: 'us-east-1',
    issuedAt: SAMPLE_TIME,
    sessionToken: 'FwoGZXIvYXdzSAMPLE//token==',
  };
  const fromUrl = (url: string) => s.shortTermPrefix + b64(url);
  const good = buildShortTermKey(s, base);
  const url = Buffer.from(good.slice(s.shortTermPrefix.length), 'base64').toString('latin1');
  // Each negative sample changes exactly one thing; a change that does not apply is a broken sample.
  const mutate = (from: string | RegExp, to: string) => {
    const changed = url.replace(from, to);
    if (changed === url) throw new Error(`sample mutation ${String(from)} does not apply to ${s.id}`);
    return fromUrl(changed);
  };
  return {
    id: `${s.id}-short-term`,
    service: s.id,
    kind: 'short-term',
    prefix: s.shortTermPrefix,
    description: `${s.displayName} short-term API key (presigned SigV4 URL for ${s.shortTermHost})`,
    match: [
      good,
      buildShortTermKey(s, {
        accessKeyId: akia,
        region: 'eu-west-3',
        issuedAt: SAMPLE_TIME,
        expiresSeconds: 900,
      }),
      buildShortTermKey(s, { ...base, region: 'us-gov-west-1', shuffle: (names) => [...names].reverse() }),
      fromUrl(`https://${url}`),
    ],
    noMatch: [
      mutate(s.shortTermHost, 'example.com'),
      mutate(`%2F${s.signingService}%2Faws4_request`, '%2Fs3%2Faws4_request'),
      mutate(/X-Amz-Credential=[^&]*&/, ''),
      mutate('X-Amz-Expires=43200', 'X-Amz-Expires=86400'),
      mutate(/X-Amz-Security-Token=[^&]*&/, ''),
      mutate(/X-Amz-Date=\d{8}/, 'X-Amz-Date=20261341'),
      mutate('Action=CallWithBearerToken', 'Action=GetObject'),
      mutate(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=zz'),
      good.slice(0, s.shortTermPrefix.length + 40),
      s.shortTermPrefix + b64('not a presigned url at all'),
    ],
  };
}

export const KEY_FORMATS: readonly KeyFormat[] = SERVICES.flatMap((s) => [
  longTermFormat(s),
  shortTermFormat(s),
]);
