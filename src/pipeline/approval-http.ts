/**
 * The approval endpoint (the Lambda function URL on AWS, `/_pipeline/approve` in `bks-sim
 * --pipeline`): the signed link names the request, the organization's identity provider names the
 * analyst. `GET <link>` signs the analyst in (OIDC, see ./approval-auth.ts) and shows the request;
 * `POST <link>` with the session and its CSRF token records the decision and resumes the workflow;
 * `GET <base>/callback` is the provider's redirect back. Every refusal says why and changes nothing.
 */
import { escapeHtml as esc } from '../util/html';
import {
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovalStore,
  CREDENTIAL_ID,
  type Resume,
  TaskGoneError,
  verifySignature,
} from './approval';
import { type Approver, ApproverAuth, type OidcSettings, parseCookies, type Session } from './approval-auth';
import { decidedPage, requestPage } from './approval-page';

export interface HttpRequest {
  method: string;
  /** The path below the approval URL: `/` (the page) or `/callback` (the provider's redirect back). */
  path: string;
  query: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  sourceIp?: string;
  /** The request's cookies (Lambda's `cookies`, or the `Cookie` header). */
  cookies?: string[];
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** `Set-Cookie` values (Lambda's `cookies`). */
  cookies?: string[];
}

export interface ApprovalHttpDeps {
  store: ApprovalStore;
  resume: Resume;
  now: () => Date;
  /** The identity provider (read once per process on AWS: the client secret is in Secrets Manager). */
  oidc: () => Promise<OidcSettings>;
  /** The approval URL the links point to; the provider redirects back to `<approvalUrl>/callback`. */
  approvalUrl: string;
}

/** Self-contained pages: no script, no external asset, no framing, nothing cached or referred. */
export const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const STYLE =
  'body{font:16px/1.45 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#111;overflow-wrap:anywhere}' +
  'h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.4rem}table{border-collapse:collapse;width:100%}' +
  'td,th{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #ddd;vertical-align:top;overflow-wrap:anywhere}' +
  'th{overflow-wrap:normal;white-space:nowrap}' +
  '.verdict{padding:.6rem .8rem;border-radius:.4rem;background:#fde8e8;border:1px solid #d33}' +
  '.ok{background:#e7f6ea;border-color:#2a7}.warn{background:#fff4db;border-color:#c80}' +
  'fieldset{border:1px solid #bbb;border-radius:.4rem;min-width:0}label.choice{display:block;padding:.45rem 0}' +
  'textarea{width:100%;box-sizing:border-box}button{font-size:1rem;padding:.6rem 1.2rem;margin-top:.6rem}' +
  'code{overflow-wrap:anywhere}ol li{margin:.2rem 0}.muted{color:#555;font-size:.9rem}';

export function page(
  statusCode: number,
  title: string,
  inner: string,
  opts: { cookies?: string[]; refresh?: string; headers?: Record<string, string> } = {},
): HttpResponse {
  const refresh = opts.refresh ? `<meta http-equiv="refresh" content="${esc(opts.refresh)}">` : '';
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, ...(opts.headers ?? {}) },
    body:
      '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      // No icon to fetch: the page makes no request besides itself.
      '<link rel="icon" href="data:,">' +
      `${refresh}<title>${esc(title)}</title><style>${STYLE}</style></head>` +
      `<body><h1>${esc(title)}</h1>${inner}</body></html>`,
    ...(opts.cookies ? { cookies: opts.cookies } : {}),
  };
}

const NOTHING_DONE = 'Nothing was recorded and nothing was revoked.';

function refusal(
  statusCode: number,
  title: string,
  reason: string,
  opts: { cookies?: string[]; after?: string } = {},
): HttpResponse {
  return page(
    statusCode,
    title,
    `<p>${esc(reason)}</p><p class="muted">${opts.after ?? esc(NOTHING_DONE)}</p>`,
    {
      ...(opts.cookies ? { cookies: opts.cookies } : {}),
    },
  );
}

/** What the analyst can do after a refused sign-in, by its status. */
const SIGN_IN_NEXT: Record<number, string> = {
  401: 'Open the approval link again; if this happens again, tell whoever runs the pipeline: its sign-in settings may be wrong, or someone is forging sign-ins.',
  403: 'Forward the link to an analyst in an allowed group, or ask your identity team to add you to one.',
};

