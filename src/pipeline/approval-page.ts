/**
 * What the analyst reads before and after deciding: verdict and severity first, then the key, the
 * user, the account, where and when it was used, the signals that fired, the exact plan each choice
 * executes, and the choices themselves (one radio button per key of the user, every key, or reject).
 * Plain HTML with inline style: no script, no external asset, readable on a phone, and never a
 * secret (the record holds ids, aliases and counts only).
 */
import { DENY_POLICY_NAME, namespaceActions } from '../response/policies';
import { SERVICES, serviceById } from '../services';
import { escapeHtml as esc } from '../util/html';
import type { ApprovalRecord, CredentialChoice } from './approval';
import type { Session } from './approval-auth';
import { type HttpResponse, page } from './approval-http';
import { describeTarget, type Incident } from './incident';

function age(iso: string | undefined, now: Date): string {
  if (!iso) return 'age UNKNOWN';
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return 'age UNKNOWN';
  const days = Math.floor(ms / 86_400_000);
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'} old`;
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 1 ? `${hours} h old` : `${Math.max(0, Math.floor(ms / 60_000))} min old`;
}

function rows(pairs: Array<[string, string | undefined]>): string {
  return `<table>${pairs
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`)
    .join('')}</table>`;
}

function list(values: string[] | undefined, empty: string): string {
  return values && values.length > 0
    ? values.map((v) => esc(v)).join('<br>')
    : `<span class="muted">${esc(empty)}</span>`;
}

/** The user's other doors a revocation closes when it is a console phantom user (revoke-key's plan). */
function phantomSteps(record: ApprovalRecord, user: string): string[] {
  const u = record.context?.user;
  if (!u) {
    const prefixed = SERVICES.filter((s) => user.startsWith(s.phantomUserPrefix));
    if (prefixed.length === 0)
      return [
        `Whether ${user} is a console phantom user is UNKNOWN (enrichment could not read it): if it is, also set its IAM access keys to Inactive and delete a console password added to it (that cannot be undone).`,
      ];
  }
  const of = u?.phantomOf ?? SERVICES.filter((s) => user.startsWith(s.phantomUserPrefix)).map((s) => s.id);
  if (of.length === 0)
    return [
      `${user} is not a console phantom user: its IAM access keys and console password are left as they are.`,
    ];
  const names = of.map((id) => serviceById(id).displayName).join(', ');
  const keys = u?.activeAccessKeys;
  const out = [
    `${user} is a console phantom user (${names}): set every IAM access key of it to Inactive, a second door with the same permissions${
      keys === undefined ? '' : keys === 0 ? ' (none is active now)' : ` (${keys} active now)`
    }.`,
  ];
  if (u?.consolePassword !== false)
    out.push(
      u?.consolePassword
        ? `Delete the console password added to ${user} (it cannot be restored: IAM never returns a password).`
        : `If a console password was added to ${user}, delete it (it cannot be restored: IAM never returns a password).`,
    );
  return out;
}

/** The services the user's keys belong to, and the ones it is the phantom of: what the deny covers. */
function denied(record: ApprovalRecord): string[] {
  const held = SERVICES.filter((s) =>
    (record.credentials ?? []).some((c) => c.serviceName === s.sscServiceName),
  );
  const of = (record.context?.user?.phantomOf ?? []).map((id) => serviceById(id));
  return namespaceActions([...new Set([...held, ...of])]);
}

/**
 * The steps a choice executes, in the order the workflow's revoke step runs them (bks revoke-key's
 * plan, src/response/revoke.ts), from what enrichment read when the request was made.
 */
export function planSteps(
  record: ApprovalRecord,
  choice: 'credential' | 'user' | 'target',
  cred?: CredentialChoice,
): string[] {
  const inc = record.incident;
  const user = record.userName;
  const account = inc?.account ?? 'the incident account';
  const after = [
    'Read the user back from IAM and verify every key the plan touched is now Inactive (else: manual action needed).',
    'Write a restore record (bks restore undoes every change but a deleted password) and close the Security Hub finding with a note saying what was done, by whom and why.',
  ];
  if (choice === 'credential' && cred && user) {
    const others = (record.credentials ?? []).filter((c) => c.id !== cred.id).length;
    return [
      `Set API key ${cred.id}${cred.alias ? ` (${cred.alias})` : ''} of IAM user ${user} in ${account} to Inactive (UpdateServiceSpecificCredential; nothing is deleted)${
        others > 0
          ? `; the user's ${others} other API key${others === 1 ? '' : 's'} stay${others === 1 ? 's' : ''} as ${others === 1 ? 'it is' : 'they are'}`
          : ''
      }.`,
      ...phantomSteps(record, user),
      ...after,
    ];
  }
  if (choice === 'user' && user) {
    const n = (record.credentials ?? []).length;
    const deny = denied(record);
    return [
      `Set every API key (service-specific credential) of IAM user ${user} in ${account} to Inactive${record.credentials ? ` (${n} now)` : ''}.`,
      ...phantomSteps(record, user),
      deny.length > 0
        ? `Put the inline policy ${DENY_POLICY_NAME} on ${user}, denying ${deny.join(', ')} to every credential of the user, even one made after this decision.`
        : `Put the inline policy ${DENY_POLICY_NAME} on ${user}, denying the API keys' services to every credential of the user.`,
      ...after,
    ];
  }
  return [
    `Revoke the incident target as detected: ${inc ? describeTarget(inc.target) : 'UNKNOWN'} in ${account}.`,
    ...after,
  ];
}

