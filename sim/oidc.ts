/**
 * A test OpenID Connect provider at `/_sim/oidc` on the simulator's port: what the approval page
 * signs analysts in with locally, in place of the organization's identity provider (Okta, Entra ID,
 * IAM Identity Center through Cognito). It speaks the wire a relying party sees from a real one:
 *
 * - `GET /_sim/oidc/.well-known/openid-configuration`: the discovery document (OpenID Connect
 *   Discovery 1.0); the issuer is `<simulator URL>/_sim/oidc`.
 * - `GET /_sim/oidc/authorize`: the authorization code flow with PKCE (S256 only, as RFC 9700
 *   recommends). The client and its redirect URI must be registered; the answer is a 302 to the
 *   redirect URI with `code`, `state` and `iss` (RFC 9207). With nobody signed in it answers 401.
 * - `POST /_sim/oidc/token`: exchanges a code (single use, 60 s) for an ID token signed RS256,
 *   checking the client secret (`client_secret_basic` or `client_secret_post`), the redirect URI
 *   and the PKCE verifier.
 * - `GET /_sim/oidc/jwks`: the public signing key.
 *
 * And the controls a test drives it with:
 * - `POST /_sim/oidc/clients {"client_id", "client_secret", "redirect_uris"}`: registers a client.
 * - `POST /_sim/oidc/login {"sub", "name", "groups", "token"?}`: who is signed in (one user for the
 *   whole simulator, as if every browser shared the provider's session); `token` makes the ID tokens
 *   issued from then on broken or hostile, to test the relying party's refusals:
 *   `{"issuer": URL}` (another issuer), `{"signingKey": "foreign"}` (a key not in the JWKS),
 *   `{"expiresInSeconds": N}` (N ≤ 0: already expired).
 * - `DELETE /_sim/oidc/login`: nobody is signed in.
 *
 * Times are the wall clock, not the simulator's: relying parties check tokens against theirs.
 * Only node:crypto: the provider is the independent side of the test, sharing no code (nor JOSE
 * library) with the relying party it judges.
 */
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import type { WireResponse } from './protocols';

export const OIDC_PREFIX = '/_sim/oidc';

interface Client {
  secret: string;
  redirectUris: string[];
}

interface SignedIn {
  sub: string;
  name?: string;
  groups: string[];
  token: { issuer?: string; foreignKey?: boolean; expiresInSeconds?: number };
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce?: string;
  user: SignedIn;
  /** Epoch ms. */
  expires: number;
  authTime: number;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomBytes(8).toString('hex'), privateKey, publicKey };
}

/**
 * The provider's keys, made once per process on first use (an RSA-2048 key pair costs 50-300 ms of
 * CPU). A `bks-sim` process is one simulator, so each has keys of its own; simulators started in one
 * process (the tests start one per test) share them, which no relying party can tell: each
 * simulator is its own issuer (its URL), and a token is only accepted from the issuer it names.
 */
const keys: { signing?: SigningKey; foreign?: SigningKey } = {};

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function json(status: number, value: unknown, extra: Record<string, string> = {}): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra },
    body: JSON.stringify(value),
  };
}

