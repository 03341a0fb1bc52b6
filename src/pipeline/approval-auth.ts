/**
 * Who approves is proven, not typed: the approval endpoint is an OpenID Connect relying party
 * (authorization code flow with PKCE, through `openid-client`, an OpenID-certified library) of the
 * organization's identity provider. After the provider's redirect back, a short-lived session
 * cookie signed by the endpoint (HMAC-SHA256, HttpOnly, Secure, SameSite=Lax: Strict would be
 * dropped on the provider's cross-site redirect back) carries the verified subject, name and groups;
 * every form carries a CSRF token bound to that session and to the approval request. The signed,
 * single-use, expiring link stays as the second factor: a session alone decides nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';

/** The identity provider's settings (construct props and a Secrets Manager secret on AWS). */
export interface OidcSettings {
  /** The issuer URL (`https://acme.okta.com/oauth2/default`, `https://login.microsoftonline.com/<tenant>/v2.0`, …). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Approvers must be in at least one of these groups (as the groups claim names them). */
  allowedGroups: string[];
  /** The ID token claim that lists the user's groups. @default 'groups' */
  groupsClaim?: string;
}

/** A verified approver, as the ID token named them. */
export interface Approver {
  issuer: string;
  sub: string;
  name?: string;
  groups: string[];
}

export interface Session extends Approver {
  /** Random session id: what the CSRF tokens are bound to. */
  sid: string;
  /** Epoch seconds. */
  exp: number;
}

/** Session lifetime: long enough to read the page and decide, short enough not to linger. */
export const SESSION_SECONDS = 15 * 60;
/** Time from the redirect to the provider to its redirect back. */
const LOGIN_SECONDS = 10 * 60;

export const SESSION_COOKIE = '__Host-bks-approval-session';
export const LOGIN_COOKIE = '__Host-bks-approval-login';