/** IAM reports no last use per API key; the user's last call (from the timeline) is the best bound. */
function lastUse(record: ApprovalRecord): string {
  const last = record.context?.timeline?.last;
  return last
    ? `the user's last call ${last} (IAM does not report use per API key)`
    : 'UNKNOWN (IAM does not report use per API key)';
}

function choices(record: ApprovalRecord, now: Date): string {
  // The plan of the detected key is open: what the analyst most likely approves is read, not clicked to.
  const radio = (value: string, label: string, plan: string[], open = false) =>
    `<label class="choice"><input type="radio" name="choice" value="${esc(value)}" required> ${label}</label>` +
    `<details${open ? ' open' : ''}><summary class="muted">What this does, step by step</summary><ol class="plan">${plan
      .map((s) => `<li>${esc(s)}</li>`)
      .join('')}</ol></details>`;
  const creds = record.credentials ?? [];
  const t = record.incident?.target;
  const detectedId = t?.kind === 'service-credential' ? t.credentialId : undefined;
  const keyRadios = creds.map((c) =>
    radio(
      `credential:${c.id}`,
      `<strong>This key only</strong>${c.id === detectedId ? ' — <em>the detected key</em>' : ''}: <code>${esc(c.id)}</code>${c.alias ? ` (${esc(c.alias)})` : ''} — ${esc(c.status)}, ${esc(age(c.createdAt, now))}${c.createdAt ? ` (created ${esc(c.createdAt)})` : ''}${c.expiresAt ? `, expires ${esc(c.expiresAt)}` : ', no expiry'}; last use: ${esc(lastUse(record))}`,
      planSteps(record, 'credential', c),
      c.id === detectedId,
    ),
  );
  const phantom = (record.context?.user?.phantomOf.length ?? 0) > 0;
  const userRadio = record.userName
    ? [
        radio(
          'user',
          `<strong>Every key of ${esc(record.userName)}</strong> (${phantom ? 'API keys, access keys and console password' : 'API keys'}, and a deny policy)`,
          planSteps(record, 'user'),
        ),
      ]
    : [];
  const targetRadio =
    creds.length === 0
      ? [
          radio(
            'target',
            `<strong>The incident target as detected</strong>${record.credentials ? '' : ' (the user’s keys could not be listed)'}`,
            planSteps(record, 'target'),
          ),
        ]
      : [];
  const reject = radio('reject', '<strong>Reject</strong>: revoke nothing, close the finding as reviewed', [
    'Change nothing in IAM.',
    'Close the Security Hub finding with a note saying who rejected and why.',
  ]);
  return `<fieldset><legend>Your decision</legend>${[...keyRadios, ...userRadio, ...targetRadio, reject].join('')}</fieldset>`;
}