/** A second decision on a decided request: it changes nothing, and the first one can be looked at. */
function alreadyDecided(link: string): HttpResponse {
  return refusal(
    409,
    'Already decided',
    'A decision was already recorded for this request: a link decides once.',
    {
      after: `This form changed nothing. <a href="${esc(link)}">See the recorded decision and what was done</a>.`,
    },
  );
}

function parseBody(req: HttpRequest): URLSearchParams {
  const body = req.body ?? '';
  if ((req.contentType ?? '').includes('application/json')) {
    const out = new URLSearchParams();
    try {
      for (const [k, v] of Object.entries(JSON.parse(body) as Record<string, unknown>))
        for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string') out.append(k, x);
    } catch {
      // An unparsable body names nothing: the checks below refuse it.
    }
    return out;
  }
  return new URLSearchParams(body);
}

type Covered = { scope?: 'credentials' | 'user'; credentialIds?: string[] };

/**
 * What the analyst chose (one radio button `choice`): `credential:<id>` (this key only), `user`
 * (every key of the user), `target` (the incident's own target, when the user's keys could not be
 * listed) or `reject`. A credential that is not one of the incident user's is refused.
 */
export function readChoice(
  record: ApprovalRecord,
  choice: string,
): { decision: 'approve' | 'reject'; covered: Covered } | { refused: string } {
  if (choice === 'reject') return { decision: 'reject', covered: {} };
  if (choice === 'target') {
    if (record.credentials && record.credentials.length > 0)
      return { refused: 'choose the keys to revoke among the listed ones.' };
    return { decision: 'approve', covered: {} };
  }
  if (choice === 'user') {
    if (!record.userName)
      return { refused: 'this incident names no IAM user: "every key of the user" does not apply.' };
    return { decision: 'approve', covered: { scope: 'user' } };
  }
  const id = choice.startsWith('credential:') ? choice.slice('credential:'.length) : '';
  if (!id) return { refused: 'choose what to do: one key, every key of the user, or reject.' };
  const known = new Set((record.credentials ?? []).map((c) => c.id));
  if (!CREDENTIAL_ID.test(id) || !known.has(id))
    return {
      refused: record.credentials
        ? `credential ${id.slice(0, 128)} is not a credential of ${record.userName ?? 'the incident user'}.`
        : 'the credentials of the incident user could not be read when the request was made: approve the incident target or every key of the user, or reject.',
    };
  return { decision: 'approve', covered: { scope: 'credentials', credentialIds: [id] } };
}

/** The link's query string, as the analyst opened it (id, exp, sig and nothing else). */
function linkQuery(q: Record<string, string | undefined>): string {
  return new URLSearchParams({ id: q['id'] ?? '', exp: q['exp'] ?? '', sig: q['sig'] ?? '' }).toString();
}

