/**
 * The simulator's own, minimal reading of bearer key text (long-term `ABSK…`/`AEAA…`, short-term
 * `bedrock-api-key-…`). Private to `sim/` until `src/keys` lands on main; it returns the parts the
 * simulator needs to authenticate a call and nothing else. Secrets stay in memory only.
 */
import { type KeyBearingService, SERVICES } from '../src/services';

export interface LongTermKeyText {
  kind: 'long-term';
  service: KeyBearingService;
  alias: string;
  /** The user name inside the alias, without a `+N` marker. */
  userName: string;
  account: string;
  secret: string;
}

export interface ShortTermKeyText {
  kind: 'short-term';
  service: KeyBearingService;
  accessKeyId: string;
  region: string;
  signingService: string;
  /** X-Amz-Date as epoch ms. */
  issuedAt: number;
  /** Issue time + X-Amz-Expires, epoch ms. */
  expiresAt: number;
  hasSessionToken: boolean;
}

export type KeyText = LongTermKeyText | ShortTermKeyText;

function base64Decode(text: string): Buffer | undefined {
  const clean = text.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const padded = clean.padEnd(Math.ceil(clean.length / 4) * 4, '=');
  return Buffer.from(padded, 'base64');
}

/** `<user>[+N]-at-<12 digits>`, parsed from the right. */
export function parseAlias(alias: string): { userName: string; account: string } | undefined {
  const m = /^(.+)-at-(\d{12})$/.exec(alias);
  if (!m) return undefined;
  const userName = (m[1] as string).replace(/\+\d+$/, '');
  return userName ? { userName, account: m[2] as string } : undefined;
}

function parseIsoBasic(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function decodeLongTerm(service: KeyBearingService, text: string): LongTermKeyText | undefined {
  let payload: Buffer | undefined;
  if (service.longTermFraming.length === 0) {
    payload = base64Decode(text.slice(service.longTermPrefix.length));
  } else {
    const all = base64Decode(text);
    const framing = Buffer.from(service.longTermFraming);
    if (!all || all.length <= framing.length || !all.subarray(0, framing.length).equals(framing))
      return undefined;
    payload = all.subarray(framing.length);
  }
  if (!payload) return undefined;
  const decoded = payload.toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const alias = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  const parsed = parseAlias(alias);
  if (!parsed || !secret) return undefined;
  return { kind: 'long-term', service, alias, ...parsed, secret };
}

function decodeShortTerm(service: KeyBearingService, text: string): ShortTermKeyText | undefined {
  const raw = base64Decode(text.slice(service.shortTermPrefix.length));
  if (!raw) return undefined;
  const url = raw.toString('utf8');
  const q = url.indexOf('?');
  if (q < 0 || url.slice(0, q).replace(/\/$/, '') !== service.shortTermHost) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  if (params.get('Action') !== 'CallWithBearerToken') return undefined;
  const credential = params.get('X-Amz-Credential')?.split('/') ?? [];
  const [accessKeyId, , region, signingService] = credential;
  const issuedAt = parseIsoBasic(params.get('X-Amz-Date') ?? '');
  const expires = Number(params.get('X-Amz-Expires'));
  if (!accessKeyId || !region || !signingService || Number.isNaN(issuedAt) || !Number.isFinite(expires)) {
    return undefined;
  }
  return {
    kind: 'short-term',
    service,
    accessKeyId,
    region,
    signingService,
    issuedAt,
    expiresAt: issuedAt + expires * 1000,
    hasSessionToken: params.has('X-Amz-Security-Token'),
  };
}

/** Reads a bearer key's text; undefined when it is no key of any known service. */
export function readKeyText(text: string): KeyText | undefined {
  const trimmed = text.trim();
  for (const service of SERVICES) {
    if (trimmed.startsWith(service.shortTermPrefix)) return decodeShortTerm(service, trimmed);
  }
  for (const service of SERVICES) {
    if (trimmed.startsWith(service.longTermPrefix)) {
      const key = decodeLongTerm(service, trimmed);
      if (key) return key;
    }
  }
  return undefined;
}

/** The text of a long-term key (for tests and the demo; never printed). */
export function longTermKeyText(service: KeyBearingService, alias: string, secret: string): string {
  const payload = Buffer.concat([Buffer.from(service.longTermFraming), Buffer.from(`${alias}:${secret}`)]);
  const b64 = payload.toString('base64');
  return service.longTermFraming.length === 0 ? service.longTermPrefix + b64 : b64;
}