/** Cookie attributes: never readable by scripts, never sent over plain HTTP, kept on the provider's redirect back. */
function cookie(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Lax`;
}

/** Keys derived per purpose from the endpoint's signing key (never the link key itself). */
function subkey(key: Buffer, purpose: string): Buffer {
  return createHmac('sha256', key).update(`bks-approval-auth.v1.${purpose}`).digest();
}

function seal(key: Buffer, purpose: string, payload: unknown): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', subkey(key, purpose)).update(body).digest('base64url');
  return `${body}.${mac}`;
}

function unseal<T>(key: Buffer, purpose: string, value: string | undefined): T | undefined {
  if (!value) return undefined;
  const [body, mac, extra] = value.split('.');
  if (!body || !mac || extra !== undefined) return undefined;
  const want = Buffer.from(createHmac('sha256', subkey(key, purpose)).update(body).digest('base64url'));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The cookies of a request (`name=value` pairs, from a `Cookie` header or Lambda's `cookies`). */
export function parseCookies(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of list ?? [])
    for (const part of line.split(';')) {
      const i = part.indexOf('=');
      if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
  return out;
}

/** Whether an issuer is on this machine (the simulator's test provider): only then plain HTTP. */
function loopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

const configs = new Map<string, Promise<oidc.Configuration>>();

/** The provider's configuration (discovery), fetched once per process and retried after a failure. */
function configuration(s: OidcSettings): Promise<oidc.Configuration> {
  const k = JSON.stringify([s.issuer, s.clientId, s.clientSecret]);
  let c = configs.get(k);
  if (!c) {
    const issuer = new URL(s.issuer);
    // ID tokens from the token endpoint are checked against the provider's JWKS too, not only trusted
    // for arriving over TLS (OIDC Core 3.1.3.7 allows that shortcut; a leaked client secret or a
    // tampering proxy is exactly what a second check is for).
    c = oidc.discovery(issuer, s.clientId, s.clientSecret, undefined, {
      execute: [...(loopback(issuer) ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
    });
    c.catch(() => configs.delete(k));
    configs.set(k, c);
  }
  return c;
}

/** What the login cookie remembers between the redirect to the provider and the one back. */
interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  /** The approval link's query string the analyst opened (id, exp, sig). */
  back: string;
  exp: number;
}

/** One plain sentence for why a sign-in failed (the ID token's checks, or the provider's answer). */
export function signInFailure(err: unknown, issuer: string): string {
  // openid-client wraps oauth4webapi's errors: read the whole chain (messages, and the claim checked).
  const messages: string[] = [];
  let claim: string | undefined;
  let oauthError: { error?: string; error_description?: string } | undefined;
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e['message'] === 'string') messages.push(e['message']);
    if (typeof e['claim'] === 'string') claim ??= e['claim'];
    if (typeof e['error'] === 'string') oauthError ??= e as { error?: string; error_description?: string };
    e =
      typeof e['cause'] === 'object' && e['cause'] !== null
        ? (e['cause'] as Record<string, unknown>)
        : undefined;
  }
  const all = messages.join(' | ');
  const untrusted = 'Your sign-in cannot be trusted: the identity token';
  if (oauthError?.error)
    return `The identity provider did not sign you in: ${oauthError.error}${oauthError.error_description ? ` (${oauthError.error_description})` : ''}.`;
  if (claim === 'iss' || /"iss"/.test(all))
    return `${untrusted} was not issued by ${issuer}, the identity provider this page trusts.`;
  if (/signature/i.test(all)) return `${untrusted} is not signed by a key of the identity provider.`;
  if (claim === 'exp' || /"exp"/.test(all))
    return 'Your sign-in has expired: the identity token the identity provider sent is past its expiry. Open the approval link again to sign in anew.';
  if (claim === 'nbf' || claim === 'iat')
    return `${untrusted} is not valid yet: the clocks of this page and the identity provider disagree.`;
  if (claim === 'aud' || /"aud"/.test(all)) return `${untrusted} was issued to another application.`;
  if (claim === 'nonce' || /nonce/.test(all)) return `${untrusted} does not answer this sign-in (nonce).`;
  if (/state/.test(all))
    return 'Your sign-in cannot be trusted: the identity provider’s answer does not belong to this sign-in (state).';
  return `Your sign-in could not be verified (${(messages[0] ?? String(err)).slice(0, 200)}).`;
}

export type SignInResult =
  | { ok: true; approver: Approver; back: string; cookies: string[] }
  | { ok: false; status: number; reason: string; cookies: string[] };

/** The relying party: starts and finishes sign-ins, reads sessions, makes and checks CSRF tokens. */
export class ApproverAuth {
  constructor(
    readonly settings: OidcSettings,
    private readonly key: Buffer,
    private readonly now: () => Date,
    /** The redirect URI registered at the provider (`<approval URL>/callback`). */
    readonly redirectUri: string,
  ) {}

  private nowS(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** The redirect to the provider, and the login cookie that remembers where to come back to. */
  async start(back: string): Promise<{ location: string; cookies: string[] }> {
    const config = await configuration(this.settings);
    const login: LoginState = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      back,
      exp: this.nowS() + LOGIN_SECONDS,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    return {
      location: url.href,
      cookies: [cookie(LOGIN_COOKIE, seal(this.key, 'login', login), LOGIN_SECONDS)],
    };
  }

  /** The provider's redirect back: exchanges the code, verifies the ID token, checks the groups. */
  async finish(query: URLSearchParams, cookies: Record<string, string>): Promise<SignInResult> {
    const clear = [cookie(LOGIN_COOKIE, '', 0)];
    const login = unseal<LoginState>(this.key, 'login', cookies[LOGIN_COOKIE]);
    if (!login || login.exp <= this.nowS())
      return {
        ok: false,
        status: 400,
        reason: 'This sign-in was not started here or took too long: open the approval link again.',
        cookies: clear,
      };
    const current = new URL(this.redirectUri);
    for (const [k, v] of query) current.searchParams.append(k, v);
    let claims: oidc.IDToken | undefined;
    try {
      const config = await configuration(this.settings);
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      return { ok: false, status: 401, reason: signInFailure(err, this.settings.issuer), cookies: clear };
    }
    if (!claims)
      return {
        ok: false,
        status: 401,
        reason: 'The identity provider returned no identity token.',
        cookies: clear,
      };
    const raw = claims[this.settings.groupsClaim ?? 'groups'];
    const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : [];
    const approver: Approver = {
      issuer: String(claims.iss),
      sub: String(claims.sub),
      ...(typeof claims['name'] === 'string' ? { name: claims['name'] } : {}),
      groups,
    };
    const refused = this.notAllowed(approver);
    if (refused) return { ok: false, status: 403, reason: refused, cookies: clear };
    const session: Session = {
      ...approver,
      sid: randomBytes(16).toString('base64url'),
      exp: this.nowS() + SESSION_SECONDS,
    };
    return {
      ok: true,
      approver,
      back: login.back,
      cookies: [...clear, cookie(SESSION_COOKIE, seal(this.key, 'session', session), SESSION_SECONDS)],
    };
  }

  /** Why this approver may not decide, or undefined when they may. */
  notAllowed(a: Approver): string | undefined {
    const allowed = this.settings.allowedGroups;
    if (a.groups.some((g) => allowed.includes(g))) return undefined;
    return (
      `${a.name ?? a.sub} is not in a group allowed to approve (allowed: ${allowed.join(', ') || 'none configured'}; ` +
      `the identity provider said: ${a.groups.join(', ') || 'no groups'}).`
    );
  }

  /** The session a request carries, if it is ours, unexpired, of this issuer and still allowed. */
  session(cookies: Record<string, string>): Session | undefined {
    const s = unseal<Session>(this.key, 'session', cookies[SESSION_COOKIE]);
    if (!s || typeof s.exp !== 'number' || s.exp <= this.nowS()) return undefined;
    if (s.issuer !== this.settings.issuer || !Array.isArray(s.groups)) return undefined;
    return s;
  }

  /** The CSRF token of a form: bound to the session and to the approval request. */
  csrf(session: Session, approvalId: string): string {
    return createHmac('sha256', subkey(this.key, 'csrf'))
      .update(`${session.sid}.${approvalId}`)
      .digest('base64url');
  }

  checkCsrf(session: Session, approvalId: string, token: string | undefined): boolean {
    const want = Buffer.from(this.csrf(session, approvalId));
    const got = Buffer.from(token ?? '');
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