function facts(record: ApprovalRecord): string {
  const inc: Incident | undefined = record.incident;
  const ctx = record.context;
  const tl = ctx?.timeline;
  const t = inc?.target;
  const detected = t?.kind === 'service-credential' ? t.credentialId : undefined;
  const alias = record.credentials?.find((c) => c.id === detected)?.alias;
  const calls = tl?.calls?.length
    ? `<table><tr><th>Region</th><th>Model</th><th>Calls</th></tr>${tl.calls
        .map(
          (c) => `<tr><td>${esc(c.region)}</td><td><code>${esc(c.model)}</code></td><td>${c.count}</td></tr>`,
        )
        .join('')}</table>`
    : `<p class="muted">${tl ? 'No model calls in the timeline window.' : 'Timeline UNKNOWN: enrichment could not read it.'}</p>`;
  return (
    '<h2>The key</h2>' +
    rows([
      ['Key', inc ? esc(describeTarget(inc.target)) : esc(record.title)],
      ['Alias', alias ? esc(alias) : undefined],
      ['User', record.userName ? esc(record.userName) : undefined],
      ['Account', inc ? `<code>${esc(inc.account)}</code>` : undefined],
      ['Regions', tl ? list(tl.regions, 'none') : 'UNKNOWN'],
      ['First seen', tl?.first ? esc(tl.first) : 'UNKNOWN'],
      ['Last seen', tl?.last ? esc(tl.last) : 'UNKNOWN'],
      [
        'Detected event',
        inc ? esc(`${inc.eventName} (${inc.eventSource}) at ${inc.eventTime} in ${inc.region}`) : undefined,
      ],
      ['Actor', inc ? esc(inc.principal.arn) : undefined],
    ]) +
    `<h2>Calls per region and model${tl?.truncated ? ' (window truncated)' : ''}</h2>${calls}` +
    '<h2>Where from</h2>' +
    rows([
      ['Source IPs', tl ? list(tl.sourceIps, 'none recorded') : 'UNKNOWN'],
      ['User agents', tl ? list(tl.userAgents, 'none recorded') : 'UNKNOWN'],
    ]) +
    signalsSection(record) +
    (ctx?.errors?.length ? `<p class="verdict warn">Partly UNKNOWN: ${esc(ctx.errors.join('; '))}</p>` : '')
  );
}

/** Every signal of the incident, one row per rule, as read when the page renders (approval-signals.ts). */
function signalsSection(record: ApprovalRecord): string {
  const ctx = record.context;
  const rows = (ctx?.signals ?? [])
    .map(
      (s) =>
        `<tr><td><code>${esc(s.ruleId)}</code></td><td>${esc(s.title ?? '')}</td><td>${esc(s.severity)}</td>` +
        `<td>${esc(s.first)}</td><td>${esc(s.last)}</td><td>${s.count}</td><td>${esc(s.regions.join(', '))}</td></tr>`,
    )
    .join('');
  return (
    '<h2>Signals that fired</h2>' +
    (ctx?.escalatedTo
      ? `<p class="verdict warn">Escalated: a later signal raised this incident to <strong>${esc(ctx.escalatedTo)}</strong>.</p>`
      : '') +
    (rows
      ? `<table class="signals"><tr><th>Rule</th><th>Title</th><th>Severity</th><th>First</th><th>Last</th><th>Count</th><th>Regions</th></tr>${rows}</table>`
      : '<p class="muted">No signal recorded.</p>') +
    (ctx?.signalsUnknown ? `<p class="verdict warn">Partly UNKNOWN: ${esc(ctx.signalsUnknown)}.</p>` : '')
  );
}

function verdict(record: ApprovalRecord): string {
  const inc = record.incident;
  const sev = inc?.severity ?? 'UNKNOWN';
  return `<p class="verdict"><strong>${esc(sev)}</strong> — ${esc(record.title)}. The workflow is waiting for your decision: revoke, or not.</p>`;
}

