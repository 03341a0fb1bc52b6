/**
 * bks-sim's test OpenID Connect provider over the wire, judged by independent clients: openid-client
 * (discovery, authorization code + PKCE, ID token validation) and jose (signature against the JWKS).
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import type { SimHandle } from '../../sim/server';
import { withSim } from './harness';

const scenario = { accounts: [{ id: '111111111111' }] };
const CLIENT = { id: 'bks-approval', secret: 'a-client-secret-of-32-characters' };
const CALLBACK = 'https://approve.example.test/callback';

async function post(sim: SimHandle, path: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(`${sim.url}/_sim/oidc${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function register(sim: SimHandle): Promise<oidc.Configuration> {
  const r = await post(sim, '/clients', {
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
    redirect_uris: [CALLBACK],
  });
  expect(r.status).toBe(200);
  return oidc.discovery(new URL(`${sim.url}/_sim/oidc`), CLIENT.id, CLIENT.secret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** One authorization request as a browser makes it; the redirect back, or the provider's answer. */
async function authorize(config: oidc.Configuration, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid profile groups',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  const res = await fetch(url, { redirect: 'manual' });
  return { res, verifier, nonce, state, location: res.headers.get('location') ?? '' };
}

describe('bks-sim test OIDC provider', () => {
  it('publishes a discovery document whose issuer and endpoints are its own', async () => {
    await withSim(scenario as never, async (sim) => {
      const doc = (await (
        await fetch(`${sim.url}/_sim/oidc/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: `${sim.url}/_sim/oidc`,
        authorization_endpoint: `${sim.url}/_sim/oidc/authorize`,
        token_endpoint: `${sim.url}/_sim/oidc/token`,
        jwks_uri: `${sim.url}/_sim/oidc/jwks`,
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    });
  });

  it('answers 401 at authorize with nobody signed in, and refuses unknown clients and redirect URIs without redirecting', async () => {
    await withSim(scenario as never, async (sim) => {
      const config = await register(sim);
      const nobody = await authorize(config);
      expect(nobody.res.status).toBe(401);
      expect(await nobody.res.text()).toContain('Nobody is signed in at the identity provider');
      await post(sim, '/login', { sub: 'u1', groups: ['soc'] });
      const badRedirect = await authorize(config, { redirect_uri: 'https://evil.example.test/cb' });
      expect(badRedirect.res.status).toBe(400);
      expect(badRedirect.location).toBe('');
      const other = new URL(`${sim.url}/_sim/oidc/authorize`);
      other.search = new URL(nobody.res.url).search;
      other.searchParams.set('client_id', 'someone-else');
      expect((await fetch(other, { redirect: 'manual' })).status).toBe(400);
      // Without PKCE: an error back at the client, no code.
      const plain = await authorize(config, { code_challenge_method: 'plain' });
      expect(new URL(plain.location).searchParams.get('error')).toBe('invalid_request');
      expect(new URL(plain.location).searchParams.get('code')).toBeNull();
      // Signed out again: 401 again.
      await post(sim, '/login', undefined, 'DELETE');
      expect((await authorize(config)).res.status).toBe(401);
    });
  });

  it('runs the authorization code flow with PKCE: an RS256 ID token with sub, name, groups and the nonce', async () => {
    await withSim(scenario as never, async (sim) => {
      const config = await register(sim);
      await post(sim, '/login', { sub: 'u-7', name: 'Ana Analyst', groups: ['soc', 'staff'] });
      const a = await authorize(config);
      expect(a.res.status).toBe(302);
      expect(a.location.startsWith(`${CALLBACK}?`)).toBe(true);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(a.location), {
        pkceCodeVerifier: a.verifier,
        expectedNonce: a.nonce,
        expectedState: a.state,
        idTokenExpected: true,
      });
      expect(tokens.claims()).toMatchObject({
        iss: `${sim.url}/_sim/oidc`,
        sub: 'u-7',
        aud: CLIENT.id,
        name: 'Ana Analyst',
        groups: ['soc', 'staff'],
        nonce: a.nonce,
      });
      // jose, against the published JWKS.
      const jwks = createRemoteJWKSet(new URL(`${sim.url}/_sim/oidc/jwks`));
      const { payload } = await jwtVerify(tokens.id_token!, jwks, {
        issuer: `${sim.url}/_sim/oidc`,
        audience: CLIENT.id,
      });
      expect(payload.sub).toBe('u-7');
      // The code is single use.
      await expect(
        oidc.authorizationCodeGrant(config, new URL(a.location), {
          pkceCodeVerifier: a.verifier,
          expectedState: a.state,
        }),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
    });
  });

  it('refuses a wrong PKCE verifier and a wrong client secret', async () => {
    await withSim(scenario as never, async (sim) => {
      const config = await register(sim);
      await post(sim, '/login', { sub: 'u1', groups: ['soc'] });
      const a = await authorize(config);
      await expect(
        oidc.authorizationCodeGrant(config, new URL(a.location), {
          pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
          expectedState: a.state,
        }),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
      const wrong = await oidc.discovery(
        new URL(`${sim.url}/_sim/oidc`),
        CLIENT.id,
        'not-the-secret-of-this-client',
        undefined,
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      const b = await authorize(config);
      await expect(
        oidc.authorizationCodeGrant(wrong, new URL(b.location), {
          pkceCodeVerifier: b.verifier,
          expectedState: b.state,
        }),
      ).rejects.toMatchObject({ error: 'invalid_client' });
    });
  });

  it('issues the broken tokens a test asks for: another issuer, another key under the same kid, expired', async () => {
    await withSim(scenario as never, async (sim) => {
      const config = await register(sim);
      const jwks = createRemoteJWKSet(new URL(`${sim.url}/_sim/oidc/jwks`));
      const idToken = async (token: Record<string, unknown>): Promise<string> => {
        await post(sim, '/login', { sub: 'u1', groups: ['soc'], token });
        const a = await authorize(config);
        const form = new URLSearchParams({
          grant_type: 'authorization_code',
          code: new URL(a.location).searchParams.get('code')!,
          redirect_uri: CALLBACK,
          code_verifier: a.verifier,
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
        });
        const res = await fetch(`${sim.url}/_sim/oidc/token`, { method: 'POST', body: form });
        expect(res.status).toBe(200);
        return ((await res.json()) as { id_token: string }).id_token;
      };
      const other = await idToken({ issuer: 'https://idp.other.example.test' });
      expect(decodeJwt(other).iss).toBe('https://idp.other.example.test');
      const foreign = await idToken({ signingKey: 'foreign' });
      await expect(jwtVerify(foreign, jwks)).rejects.toThrow(/signature/);
      const expired = await idToken({ expiresInSeconds: -120 });
      await expect(jwtVerify(expired, jwks)).rejects.toThrow(/exp/);
      const fine = await idToken({});
      await expect(jwtVerify(fine, jwks)).resolves.toBeTruthy();
    });
  });

  it('refuses bad login and client registrations with one line', async () => {
    await withSim(scenario as never, async (sim) => {
      const err = async (path: string, body: unknown) =>
        ((await (await post(sim, path, body)).json()) as { error: string }).error;
      expect(await err('/login', { groups: ['soc'] })).toMatch(/^sub: /);
      expect(await err('/login', { sub: 'u', groups: 'soc' })).toMatch(/^groups: /);
      expect(await err('/login', { sub: 'u', token: { signingKey: 'mine' } })).toMatch(/^token.signingKey/);
      expect(
        await err('/clients', { client_id: 'c', client_secret: 'short', redirect_uris: [CALLBACK] }),
      ).toMatch(/^client_secret: /);
    });
  });
});
