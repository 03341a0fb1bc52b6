/**
 * The approval endpoint over HTTP: served on a bks-sim port, signing analysts in at the simulator's
 * test OpenID Connect provider (authorization code + PKCE, openid-client on the relying party side),
 * with a session cookie, a CSRF token and the signed link as second factor. Every refusal says why
 * and changes nothing: the workflow is not resumed and the request stays pending.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Analyst, choicesOf, type Identity, type Page } from '../../local/approval';
import { type SimHandle, startSim } from '../../sim/server';
import {
  type ApprovalDecision,
  MemoryApprovalStore,
  requestApproval,
  TaskGoneError,
} from '../../src/pipeline/approval';
import { LOGIN_COOKIE, SESSION_COOKIE } from '../../src/pipeline/approval-auth';
import { type ApprovalHttpDeps, handleApprovalHttp } from '../../src/pipeline/approval-http';
import { normalize } from '../../src/pipeline/incident';
import { input, record } from './fixtures';

const TOKEN = `AQC${'t'.repeat(900)}-task-token-secret`;
const CLIENT = { id: 'bks-approval', secret: 'the-approval-client-secret-0123456789' };
const ALICE: Identity = { sub: 'alice@example.test', name: 'Alice Analyst', groups: ['soc', 'staff'] };
const CHOICES = [
  {
    id: 'ACCAQ7XKFIRSTKEY0001',
    alias: 'BedrockAPIKey-q7xk-at-123456789012',
    serviceName: 'bedrock.amazonaws.com',
    status: 'Active',
    createdAt: '2026-11-19T12:00:00Z',
  },
  {
    id: 'ACCAQ7XKSECONDKEY002',
    alias: 'BedrockAPIKey-q7xk+1-at-123456789012',
    serviceName: 'bedrock.amazonaws.com',
    status: 'Active',
    createdAt: '2026-08-01T09:00:00Z',
  },
];

let sim: SimHandle;
let store: MemoryApprovalStore;
let resumed: Array<{ token: string; output: ApprovalDecision }>;
let deps: ApprovalHttpDeps;
let link: string;
let approvalId: string;
let requests = 0;

async function newRequest(credentials: typeof CHOICES | null = CHOICES): Promise<void> {
  const sent: string[] = [];
  const out = await requestApproval(
    {
      taskToken: TOKEN,
      // A new incident per request (one incident gets one request).
      incident: {
        ...normalize(input('BKS-001', 'HIGH', record('console-create-bedrock-api-key'))),
        incidentId: `BKS-001:event-${++requests}`,
      },
      finding: { id: 'finding-1', title: 'New Bedrock API key' },
      enrichment: {
        ...(credentials ? { inventory: { credentials } } : {}),
        timeline: {
          events: 7,
          regions: ['us-east-1', 'us-west-2'],
          first: '2026-11-20T10:00:00Z',
          last: '2026-11-20T11:59:00Z',
          sourceIps: ['203.0.113.50'],
          userAgents: ['python-requests/2.32'],
          calls: [
            { region: 'us-west-2', model: 'anthropic.claude-3-haiku-20240307-v1:0', count: 5 },
            { region: 'us-east-1', model: 'anthropic.claude-3-haiku-20240307-v1:0', count: 2 },
          ],
          truncated: false,
        },
        errors: [],
      },
    },
    {
      store,
      baseUrl: deps.approvalUrl,
      now: deps.now,
      linkTtlSeconds: 3600,
      notify: async (_subject, message) => {
        sent.push(message);
      },
      endDuplicate: async () => {
        throw new Error('no duplicate run in these tests');
      },
    },
  );
  approvalId = out.approvalId;
  link = /https?:\/\/\S+\/_pipeline\/approve\?\S+/.exec(sent[0]!)![0];
}

beforeEach(async () => {
  sim = await startSim({ scenario: { accounts: [{ id: '123456789012' }] } });
  store = new MemoryApprovalStore();
  resumed = [];
  const approvalUrl = `${sim.url}/_pipeline/approve`;
  const r = await fetch(`${sim.url}/_sim/oidc/clients`, {
    method: 'POST',
    body: JSON.stringify({
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      redirect_uris: [`${approvalUrl}/callback`],
    }),
  });
  expect(r.status).toBe(200);
  deps = {
    store,
    now: () => new Date(),
    resume: async (token, output) => {
      resumed.push({ token, output });
    },
    oidc: async () => ({
      issuer: `${sim.url}/_sim/oidc`,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      allowedGroups: ['soc'],
    }),
    approvalUrl,
  };
  sim.mount('/_pipeline/approve', async (req) => {
    const res = await handleApprovalHttp(
      {
        method: req.method,
        path: req.url.pathname.slice('/_pipeline/approve'.length) || '/',
        query: Object.fromEntries(req.url.searchParams),
        body: req.body,
        contentType: String(req.headers['content-type'] ?? ''),
        cookies: typeof req.headers.cookie === 'string' ? [req.headers.cookie] : [],
        sourceIp: req.sourceIp,
      },
      deps,
    );
    return {
      status: res.statusCode,
      headers: { ...res.headers, ...(res.cookies ? { 'set-cookie': res.cookies } : {}) },
      body: res.body,
    };
  });
  await newRequest();
});

afterEach(async () => {
  await sim.close();
});

async function signedIn(
  who: Identity = ALICE,
  token?: Record<string, unknown>,
): Promise<{ b: Analyst; page: Page }> {
  const b = new Analyst(sim.url);
  await b.signIn(who, token);
  return { b, page: await b.request(link) };
}

async function unchanged(): Promise<void> {
  expect(resumed).toHaveLength(0);
  expect((await store.get(approvalId))?.status).toBe('PENDING');
}

describe('approval endpoint: sign-in', () => {
  it('opening the link signs the analyst in at the identity provider (code + PKCE), then shows the request', async () => {
    const b = new Analyst(sim.url);
    await b.signIn(ALICE);
    // The first answer is the redirect to the provider, with PKCE S256, state and nonce.
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(302);
    const to = new URL(first.headers.get('location')!);
    expect(to.origin + to.pathname).toBe(`${sim.url}/_sim/oidc/authorize`);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${deps.approvalUrl}/callback`);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    const login = first.headers.getSetCookie().find((c) => c.startsWith(`${LOGIN_COOKIE}=`))!;
    expect(login).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    expect(login).toContain('Path=/');
    // The whole flow in a cookie-keeping client.
    const page = await b.request(link);
    expect(page.status).toBe(200);
    expect(page.url).toBe(link);
    expect(page.html).toContain('Signed in as Alice Analyst (alice@example.test)');
    expect(page.html).toContain('name="csrf"');
    expect(page.html).not.toContain(TOKEN);
    await unchanged();
  });

  it('sets a short-lived session cookie: HttpOnly, Secure, SameSite=Lax', async () => {
    const b = new Analyst(sim.url);
    await b.signIn(ALICE);
    const first = await fetch(link, { redirect: 'manual' });
    const login = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const back = await fetch(first.headers.get('location')!, { redirect: 'manual' });
    const callback = await fetch(back.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie: login },
    });
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe(link);
    const session = callback.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(session).toMatch(/; Max-Age=900; HttpOnly; Secure; SameSite=Lax$/);
    // The login cookie is single use: replaying the callback is refused.
    const again = await fetch(back.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie: login },
    });
    expect(again.status).toBe(401);
  });

  it('with nobody signed in at the provider, nothing is shown and nothing changes', async () => {
    const b = new Analyst(sim.url);
    await fetch(`${sim.url}/_sim/oidc/login`, { method: 'DELETE' });
    const page = await b.request(link);
    expect(page.status).toBe(401);
    expect(page.url.startsWith(`${sim.url}/_sim/oidc/authorize`)).toBe(true);
    await unchanged();
  });

  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a token from another issuer', { issuer: 'https://idp.other.example.test' }, /not issued by http/],
    [
      'a token signed with another key',
      { signingKey: 'foreign' },
      /not signed by a key of the identity provider/,
    ],
    ['an expired token', { expiresInSeconds: -120 }, /expired/],
  ];
  for (const [what, token, why] of refusals) {
    it(`refuses ${what}, says why, and changes nothing`, async () => {
      const { page } = await signedIn(ALICE, token);
      expect(page.status).toBe(401);
      expect(page.html).toContain('Sign-in refused');
      expect(page.html).toMatch(why);
      expect(page.html).toContain('Nothing was recorded');
      await unchanged();
    });
  }

  it('refuses an analyst outside the allowed groups, naming the groups', async () => {
    const { page } = await signedIn({ sub: 'mallory@example.test', name: 'Mallory', groups: ['dev'] });
    expect(page.status).toBe(403);
    expect(page.html).toContain(
      'Mallory is not in a group allowed to approve (allowed: soc; the identity provider said: dev)',
    );
    await unchanged();
  });
});

describe('approval endpoint: deciding', () => {
  it('"this key only": the decision carries the verified approver and the credential id', async () => {
    const { b, page } = await signedIn();
    expect(choicesOf(page.html)).toEqual([
      `credential:${CHOICES[0]!.id}`,
      `credential:${CHOICES[1]!.id}`,
      'user',
      'reject',
    ]);
    const done = await b.submit(page, {
      choice: `credential:${CHOICES[1]!.id}`,
      reason: 'the key in the gist',
    });
    expect(done.status).toBe(200);
    expect(done.html).toContain('Decision recorded');
    expect(done.html).toContain(`revoke ${CHOICES[1]!.id} only`);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.token).toBe(TOKEN);
    expect(resumed[0]!.output).toMatchObject({
      decision: 'approve',
      by: 'Alice Analyst',
      approver: { issuer: `${sim.url}/_sim/oidc`, sub: 'alice@example.test', groups: ['soc', 'staff'] },
      scope: 'credentials',
      credentialIds: [CHOICES[1]!.id],
      reason: 'the key in the gist',
      via: 'approval-link',
      approvalId,
    });
  });

  it('every key of the user, and reject', async () => {
    const { b, page } = await signedIn();
    await b.submit(page, { choice: 'user', reason: 'both keys are in the repo' });
    expect(resumed[0]!.output).toMatchObject({ decision: 'approve', scope: 'user' });
    await newRequest();
    const second = await b.request(link);
    await b.submit(second, { choice: 'reject', reason: 'sanctioned test key' });
    expect(resumed[1]!.output).toMatchObject({ decision: 'reject' });
    expect(resumed[1]!.output.scope).toBeUndefined();
  });

  it('refuses a replayed link: a second POST is 409, the first decision stands; GET shows the decision', async () => {
    const { b, page } = await signedIn();
    await b.submit(page, { choice: 'reject', reason: 'expected test key' });
    const replay = await b.submit(page, {
      choice: `credential:${CHOICES[0]!.id}`,
      reason: 'changed my mind',
    });
    expect(replay.status).toBe(409);
    expect(replay.html).toContain('a link decides once');
    expect(resumed).toHaveLength(1);
    const view = await b.request(link);
    expect(view.status).toBe(200);
    expect(view.html).toContain('reject: revoke nothing');
  });

  it('after the decision: reloads until the workflow reports, says UNKNOWN when it stays silent, then shows what it did', async () => {
    const { b, page } = await signedIn();
    const decided = await b.submit(page, { choice: 'reject', reason: 'expected test key' });
    expect(decided.html).toContain('The workflow is acting on the decision');
    expect(decided.html).toMatch(/<meta http-equiv="refresh" content="3;url=[^"]+">/);
    const real = deps.now;
    try {
      // Eleven minutes later, no report: the page does not pretend progress.
      deps.now = () => new Date(real().getTime() + 11 * 60_000);
      const silent = await b.request(link);
      expect(silent.html).toContain(
        'UNKNOWN: the workflow has not reported what it did, 11 minutes after the decision.',
      );
      expect(silent.html).toMatch(/<meta http-equiv="refresh" content="30;url=[^"]+">/);
      await store.recordResult(approvalId, {
        stage: 'rejected',
        note: 'Revocation rejected: by Alice Analyst.',
        actions: [],
        verified: false,
        manualAction: false,
        at: deps.now().toISOString(),
      });
      const reported = await b.request(link);
      expect(reported.html).toContain('Rejected: nothing changed');
      expect(reported.html).toContain('<blockquote>Revocation rejected: by Alice Analyst.</blockquote>');
      expect(reported.html).not.toContain('http-equiv="refresh"');
    } finally {
      deps.now = real;
    }
  });

  it('refuses a tampered choice: a credential id not of this user, an alias, a typed name', async () => {
    const { b, page } = await signedIn();
    for (const [fields, why] of [
      [{ choice: 'credential:ACCANOTACREDENTIAL01', reason: 'x' }, 'is not a credential of BedrockAPIKey-'],
      [{ choice: 'credential:ABSK-not-an-id', reason: 'x' }, 'is not a credential of'],
      [{ choice: 'credential:', reason: 'x' }, 'choose what to do'],
      [{ choice: 'everything', reason: 'x' }, 'choose what to do'],
      [{ reason: 'x' }, 'choose what to do'],
      [{ choice: 'target', reason: 'x' }, 'among the listed ones'],
      [{ choice: `credential:${CHOICES[0]!.id}`, reason: '' }, 'Give a reason'],
      [{ choice: 'user', reason: 'x', key: 'BedrockAPIKey-q7xk+1-at-123456789012' }, 'credential id'],
      [{ choice: 'user', reason: 'x', by: 'Somebody Else' }, 'comes from the sign-in'],
    ] as Array<[Record<string, string>, string]>) {
      const res = await b.submit(page, fields);
      expect(res.status).toBe(400);
      expect(res.html).toContain(why);
      expect(res.html).toContain('Nothing was recorded');
    }
    await unchanged();
  });

  it('refuses a POST without the CSRF token, or with another session’s, or without a session', async () => {
    const { b, page } = await signedIn();
    const other = await signedIn({ sub: 'bob@example.test', name: 'Bob', groups: ['soc'] });
    const theirs = /name="csrf" value="([^"]*)"/.exec(other.page.html)![1]!;
    const post = (body: string) => b.request(link, { method: 'POST', body });
    expect((await post(new URLSearchParams({ choice: 'reject', reason: 'x' }).toString())).status).toBe(403);
    expect(
      (await post(new URLSearchParams({ csrf: theirs, choice: 'reject', reason: 'x' }).toString())).status,
    ).toBe(403);
    const csrf = /name="csrf" value="([^"]*)"/.exec(page.html)![1]!;
    const stranger = new Analyst(sim.url);
    const cold = await stranger.request(link, {
      method: 'POST',
      body: new URLSearchParams({ csrf, choice: 'reject', reason: 'x' }).toString(),
    });
    expect(cold.status).toBe(401);
    expect(cold.html).toContain('sign-in is missing or expired');
    await unchanged();
  });

  it('refuses forged links before any sign-in, and expired ones', async () => {
    const b = new Analyst(sim.url);
    await b.signIn(ALICE);
    const u = new URL(link);
    const sig = u.searchParams.get('sig')!;
    for (const [k, v] of [
      ['sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)],
      ['exp', String(Number(u.searchParams.get('exp')) + 86_400)],
      ['sig', ''],
    ] as const) {
      const forged = new URL(link);
      forged.searchParams.set(k, v);
      const res = await fetch(forged, { redirect: 'manual' });
      expect([400, 403]).toContain(res.status);
    }
    deps.now = () => new Date(Date.now() + 3601_000);
    expect((await b.request(link)).status).toBe(410);
    await unchanged();
  });

  it('refuses other methods', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(link, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST');
    }
    await unchanged();
  });

  it('when the user’s keys could not be read, only the detected target, every key or reject are offered', async () => {
    await newRequest(null);
    const { b, page } = await signedIn();
    expect(choicesOf(page.html)).toEqual(['user', 'target', 'reject']);
    const res = await b.submit(page, { choice: `credential:${CHOICES[0]!.id}`, reason: 'x' });
    expect(res.status).toBe(400);
    expect(res.html).toContain('could not be read');
    await b.submit(page, { choice: 'target', reason: 'the detected key' });
    expect(resumed[0]!.output).toMatchObject({ decision: 'approve' });
    expect(resumed[0]!.output.scope).toBeUndefined();
  });

  it('answers 410 when the workflow stopped waiting, and releases the claim on a transient failure', async () => {
    const { b, page } = await signedIn();
    deps.resume = async () => {
      throw new Error('network');
    };
    expect((await b.submit(page, { choice: 'reject', reason: 'x' })).status).toBe(503);
    expect((await store.get(approvalId))?.status).toBe('PENDING');
    deps.resume = async () => {
      throw new TaskGoneError('TaskTimedOut');
    };
    expect((await b.submit(page, { choice: 'reject', reason: 'x' })).status).toBe(410);
  });
});
