/**
 * Renderers of the incident report: markdown, self-contained HTML (inline CSS and an inline SVG
 * chart of calls per hour per region; no script, no external asset), JSON. Every value that came
 * from AWS is escaped for its format (CloudTrail user agents are attacker-controlled text).
 */
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
        `${s.events} event(s)${s.firstSeen ? `, first ${s.firstSeen}, last ${s.lastSeen}` : ''}; ${s.bearerTokenEvents} with a bearer token; ${s.errors} failed call(s).`,
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
  const H = 260;
  const left = 50;
  const bottom = 40;
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
  parts.push(`<text x="${left - 5}" y="${top + 10}" font-size="11" text-anchor="end">${max}</text>`);
  parts.push(`<text x="${left - 5}" y="${top + plotH}" font-size="11" text-anchor="end">0</text>`);
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
    const y = H + 5 + Math.floor(i / 4) * 20;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${y}" font-size="12">${esc(region)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function renderHtml(r: IncidentReport): string {
  const body: string[] = [];
  body.push(`<h1>Incident report: ${esc(r.target.label)}</h1>`);
  body.push(`<p>Generated ${esc(r.generatedAt)} for account ${esc(r.accountId)} (${esc(r.partition)}).</p>`);
  for (const n of r.notes) body.push(`<p class="note">Note: ${esc(n)}</p>`);
  for (const s of sections(r)) {
    body.push(
      `<h2 class="${s.title.startsWith('Risk') ? `risk-${esc(r.risk.level)}` : ''}">${esc(s.title)}</h2>`,
    );
    for (const t of s.text ?? []) body.push(`<p>${esc(t)}</p>`);
    if (s.rows.length === 0) body.push('<p><em>none</em></p>');
    else {
      body.push('<table><thead><tr>', ...s.headers.map((h) => `<th>${esc(h)}</th>`), '</tr></thead><tbody>');
      for (const row of s.rows) body.push('<tr>', ...row.map((c) => `<td>${esc(c)}</td>`), '</tr>');
      body.push('</tbody></table>');
    }
    if (s.title.startsWith('Timeline')) {
      body.push('<h3>Calls per hour per region</h3>', callsChartSvg(r.callsPerHour));
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Incident report: ${esc(r.target.label)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5em 0 1.5em;max-width:100%}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;font-size:.9em;vertical-align:top;overflow-wrap:anywhere;word-break:break-word}
th{background:#f3f3f3}.note{color:#555}.risk-high{color:#b00020}.risk-medium{color:#b36b00}
</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}

export function reportJson(r: IncidentReport): object {
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
      regions: t.regions.map((x) => ({
        region: x.region,
        status: x.status,
        events: x.events,
        ...(x.error ? { error: x.error } : {}),
      })),
      summary: t.summary,
    },
    callsPerHour: r.callsPerHour,
    risk: r.risk,
    commands: r.commands,
    notes: r.notes,
  };
}
