/**
 * Renderers of the incident report: markdown, self-contained HTML (inline CSS and an inline SVG
 * chart of calls per hour per region; no script, no external asset), JSON. Every value that came
 * from AWS is escaped for its format (CloudTrail user agents are attacker-controlled text).
 */
import { DENY_POLICY_NAME, SESSION_POLICY_NAME } from '../response/policies';
import { type RegionOutcomeJson, regionOutcomesJson } from '../timeline/collect';
import { escapeHtml } from '../util/html';
import type { IncidentReport } from './incident';

export const REPORT_SCHEMA = 'bks.report/v1';

const mdCell = (s: unknown) =>
  String(s ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/([`*_[\]<>])/g, '\\$1');

function mdTable(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '_none_';
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

function sections(
  r: IncidentReport,
): { title: string; headers: string[]; rows: unknown[][]; text?: string[] }[] {
  const u = r.user;
  const s = r.timeline.summary;
  return [
    {
      title: 'Identity',
      headers: ['field', 'value'],
      rows: [
        ['target', `${r.target.label} (${r.target.kind})`],
        ['account', r.accountId],
        ...(u
          ? [
              ['user', u.userName],
              ['arn', u.arn],
              ['user id', u.userId],
              ['path', u.path],
              ['created', u.createdAt ?? ''],
              ['phantom of', u.phantomOf.join(', ') || 'no (an ordinary IAM user)'],
              ['tags', u.tags.map((t) => `${t.Key}=${t.Value}`).join(', ')],
              ['permissions boundary', u.permissionsBoundary ?? ''],
              ['console password', u.loginProfile ? 'yes' : 'no'],
              ['MFA devices', String(u.mfaDevices.length)],
            ]
          : []),
        ...(r.signer ? [['signer', `${r.signer.kind}${r.signer.arn ? ` ${r.signer.arn}` : ''}`]] : []),
      ],
    },
    {
      title: 'API keys (service-specific credentials)',
      headers: ['id', 'service', 'alias', 'status', 'created', 'expires'],
      rows: (u?.credentials ?? []).map((c) => [
        c.id,
        c.serviceName,
        c.alias ?? c.serviceUserName ?? '',
        c.status,
        c.createdAt ?? '',
        c.expiresAt ?? 'never',
      ]),
    },
    {
      title: 'IAM access keys and their last use',
      headers: ['id', 'status', 'created', 'last used', 'service', 'region'],
      rows: r.accessKeys.map((k) => [
        k.id,
        k.status,
        k.createdAt ?? '',
        k.lastUsedAt ?? 'never',
        k.lastUsedService ?? '',
        k.lastUsedRegion ?? '',
      ]),
    },
    {
      title: 'Who created the user and its credentials (CloudTrail)',
      headers: ['time', 'what', 'by', 'source IP', 'user agent'],
      rows: r.creation.map((c) => [c.time, c.what, c.by, c.sourceIp ?? '', c.userAgent ?? '']),
      text: r.creationLookupError ? [`Could not read creation events: ${r.creationLookupError}`] : [],
    },
    {
      title: 'Policies',
      headers: ['kind', 'name'],
      rows: [
        ...(u?.attachedPolicies ?? []).map((p) => ['managed', p.arn]),
        ...(u?.inlinePolicies ?? []).map((p) => ['inline', p.name]),
        ...(u?.groups ?? []).map((g) => ['group', g]),
      ],
    },
    {
      title: `Timeline summary (last ${r.timeline.window.days} days)`,
      headers: ['region', 'status', 'events', 'first seen', 'last seen'],
      rows: s.regions
        .filter((x) => x.events > 0 || x.status === 'error')
        .map((x) => [
          x.region,
          x.status === 'ok' ? 'ok' : `error: ${x.error ?? ''}`,
          x.events,
          x.firstSeen ?? '',
          x.lastSeen ?? '',
        ]),
      text: [
        `${s.events} management event(s)${s.firstSeen ? `, first ${s.firstSeen}, last ${s.lastSeen}` : ''}; ${s.bearerTokenEvents} with a bearer token; ${s.errors} failed call(s).`,
        ...r.timeline.notRead.map(
          (n) =>
            `Not read: ${n.events} (${n.reason}): ${n.calls} are UNKNOWN here; they are only in ${n.readWith}.`,
        ),
        `Source IPs: ${s.sourceIps.map((c) => `${c.value} (${c.count})`).join(', ') || 'none'}.`,
        `User agents: ${s.userAgents.map((c) => `${c.value} (${c.count})`).join(', ') || 'none'}.`,
        `Tags: ${s.tags.map((c) => `${c.value} (${c.count})`).join(', ') || 'none'}.`,
        `Top events: ${
          s.eventNames
            .slice(0, 10)
            .map((c) => `${c.value} (${c.count})`)
            .join(', ') || 'none'
        }.`,
        ...(s.failedRegions.length
          ? [`INCOMPLETE: regions that could not be read: ${s.failedRegions.join(', ')}.`]
          : []),
      ],
    },
    {
      title: `Risk assessment: ${r.risk.level.toUpperCase()}`,
      headers: ['level', 'reason'],
      rows: r.risk.items.map((i) => [i.level, i.reason]),
    },
    {
      title: 'Contain and clean up',
      headers: ['purpose', 'command'],
      rows: r.commands.map((c) => [c.purpose, c.command]),
      text: ['`$LEAKED_KEY` stands for the key: it is never written into this report.'],
    },
  ];
}

export function renderMarkdown(r: IncidentReport): string {
  const out = [
    `# Incident report: ${mdCell(r.target.label)}`,
    '',
    `Generated ${r.generatedAt} for account ${r.accountId} (${r.partition}).`,
    '',
  ];
  for (const n of r.notes) out.push(`> Note: ${mdCell(n)}`, '');
  for (const s of sections(r)) {
    out.push(`## ${s.title}`, '');
    for (const t of s.text ?? []) out.push(t.startsWith('`') ? t : mdCell(t), '');
    out.push(mdTable(s.headers, s.rows), '');
  }
  out.push('## Calls per hour per region', '');
  out.push(
    mdTable(
      ['hour (UTC)', 'region', 'calls'],
      r.callsPerHour.map((c) => [c.hour.slice(0, 13).replace('T', ' '), c.region, c.count]),
    ),
    '',
  );
  return out.join('\n');
}

const esc = escapeHtml;

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Stacked bars: one bar per hour, one colour per region, with axis labels and a legend. */
export function callsChartSvg(points: { hour: string; region: string; count: number }[]): string {
  if (points.length === 0) return '<p>No calls in the window.</p>';
  const hours = [...new Set(points.map((p) => p.hour))].sort();
  const first = Date.parse(hours[0] as string);
  const last = Date.parse(hours[hours.length - 1] as string);
  const span = Math.round((last - first) / 3_600_000) + 1;
  const regions = [...new Set(points.map((p) => p.region))].sort();
  const totals = new Map<string, number>();
  for (const p of points) totals.set(p.hour, (totals.get(p.hour) ?? 0) + p.count);
  const max = Math.max(...totals.values());
  const W = 900;
  const H = 270;
  const left = 70;
  const bottom = 50;
  const top = 10;
  const plotW = W - left - 10;
  const plotH = H - bottom - top;
  const barW = Math.max(1, plotW / span - 1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + 20 * Math.ceil(regions.length / 4)}" width="100%" role="img" aria-label="Calls per hour per region">`,
  );
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${W - 10}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  // Axes with their titles and ticks: calls (0, half, max) up the side, hours (UTC) along the bottom.
  for (const v of [...new Set([0, Math.round(max / 2), max])]) {
    const y = top + plotH - (v / max) * plotH;
    parts.push(
      `<line x1="${left - 4}" y1="${y.toFixed(1)}" x2="${left}" y2="${y.toFixed(1)}" stroke="#333"/>`,
    );
    parts.push(
      `<text x="${left - 7}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${v}</text>`,
    );
  }
  parts.push(
    `<text class="axis-title" x="14" y="${top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">calls per hour</text>`,
  );
  parts.push(
    `<text class="axis-title" x="${left + plotW / 2}" y="${top + plotH + 34}" font-size="12" text-anchor="middle">hour (UTC), ${span} hour${span === 1 ? '' : 's'}</text>`,
  );
  const stack = new Map<string, number>();
  for (const p of [...points].sort((a, b) => a.region.localeCompare(b.region))) {
    const i = Math.round((Date.parse(p.hour) - first) / 3_600_000);
    const below = stack.get(p.hour) ?? 0;
    const h = (p.count / max) * plotH;
    const y = top + plotH - (below / max) * plotH - h;
    const color = PALETTE[regions.indexOf(p.region) % PALETTE.length];
    parts.push(
      `<rect x="${(left + 1 + i * (plotW / span)).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(`${p.hour.slice(0, 13)}:00Z ${p.region}: ${p.count}`)}</title></rect>`,
    );
    stack.set(p.hour, below + p.count);
  }
  parts.push(
    `<text x="${left}" y="${top + plotH + 15}" font-size="11">${esc(hours[0]?.slice(0, 13))}:00Z</text>`,
  );
  parts.push(
    `<text x="${W - 10}" y="${top + plotH + 15}" font-size="11" text-anchor="end">${esc(hours[hours.length - 1]?.slice(0, 13))}:00Z</text>`,
  );
  regions.forEach((region, i) => {
    const x = left + (i % 4) * 210;
    const y = H + 10 + Math.floor(i / 4) * 20;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${y}" font-size="12">${esc(region)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Where containment stands, as read for this report (not a history): what already stops the key or
 * the user, and what is still open. Derived from the IAM state the report read.
 */
export function containmentState(r: IncidentReport): { done: string[]; open: string[] } {
  const done: string[] = [];
  const open: string[] = [];
  const u = r.user;
  if (!u) {
    if (r.target.kind === 'long-term-key' || r.target.kind === 'user')
      done.push(`the user does not exist in account ${r.accountId}: its keys cannot authenticate`);
    else open.push('the signer is not an IAM user of this account: see the signer and the first steps');
    return { done, open };
  }
  if (r.target.kind === 'long-term-key') {
    const key = u.credentials.find((c) => (c.alias ?? c.serviceUserName) === r.target.label);
    if (!key)
      done.push(`no API key with the alias ${r.target.label} exists any more: the key cannot authenticate`);
    else if (key.status === 'Active') open.push(`the key (${key.id}) is still Active`);
    else done.push(`the key (${key.id}) is ${key.status}: it no longer authenticates`);
    const others = u.credentials.filter((c) => c !== key && c.status === 'Active');
    if (others.length > 0)
      open.push(
        `${others.length} other API key(s) of the user still Active (${others.map((c) => c.id).join(', ')}): expected if they are not leaked`,
      );
  } else {
    const live = u.credentials.filter((c) => c.status === 'Active');
    if (live.length > 0) open.push(`API key(s) still Active: ${live.map((c) => c.id).join(', ')}`);
    else if (u.credentials.length > 0) done.push('every API key of the user is Inactive');
  }
  const phantom = u.phantomOf.length > 0;
  for (const k of r.accessKeys) {
    if (k.status === 'Active') {
      if (phantom)
        open.push(`IAM access key ${k.id} is Active on a phantom user (same permissions as the key)`);
    } else done.push(`IAM access key ${k.id} is ${k.status}`);
  }
  if (phantom && u.loginProfile) open.push('the phantom user still has a console password');
  if (u.inlinePolicies.some((p) => p.name === DENY_POLICY_NAME))
    done.push(`inline deny ${DENY_POLICY_NAME} is in place on the user`);
  if (u.inlinePolicies.some((p) => p.name === SESSION_POLICY_NAME))
    done.push(`inline deny ${SESSION_POLICY_NAME} is in place on the user`);
  if (done.length === 0)
    done.push('nothing yet: no credential of the user is deactivated and no deny is in place');
  return { done, open };
}

/**
 * A cell's text, escaped, where no word breaks in the middle: each word (a timestamp, an IP, a key
 * id, a hyphenated name) is kept whole; a long identifier (an ARN, a path, a list) may break only
 * right after one of its separators (`/ : , = -`).
 */
function cellHtml(v: unknown): string {
  return String(v ?? '')
    .split(/(\s+)/)
    .map((tok) => {
      if (tok.trim() === '') return tok;
      const parts = tok.length > 24 ? tok.split(/(?<=[/:,=-])/) : [tok];
      return parts.map((p) => `<span class="w">${esc(p)}</span>`).join('<wbr>');
    })
    .join('');
}

function tableHtml(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p><em>none</em></p>';
  return [
    '<div class="scroll"><table><thead><tr>',
    ...headers.map((h) => `<th>${esc(h)}</th>`),
    '</tr></thead><tbody>',
    ...rows.map((row) => `<tr>${row.map((c) => `<td>${cellHtml(c)}</td>`).join('')}</tr>`),
    '</tbody></table></div>',
  ].join('');
}

const RISK_WORD: Record<string, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

/** The first screen: the verdict, the key, where containment stands and what to do first. */
function summaryHtml(r: IncidentReport): string {
  const u = r.user;
  const top = r.risk.items[0]?.reason ?? '';
  const state = containmentState(r);
  const firstSteps = r.commands.slice(0, 3);
  const facts: [string, string][] = [
    ['key', `${r.target.label} (${r.target.kind})`],
    ['account', r.accountId],
    ...(u
      ? ([['user', `${u.userName}${u.phantomOf.length ? ' (phantom)' : ''}`]] as [string, string][])
      : []),
    ...(r.signer?.arn ? ([['signer', r.signer.arn]] as [string, string][]) : []),
    [
      'activity',
      `${r.timeline.summary.events} management event(s) in ${r.timeline.window.days} days${r.timeline.summary.lastSeen ? `, last ${r.timeline.summary.lastSeen}` : ''}; ${r.timeline.notRead.map((n) => `${n.events}: not read`).join('; ')}`,
    ],
  ];
  return [
    `<section id="verdict" class="verdict risk-${esc(r.risk.level)}">`,
    `<p class="level">Risk: <strong>${esc(RISK_WORD[r.risk.level] ?? r.risk.level)}</strong></p>`,
    `<p class="why">${esc(top)}</p>`,
    `<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${cellHtml(v)}</dd>`).join('')}</dl>`,
    '</section>',
    '<section id="containment"><h2>Containment, as read now</h2>',
    `<ul class="done">${state.done.map((d) => `<li>${cellHtml(d)}</li>`).join('')}</ul>`,
    state.open.length
      ? `<ul class="open">${state.open.map((d) => `<li>${cellHtml(d)}</li>`).join('')}</ul>`
      : '',
    '</section>',
    '<section id="first-steps"><h2>First steps</h2><ol>',
    ...firstSteps.map((c) => `<li>${esc(c.purpose)}<br><code>${esc(c.command)}</code></li>`),
    '</ol><p class="note"><code>$LEAKED_KEY</code> stands for the key: it is never written into this report.</p></section>',
  ].join('');
}

export function renderHtml(r: IncidentReport): string {
  const body: string[] = [];
  body.push(`<h1>Incident report: ${cellHtml(r.target.label)}</h1>`);
  body.push(
    `<p class="meta">Generated ${esc(r.generatedAt)} for account ${esc(r.accountId)} (${esc(r.partition)}).</p>`,
  );
  for (const n of r.notes) body.push(`<p class="note">Note: ${esc(n)}</p>`);
  body.push(summaryHtml(r));
  body.push('<h2 class="evidence">Evidence</h2>');
  for (const s of sections(r)) {
    body.push(`<h3>${esc(s.title)}</h3>`);
    for (const t of s.text ?? []) body.push(`<p>${cellHtml(t)}</p>`);
    body.push(tableHtml(s.headers, s.rows));
    if (s.title.startsWith('Timeline')) {
      body.push('<h3>Calls per hour per region</h3>', callsChartSvg(r.callsPerHour));
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Incident report: ${esc(r.target.label)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em auto;padding:0 1em;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em}h3{font-size:1.05em;margin:1.2em 0 .3em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.3em 0 1em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;font-size:.9em;vertical-align:top}
th{background:#f3f3f3;white-space:nowrap}
span.w{white-space:nowrap}
code{font:.9em ui-monospace,Menlo,Consolas,monospace;background:#f3f3f3;padding:1px 4px;border-radius:3px}
.meta,.note{color:#555}
.verdict{border:2px solid #999;border-radius:8px;padding:.6em 1em;margin:1em 0}
.verdict .level{font-size:1.4em;margin:0}.verdict .why{margin:.2em 0 .6em}
.verdict dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}.verdict dt{color:#555}.verdict dd{margin:0}
.risk-high{border-color:#b00020}.risk-high .level strong{color:#b00020}
.risk-medium{border-color:#b36b00}.risk-medium .level strong{color:#b36b00}
ul.done li::marker{content:"✓  ";color:#1b7f3b}ul.open li::marker{content:"!  ";color:#b00020}
ol li{margin-bottom:.5em}
h2.evidence{border-top:1px solid #ccc;padding-top:1em}
@media (max-width:600px){body{margin:.5em auto}.verdict dl{grid-template-columns:1fr}.verdict dt{margin-top:.3em}}
</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}

/** `-o json` (bks.report/v1, schemas/report.schema.json): the report with the timeline's summary only. */
export type ReportJson = Omit<IncidentReport, 'timeline'> & {
  timeline: {
    window: IncidentReport['timeline']['window'];
    regions: RegionOutcomeJson[];
    summary: IncidentReport['timeline']['summary'];
    notRead: IncidentReport['timeline']['notRead'];
  };
};

export function reportJson(r: IncidentReport): ReportJson {
  const t = r.timeline;
  return {
    generatedAt: r.generatedAt,
    accountId: r.accountId,
    partition: r.partition,
    target: r.target,
    ...(r.user ? { user: r.user } : {}),
    ...(r.signer ? { signer: r.signer } : {}),
    accessKeys: r.accessKeys,
    creation: r.creation,
    ...(r.creationLookupError ? { creationLookupError: r.creationLookupError } : {}),
    classification: r.classification,
    timeline: {
      window: t.window,
      regions: regionOutcomesJson(t.regions),
      summary: t.summary,
      notRead: t.notRead,
    },
    callsPerHour: r.callsPerHour,
    risk: r.risk,
    commands: r.commands,
    notes: r.notes,
  };
}