function text(status: number, message: string): WireResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` };
}

/** A page a person reads in the browser (the sign-in the provider cannot do), fetching nothing else. */
function html(status: number, title: string, message: string): WireResponse {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; img-src data:",
    },
    body:
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      `<title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`,
  };
}

/** An OAuth error answer of the token endpoint (RFC 6749 §5.2). */
function oauthError(status: number, error: string, description: string): WireResponse {
  return json(status, { error, error_description: description });
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class OidcProvider {
  readonly issuer: string;
  private readonly clients = new Map<string, Client>();
  private readonly codes = new Map<string, PendingCode>();
  private user: SignedIn | undefined;

  /** Made on first use: most simulator runs never sign anyone in. */
  private get key(): SigningKey {
    keys.signing ??= newKey();
    return keys.signing;
  }

  /** A key the JWKS never lists, under the signing key's id: what a token "signed with another key" is signed with. */
  private get foreign(): SigningKey {
    keys.foreign ??= { ...newKey(), kid: this.key.kid };
    return keys.foreign;
  }

  /** `baseUrl`: the simulator's URL (`http://127.0.0.1:4566`). */
  constructor(baseUrl: string) {
    this.issuer = `${baseUrl.replace(/\/$/, '')}${OIDC_PREFIX}`;
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'profile', 'groups'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'groups'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  /** Serves one request under `/_sim/oidc`. */
  handle(method: string, url: URL, headers: Record<string, unknown>, body: string): WireResponse {
    const path = url.pathname.slice(OIDC_PREFIX.length);
    switch (`${method} ${path}`) {
      case 'GET /.well-known/openid-configuration':
        return json(200, this.discovery());
      case 'GET /jwks':
        return json(200, { keys: [this.publicJwk(this.key)] });
      case 'GET /authorize':
        return this.authorize(url.searchParams);
      case 'POST /token':
        return this.token(new URLSearchParams(body), String(headers['authorization'] ?? ''));
      case 'POST /clients':
        return this.register(body);
      case 'POST /login':
        return this.login(body);
      case 'DELETE /login':
        this.user = undefined;
        return json(200, { signedIn: null });
      default:
        return json(404, { error: `no OIDC route ${method} ${url.pathname}` });
    }
  }

  private publicJwk(k: SigningKey): Record<string, unknown> {
    return { ...(k.publicKey.export({ format: 'jwk' }) as object), kid: k.kid, use: 'sig', alg: 'RS256' };
  }

  private register(body: string): WireResponse {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return json(400, { error: 'body is not valid JSON' });
    }
    const { client_id: id, client_secret: secret, redirect_uris: uris } = input;
    if (typeof id !== 'string' || id === '') return json(400, { error: 'client_id: must be a string' });
    if (typeof secret !== 'string' || secret.length < 16)
      return json(400, { error: 'client_secret: must be a string of at least 16 characters' });
    if (
      !Array.isArray(uris) ||
      uris.length === 0 ||
      !uris.every((u) => typeof u === 'string' && URL.canParse(u))
    )
      return json(400, { error: 'redirect_uris: must be a non-empty array of absolute URLs' });
    this.clients.set(id, { secret, redirectUris: uris as string[] });
    return json(200, { client_id: id, redirect_uris: uris });
  }

  private login(body: string): WireResponse {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return json(400, { error: 'body is not valid JSON' });
    }
    const { sub, name, groups, token } = input;
    if (typeof sub !== 'string' || sub === '' || sub.length > 255)
      return json(400, { error: 'sub: must be a string of 1 to 255 characters' });
    if (name !== undefined && typeof name !== 'string') return json(400, { error: 'name: must be a string' });
    const list = groups ?? [];
    if (!Array.isArray(list) || !list.every((g) => typeof g === 'string'))
      return json(400, { error: 'groups: must be an array of strings' });
    const t = (token ?? {}) as Record<string, unknown>;
    if (typeof t !== 'object' || t === null) return json(400, { error: 'token: must be an object' });
    if (t['issuer'] !== undefined && (typeof t['issuer'] !== 'string' || !URL.canParse(t['issuer'])))
      return json(400, { error: 'token.issuer: must be a URL' });
    if (t['signingKey'] !== undefined && t['signingKey'] !== 'foreign')
      return json(400, { error: 'token.signingKey: must be "foreign"' });
    if (t['expiresInSeconds'] !== undefined && !Number.isInteger(t['expiresInSeconds']))
      return json(400, { error: 'token.expiresInSeconds: must be an integer' });
    this.user = {
      sub,
      ...(name !== undefined ? { name } : {}),
      groups: list as string[],
      token: {
        ...(t['issuer'] !== undefined ? { issuer: t['issuer'] as string } : {}),
        ...(t['signingKey'] === 'foreign' ? { foreignKey: true } : {}),
        ...(t['expiresInSeconds'] !== undefined ? { expiresInSeconds: t['expiresInSeconds'] as number } : {}),
      },
    };
    return json(200, { signedIn: this.user });
  }

  private authorize(q: URLSearchParams): WireResponse {
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const client = this.clients.get(clientId);
    // RFC 6749 §4.1.2.1: a bad client or redirect URI is never redirected to.
    if (!client) return text(400, `unknown client_id "${clientId}"`);
    if (!client.redirectUris.includes(redirectUri))
      return text(400, `redirect_uri "${redirectUri}" is not registered for client ${clientId}`);
    const back = (params: Record<string, string>): WireResponse => {
      const to = new URL(redirectUri);
      for (const [k, v] of Object.entries({ ...params, iss: this.issuer })) to.searchParams.set(k, v);
      const state = q.get('state');
      if (state !== null) to.searchParams.set('state', state);
      return { status: 302, headers: { location: to.toString(), 'cache-control': 'no-store' }, body: '' };
    };
    if (q.get('response_type') !== 'code')
      return back({ error: 'unsupported_response_type', error_description: 'only code' });
    if (!(q.get('scope') ?? '').split(' ').includes('openid'))
      return back({ error: 'invalid_scope', error_description: 'scope must include openid' });
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[\w-]{43}$/.test(challenge))
      return back({ error: 'invalid_request', error_description: 'PKCE with S256 is required' });
    if (!this.user)
      return html(
        401,
        'Test identity provider: not signed in',
        'Nobody is signed in at the identity provider (the simulator’s test provider), so it cannot tell ' +
          'the application who you are: nothing was shown and nothing was decided. ' +
          'Sign in (POST /_sim/oidc/login), then open the link again.',
      );
    const code = randomBytes(24).toString('base64url');
    const nonce = q.get('nonce');
    this.codes.set(code, {
      clientId,
      redirectUri,
      challenge,
      ...(nonce !== null ? { nonce } : {}),
      user: structuredClone(this.user),
      expires: Date.now() + 60_000,
      authTime: Math.floor(Date.now() / 1000),
    });
    return back({ code });
  }

  /** The client a token request authenticates as (basic or post), or undefined. */
  private clientOf(form: URLSearchParams, authorization: string): string | undefined {
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (basic) {
      const [u, p] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u ?? '');
      secret = decodeURIComponent(p ?? '');
    }
    const client = this.clients.get(id);
    return client && secret !== '' && sameString(client.secret, secret) ? id : undefined;
  }

  private token(form: URLSearchParams, authorization: string): WireResponse {
    const clientId = this.clientOf(form, authorization);
    if (!clientId) return oauthError(401, 'invalid_client', 'client authentication failed');
    if (form.get('grant_type') !== 'authorization_code')
      return oauthError(400, 'unsupported_grant_type', 'only authorization_code');
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code);
    if (!pending || pending.expires < Date.now() || pending.clientId !== clientId)
      return oauthError(400, 'invalid_grant', 'the code is unknown, used, expired or not of this client');
    if (form.get('redirect_uri') !== pending.redirectUri)
      return oauthError(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (!sameString(b64url(createHash('sha256').update(verifier).digest()), pending.challenge))
      return oauthError(400, 'invalid_grant', 'the PKCE code_verifier does not match the code_challenge');
    const now = Math.floor(Date.now() / 1000);
    const u = pending.user;
    const claims = {
      iss: u.token.issuer ?? this.issuer,
      sub: u.sub,
      aud: clientId,
      iat: now,
      exp: now + (u.token.expiresInSeconds ?? 300),
      auth_time: pending.authTime,
      ...(pending.nonce !== undefined ? { nonce: pending.nonce } : {}),
      ...(u.name !== undefined ? { name: u.name } : {}),
      groups: u.groups,
    };
    // Another key under the same key id: only the signature check can tell.
    const key = u.token.foreignKey ? this.foreign : this.key;
    return json(200, {
      access_token: randomBytes(24).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'openid profile groups',
      id_token: this.jwt(claims, key),
    });
  }

  private jwt(claims: Record<string, unknown>, key: SigningKey): string {
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid }));
    const body = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey);
    return `${head}.${body}.${b64url(signature)}`;
  }
}
