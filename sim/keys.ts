/**
 * The simulator's own reader of Bedrock-style API keys, written from the public formats and kept
 * apart from the project's decoder (`src/keys`) on purpose: when the two disagree a test fails,
 * instead of one bug being mirrored on both sides of the wire.
 *
 * Formats (AWS Bedrock user guide, "Use an Amazon Bedrock API key"; the token generators
 * aws/aws-bedrock-token-generator-js, -python, -java):
 * - long-term: a text prefix, then base64 of optional framing bytes and `<alias>:<secret>`, where the
 *   alias is `<user>[+N]-at-<12-digit account>` (the credential's `ServiceCredentialAlias`);
 * - short-term: a text prefix, then base64 of a presigned URL without its scheme,
 *   `<host>/?Action=CallWithBearerToken&X-Amz-…&Version=1`, signed with SigV4 for the service.
 */

/** A key-bearing service as the simulator knows it. */
export interface SimKeyService {
  /** `ServiceName` of its IAM service-specific credentials. */
  sscServiceName: string;
  /** SigV4 signing name and IAM action namespace. */
  namespace: string;
  displayName: string;
  longTermPrefix: string;
  /** Bytes before `<alias>:<secret>` inside the base64 (Claude Platform: 00 40 00, giving `AEAA`). */
  framing: number[];
  shortTermPrefix: string;
  /** Host of the presigned URL. */
  host: string;
}

export const SIM_KEY_SERVICES: readonly SimKeyService[] = [
  {
    sscServiceName: 'bedrock.amazonaws.com',
    namespace: 'bedrock',
    displayName: 'Amazon Bedrock',
    longTermPrefix: 'ABSK',
    framing: [],
    shortTermPrefix: 'bedrock-api-key-',
    host: 'bedrock.amazonaws.com',
  },
  {
    sscServiceName: 'aws-external-anthropic.amazonaws.com',
    namespace: 'aws-external-anthropic',
    displayName: 'Claude Platform on AWS',
    longTermPrefix: 'AEAA',
    framing: [0x00, 0x40, 0x00],
    shortTermPrefix: 'aws-external-anthropic-api-key-',
    host: 'aws-external-anthropic.amazonaws.com',
  },
];

export interface SimLongTermKey {
  kind: 'long-term';
  service: SimKeyService;
  alias: string;
  userName: string;
  account: string;
  /** The credential's secret: compared with the stored one, never printed. */
  secret: string;
}

export interface SimShortTermKey {
  kind: 'short-term';
  service: SimKeyService;
  accessKeyId: string;
  region: string;
  /** `X-Amz-Date` as epoch ms. */
  signedAtMs: number;
  /** `X-Amz-Date` + `X-Amz-Expires`, epoch ms. */
  expiresAtMs: number;
  hasSecurityToken: boolean;
}

export type SimKey = SimLongTermKey | SimShortTermKey;

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function base64Bytes(text: string): Buffer | undefined {
  const padded = text.length % 4 === 0 ? text : text + '='.repeat(4 - (text.length % 4));
  if (!B64.test(padded) || padded.length % 4 !== 0) return undefined;
  return Buffer.from(padded, 'base64');
}

const ALIAS_RE = /^([\w+=,.@-]{1,64}?)(?:\+\d+)?-at-(\d{12})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const ACCESS_KEY_RE = /^(?:AKIA|ASIA)[A-Z2-7]{16}$/;

function longTerm(service: SimKeyService, token: string): SimLongTermKey | undefined {
  // The framing bytes are part of the base64, so decode the whole token when there are any.
  const bytes = base64Bytes(service.framing.length > 0 ? token : token.slice(service.longTermPrefix.length));
  if (!bytes) return undefined;
  const n = service.framing.length;
  for (let i = 0; i < n; i++) if (bytes[i] !== service.framing[i]) return undefined;
  const text = bytes.subarray(n).toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  const alias = text.slice(0, colon);
  const m = ALIAS_RE.exec(alias);
  if (!m) return undefined;
  return {
    kind: 'long-term',
    service,
    alias,
    userName: m[1] as string,
    account: m[2] as string,
    secret: text.slice(colon + 1),
  };
}

function shortTerm(service: SimKeyService, token: string): SimShortTermKey | undefined {
  const bytes = base64Bytes(token.slice(service.shortTermPrefix.length));
  if (!bytes) return undefined;
  const text = bytes.toString('utf8');
  const q = text.indexOf('/?');
  if (q < 0 || text.slice(0, q).toLowerCase() !== service.host) return undefined;
  const params = new URLSearchParams(text.slice(q + 2));
  if (params.get('Action') !== 'CallWithBearerToken') return undefined;
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return undefined;
  if (!params.get('X-Amz-Signature')) return undefined;
  const scope = (params.get('X-Amz-Credential') ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope[3] !== service.namespace) return undefined;
  const [accessKeyId = '', day = '', region = ''] = scope;
  if (!ACCESS_KEY_RE.test(accessKeyId) || !REGION_RE.test(region)) return undefined;
  const d = AMZ_DATE_RE.exec(params.get('X-Amz-Date') ?? '');
  if (!d || `${d[1]}${d[2]}${d[3]}` !== day) return undefined;
  const signedAtMs = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!);
  const expires = Number(params.get('X-Amz-Expires'));
  // The generators cap a key at 12 h; SigV4 presigning itself allows up to 7 days.
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) return undefined;
  return {
    kind: 'short-term',
    service,
    accessKeyId,
    region,
    signedAtMs,
    expiresAtMs: signedAtMs + expires * 1000,
    hasSecurityToken: params.has('X-Amz-Security-Token'),
  };
}

/** Reads a bearer token; undefined when it is no key of a known service. */
export function readBearerKey(token: string): SimKey | undefined {
  for (const service of SIM_KEY_SERVICES) {
    if (token.startsWith(service.shortTermPrefix)) return shortTerm(service, token);
    if (token.startsWith(service.longTermPrefix)) return longTerm(service, token);
  }
  return undefined;
}
