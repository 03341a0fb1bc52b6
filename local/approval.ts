/**
 * The approval endpoint served by a local pipeline, wired as the CDK app wires it on AWS: the real
 * handler (`handlers/approval-api.ts`) behind `/_pipeline/approve` on the simulator's port, signing
 * analysts in at the simulator's test OpenID Connect provider (`/_sim/oidc`), with its client
 * registered there and the client secret in the simulator's Secrets Manager. And a scripted analyst
 * (`Analyst`): a cookie-keeping HTTP client that follows the real redirects, for tests and the demo.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handler as approvalApi, resetApprovalSettings } from '../handlers/approval-api';
import type { MountRequest, MountResponse, SimHandle } from '../sim/server';

export const APPROVAL_PATH = '/_pipeline/approve';
export const OIDC_CLIENT_ID = 'bks-approval';

export interface ServeApprovalOptions {
  /** Runs each invocation of the endpoint's handler (as its deployed function role, in local runs). */
  invoke?: <T>(run: () => Promise<T>) => Promise<T>;
  /** Where the secret is created (the security account's credentials and home region). */
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Groups allowed to approve. @default ['soc'] */
  allowedGroups?: string[];
  /** Name of the client secret. @default 'bks-approval-oidc' */
  secretName?: string;
  /** The endpoint's OIDC client id. @default OIDC_CLIENT_ID */
  clientId?: string;
}

/**
 * Registers the approval endpoint as a client of the simulator's OIDC provider, stores its secret,
 * mounts the handler and returns the environment the functions need (merge it into `process.env`)
 * and the function that unmounts it.
 */
export async function serveApproval(
  sim: SimHandle,
  opts: ServeApprovalOptions,
): Promise<{ approvalUrl: string; env: Record<string, string>; stop: () => void }> {
  const approvalUrl = `${sim.url}${APPROVAL_PATH}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const clientId = opts.clientId ?? OIDC_CLIENT_ID;
  const registered = await fetch(`${sim.url}/_sim/oidc/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${approvalUrl}/callback`],
    }),
  });
  if (!registered.ok)
    throw new Error(`the test OIDC provider refused the client: ${await registered.text()}`);
  const sm = new SecretsManagerClient({
    endpoint: sim.url,
    region: opts.region,
    credentials: { ...opts.credentials },
    maxAttempts: 2,
  });
  let secretArn: string;
  try {
    const made = await sm.send(
      new CreateSecretCommand({ Name: opts.secretName ?? 'bks-approval-oidc', SecretString: clientSecret }),
    );
    secretArn = made.ARN!;
  } finally {
    sm.destroy();
  }
  resetApprovalSettings();
  const invoke = opts.invoke ?? (<T>(run: () => Promise<T>) => run());
  const unmount = sim.mount(APPROVAL_PATH, (req) => invoke(() => serve(req)));
  return {
    approvalUrl,
    env: {
      BKS_APPROVAL_URL: approvalUrl,
      BKS_OIDC_ISSUER: `${sim.url}/_sim/oidc`,
      BKS_OIDC_CLIENT_ID: clientId,
      BKS_OIDC_CLIENT_SECRET_ARN: secretArn,
      BKS_APPROVER_GROUPS: (opts.allowedGroups ?? ['soc']).join(','),
    },
    stop: () => {
      unmount();
      resetApprovalSettings();
    },
  };
}

/** One request to the endpoint, as a Lambda function URL event (payload 2.0, cookies apart). */
async function serve(req: MountRequest): Promise<MountResponse> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const cookies = typeof req.headers['cookie'] === 'string' ? req.headers['cookie'].split(/;\s*/) : [];
  delete headers['cookie'];
  const res = (await approvalApi({
    version: '2.0',
    requestContext: {
      requestId: `local-${Date.now()}`,
      domainName: req.url.host,
      http: { method: req.method, path: req.url.pathname, sourceIp: req.sourceIp },
    },
    rawPath: req.url.pathname,
    rawQueryString: req.url.search.slice(1),
    queryStringParameters: Object.fromEntries(req.url.searchParams),
    headers,
    cookies,
    body: req.body,
    isBase64Encoded: false,
  } as never)) as {
    statusCode?: number;
    headers?: Record<string, string>;
    body?: string;
    cookies?: string[];
  };
  return {
    status: res.statusCode ?? 200,
    headers: { ...(res.headers ?? {}), ...(res.cookies?.length ? { 'set-cookie': res.cookies } : {}) },
    body: res.body ?? '',
  };
}

/** Who signs in at the test provider. */
export interface Identity {
  sub: string;
  name?: string;
  groups: string[];
}

export interface Page {
  status: number;
  url: string;
  html: string;
}

/**
 * A scripted analyst's browser: keeps cookies (as a browser does for the endpoint's host, Secure
 * included: the simulator is on the loopback interface), follows redirects, submits forms.
 */
export class Analyst {
  private jar = new Map<string, string>();

  constructor(readonly simUrl: string) {}

  /** Signs `who` in at the simulator's provider (the provider's own session, not the endpoint's). */
  async signIn(who: Identity, token?: Record<string, unknown>): Promise<void> {
    const r = await fetch(`${this.simUrl}/_sim/oidc/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...who, ...(token ? { token } : {}) }),
    });
    if (!r.ok) throw new Error(`sign-in at the test provider failed: ${await r.text()}`);
  }

  /** Drops the endpoint's cookies (a new browser). */
  forget(): void {
    this.jar.clear();
  }

  async request(url: string, init: { method?: string; body?: string } = {}): Promise<Page> {
    let current = url;
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; hop < 10; hop++) {
      const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const i = pair!.indexOf('=');
        const name = pair!.slice(0, i).trim();
        const value = pair!.slice(i + 1).trim();
        if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name);
        else this.jar.set(name, value);
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).toString();
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: res.status, url: current, html: await res.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the approval form of `page` with `fields` (the page's own CSRF token added). */
  async submit(page: Page, fields: Record<string, string>): Promise<Page> {
    const csrf = /name="csrf" value="([^"]*)"/.exec(page.html)?.[1];
    const action = /<form method="post" action="([^"]*)"/.exec(page.html)?.[1]?.replace(/&amp;/g, '&');
    if (!action) throw new Error(`the page has no approval form (HTTP ${page.status})`);
    const body = new URLSearchParams({ ...(csrf ? { csrf } : {}), ...fields }).toString();
    return this.request(action, { method: 'POST', body });
  }
}

/** The radio values the approval form offers (`credential:<id>`, `user`, `target`, `reject`). */
export function choicesOf(html: string): string[] {
  return [...html.matchAll(/name="choice" value="([^"]*)"/g)].map((m) => m[1]!);
}

/** The radio value of the key the detection named (`credential:<id>`), when the page marks one. */
export function detectedChoice(html: string): string | undefined {
  const label = html.split('<label class="choice">').find((l) => l.includes('the detected key'));
  return label ? /name="choice" value="([^"]*)"/.exec(label)?.[1] : undefined;
}