/** The approval endpoint. */
export async function handleApprovalHttp(req: HttpRequest, deps: ApprovalHttpDeps): Promise<HttpResponse> {
  const method = req.method.toUpperCase();
  const path = req.path === '' ? '/' : req.path;
  if (path !== '/' && path !== '/callback') return refusal(404, 'Not found', 'There is no such page here.');
  if (method !== 'GET' && (method !== 'POST' || path === '/callback')) {
    return page(405, 'Method not allowed', '<p>Open the link (GET) to view; the form (POST) decides.</p>', {
      headers: { allow: path === '/' ? 'GET, POST' : 'GET' },
    });
  }
  const key = await deps.store.signingKey();
  const base = deps.approvalUrl.replace(/\/$/, '');
  const auth = new ApproverAuth(await deps.oidc(), key, deps.now, `${base}/callback`);
  const cookies = parseCookies(req.cookies);

  if (path === '/callback') {
    const done = await auth.finish(new URLSearchParams(req.query as Record<string, string>), cookies);
    if (!done.ok)
      return refusal(done.status, 'Sign-in refused', done.reason, {
        cookies: done.cookies,
        after: esc(`${NOTHING_DONE} ${SIGN_IN_NEXT[done.status] ?? ''}`.trim()),
      });
    return {
      statusCode: 303,
      headers: {
        ...SECURITY_HEADERS,
        location: `${deps.approvalUrl}${deps.approvalUrl.includes('?') ? '&' : '?'}${done.back}`,
      },
      body: '',
      cookies: done.cookies,
    };
  }

  // The link first (the second factor): nobody is sent to sign in for a link that cannot be used.
  const { id, exp, sig } = req.query;
  const expN = Number(exp);
  if (!id || !sig || !exp || !Number.isInteger(expN))
    return refusal(400, 'Bad link', 'The link is incomplete.');
  if (!verifySignature(key, id, expN, sig))
    return refusal(403, 'Invalid link', 'The link signature is invalid.');
  const nowS = Math.floor(deps.now().getTime() / 1000);
  const record = await deps.store.get(id);
  const link = `${deps.approvalUrl}${deps.approvalUrl.includes('?') ? '&' : '?'}${linkQuery(req.query)}`;
  if (record?.status === 'DECIDED' && method === 'POST') return alreadyDecided(link);
  if (record?.status !== 'DECIDED' && (expN <= nowS || !record || record.expiresAt <= nowS))
    return refusal(410, 'Link expired', 'This approval link has expired or its request no longer exists.');
  if (!record) return refusal(410, 'Link expired', 'This request no longer exists.');

  const session = auth.session(cookies);
  if (!session) {
    if (method === 'POST')
      return refusal(
        401,
        'Not signed in',
        'Your sign-in is missing or expired: open the approval link again.',
      );
    const login = await auth.start(linkQuery(req.query));
    return {
      statusCode: 302,
      headers: { ...SECURITY_HEADERS, location: login.location },
      body: '',
      cookies: login.cookies,
    };
  }
  const outside = auth.notAllowed(session);
  if (outside) return refusal(403, 'Not allowed', outside);
  if (record.status === 'DECIDED') return decidedPage(record, link, deps.now());
  if (method === 'GET') return requestPage(record, { session, csrf: auth.csrf(session, id), action: link });
  return decide(req, deps, record, auth, session, link);
}

async function decide(
  req: HttpRequest,
  deps: ApprovalHttpDeps,
  record: ApprovalRecord,
  auth: ApproverAuth,
  session: Session,
  link: string,
): Promise<HttpResponse> {
  const form = parseBody(req);
  if (!auth.checkCsrf(session, record.id, form.get('csrf') ?? undefined))
    return refusal(
      403,
      'Form refused',
      'The form does not carry this session’s CSRF token: reload the approval link.',
    );
  if (form.has('key') || form.has('by'))
    return refusal(
      400,
      'Bad request',
      'Keys are chosen by credential id among the listed ones, and who decides comes from the sign-in.',
    );
  const chosen = readChoice(record, (form.get('choice') ?? '').trim());
  if ('refused' in chosen) return refusal(400, 'Choice refused', chosen.refused);
  const reason = (form.get('reason') ?? '').trim();
  if (!reason || reason.length > 1000)
    return refusal(400, 'Reason needed', 'Give a reason (1 to 1000 characters).');
  const approver: Approver = {
    issuer: session.issuer,
    sub: session.sub,
    ...(session.name ? { name: session.name } : {}),
    groups: session.groups,
  };
  const outcome: ApprovalDecision = {
    decision: chosen.decision,
    by: session.name ?? session.sub,
    approver,
    at: deps.now().toISOString(),
    reason,
    via: 'approval-link',
    approvalId: record.id,
    ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
    ...chosen.covered,
  };
  const claimed = await deps.store.claim(record.id, outcome);
  if (!claimed) return alreadyDecided(link);
  try {
    await deps.resume(claimed.taskToken, outcome);
  } catch (err) {
    if (err instanceof TaskGoneError)
      return page(
        410,
        'No longer waiting',
        '<p>The workflow stopped waiting (timed out or ended): your decision was recorded but changed nothing.</p>',
      );
    await deps.store.release(record.id);
    return refusal(503, 'Try again', 'The decision could not be delivered to the workflow.');
  }
  return decidedPage({ ...claimed, decision: outcome }, link, deps.now());
}