/** The request, with the form (CSRF token, choices, reason). */
export function requestPage(
  record: ApprovalRecord,
  opts: { session: Session; csrf: string; action: string; now?: Date },
): HttpResponse {
  const now = opts.now ?? new Date();
  const who = opts.session.name ? `${opts.session.name} (${opts.session.sub})` : opts.session.sub;
  return page(
    200,
    'Approve revocation?',
    verdict(record) +
      facts(record) +
      `<h2>Decide</h2><form method="post" action="${esc(opts.action)}">` +
      `<input type="hidden" name="csrf" value="${esc(opts.csrf)}">` +
      choices(record, now) +
      '<p><label for="reason">Reason (recorded in the finding note)</label><br>' +
      '<textarea id="reason" name="reason" rows="3" maxlength="1000" required></textarea></p>' +
      '<button type="submit">Submit decision</button></form>' +
      `<p class="muted">Signed in as ${esc(who)} via ${esc(opts.session.issuer)}; groups ${esc(opts.session.groups.join(', '))}. ` +
      `Finding ${esc(record.findingId)}. This link decides once and expires ${esc(new Date(record.expiresAt * 1000).toISOString())}.</p>`,
  );
}

/**
 * How long the workflow may take to report back before the page stops promising: the revoke step's
 * retries and the closing step's take minutes at most (statemachines/response.asl.json).
 */
export const REPORT_EXPECTED_SECONDS = 10 * 60;

/** After the decision: what was decided, what the workflow did and its verification (refreshes until known). */
export function decidedPage(record: ApprovalRecord, link: string, now: Date = new Date()): HttpResponse {
  const d = record.decision;
  const r = record.result;
  const what =
    d?.decision === 'reject'
      ? 'reject: revoke nothing'
      : d?.scope === 'credentials'
        ? `revoke ${d.credentialIds?.join(', ')} only`
        : d?.scope === 'user'
          ? `revoke every key of ${record.userName ?? 'the user'}`
          : 'revoke the incident target';
  // Seconds since the decision: past the expected time, silence is said to be silence, not progress.
  const waited = d?.at ? (now.getTime() - Date.parse(d.at)) / 1000 : 0;
  const silent = !r && waited > REPORT_EXPECTED_SECONDS;
  const done = r
    ? `<p class="verdict ${r.manualAction ? '' : r.verified || r.actions.length === 0 ? 'ok' : 'warn'}"><strong>${esc(
        r.manualAction
          ? 'Manual action needed'
          : r.stage === 'revoked'
            ? 'Revoked'
            : r.stage === 'rejected'
              ? 'Rejected: nothing changed'
              : r.stage,
      )}</strong></p>` +
      (r.actions.length
        ? `<h2>What was done</h2><ol>${r.actions.map((a) => `<li>${esc(a)}</li>`).join('')}</ol>`
        : '') +
      `<h2>Verification</h2><p>${
        r.manualAction
          ? 'Nothing was verified: the workflow stopped and needs someone to act by hand — the finding’s note below says on what and why.'
          : r.actions.length === 0
            ? 'Nothing was changed, so nothing needed verifying.'
            : r.verified
              ? 'Verified: every key the plan touched was read back from IAM as Inactive.'
              : 'NOT verified: the keys could not all be read back as Inactive — check them now.'
      }</p>` +
      `<h2>The finding’s note</h2><blockquote>${esc(r.note)}</blockquote>` +
      `<p class="muted">Reported by the workflow at ${esc(r.at)}.</p>`
    : silent
      ? `<p class="verdict"><strong>UNKNOWN: the workflow has not reported what it did, ${Math.floor(
          waited / 60,
        )} minutes after the decision.</strong> It may have stopped for manual action without reaching this page: read the Security Hub finding below and the SOC notifications, and check the key in IAM. This page keeps checking every 30 seconds.</p>`
      : '<p class="verdict warn">The workflow is acting on the decision; this page reloads every 3 seconds until it reports what it did.</p>';
  return page(
    200,
    'Decision recorded',
    `<p><strong>${esc(what)}</strong> — by ${esc(d?.by ?? 'UNKNOWN')} at ${esc(d?.at ?? 'UNKNOWN')}: “${esc(d?.reason ?? '')}”.</p>${done}` +
      `<p class="muted">Finding ${esc(record.findingId)}.</p>`,
    r ? {} : { refresh: `${silent ? 30 : 3};url=${link}` },
  );
}
