/**
 * The compliance report as one self-contained HTML file: no external assets, fonts or scripts
 * (a strict Content-Security-Policy forbids them), charts as inline SVG, readable on screen and on
 * paper. Every piece of data is escaped; `data-metric` attributes name the headline numbers.
 */

import { STATUS_ORDER, type UserStatus } from '../inventory/types';
import { escapeHtml } from '../util/html';
import type { ComplianceReport, HistoryPoint, KeyRow, PostureFinding } from './compliance';

/** Rows shown per table; the JSON and CSV carry everything. */
export const HTML_ROW_LIMIT = 200;
/** Accounts drawn in the per-account chart (the most findings first). */
export const CHART_ACCOUNTS = 20;

export const esc = escapeHtml;

const STATUS_COLOUR: Record<UserStatus, string> = {
  AT_RISK: '#c0392b',
  UNKNOWN: '#d68910',
  ACTIVE: '#2874a6',
  ORPHANED: '#7f8c8d',
};
const SEV_COLOUR: Record<string, string> = {
  CRITICAL: '#7b241c',
  HIGH: '#c0392b',
  MEDIUM: '#d68910',
  LOW: '#2874a6',
  INFORMATIONAL: '#7f8c8d',
};

const CSS = `
:root{--fg:#1c2833;--muted:#5d6d7e;--line:#d5dbdb;--bg:#fff;--soft:#f4f6f7}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.tile{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:var(--soft)}
.tile .n{font-size:26px;font-weight:700;display:block}.tile .l{color:var(--muted);font-size:12px}
.tile .d{font-size:12px}.up{color:#c0392b}.down{color:#1e8449}
.alert{border:1px solid #c0392b;background:#fdedec;border-radius:6px;padding:10px 12px;margin:12px 0}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:1px 4px;border-radius:3px;word-break:break-all}
.sev{display:inline-block;color:#fff;border-radius:3px;padding:0 5px;font-size:11px;font-weight:700}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}figcaption{font-weight:600;margin-bottom:4px}
svg text{font:11px system-ui,sans-serif;fill:#1c2833}
.more{color:var(--muted);font-style:italic}
.effect{color:var(--muted);font-size:12px;margin-top:2px}
.legend span{display:inline-block;margin-right:10px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:3px;vertical-align:middle}
@media print{body{max-width:none;padding:0;font-size:11px}.charts{grid-template-columns:1fr 1fr}h2{break-after:avoid}tr,figure,.tile{break-inside:avoid}a{color:inherit}}
`;

function sev(label: string): string {
  return `<span class="sev" style="background:${SEV_COLOUR[label] ?? '#555'}">${esc(label)}</span>`;
}

function delta(history: readonly HistoryPoint[], key: keyof HistoryPoint, lowerIsBetter = true): string {
  if (history.length < 2) return '';
  const cur = history[history.length - 1]?.[key];
  const prev = history[history.length - 2]?.[key];
  if (typeof cur !== 'number' || typeof prev !== 'number') return '';
  const d = cur - prev;
  if (d === 0) return '<span class="d">± 0 since last report</span>';
  const worse = lowerIsBetter ? d > 0 : d < 0;
  return `<span class="d ${worse ? 'up' : 'down'}">${d > 0 ? '+' : '−'}${Math.abs(d)} since last report</span>`;
}

function tile(metric: string, value: number, label: string, extra = ''): string {
  return `<div class="tile"><span class="n" data-metric="${esc(metric)}">${value}</span><span class="l">${esc(label)}</span>${extra ? `<br>${extra}` : ''}</div>`;
}

function ageChart(r: ComplianceReport): string {
  const w = 480;
  const h = 200;
  const pad = { l: 34, r: 8, t: 12, b: 34 };
  const max = Math.max(1, ...r.ageHistogram.map((b) => b.count));
  const bw = (w - pad.l - pad.r) / r.ageHistogram.length;
  const bars = r.ageHistogram
    .map((b, i) => {
      const bh = ((h - pad.t - pad.b) * b.count) / max;
      const x = pad.l + i * bw + 4;
      const y = h - pad.b - bh;
      return (
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 8).toFixed(1)}" height="${bh.toFixed(1)}" fill="${i >= 3 ? '#c0392b' : '#2874a6'}"><title>${esc(b.label)}: ${b.count}</title></rect>` +
        `<text x="${(x + (bw - 8) / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle">${b.count}</text>` +
        `<text x="${(x + (bw - 8) / 2).toFixed(1)}" y="${h - pad.b + 14}" text-anchor="middle">${esc(b.label.replace(' days', ' d'))}</text>`
      );
    })
    .join('');
  return `<svg role="img" aria-label="Age of live API keys" viewBox="0 0 ${w} ${h}" width="100%"><line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#95a5a6"/>${bars}<text x="2" y="${pad.t + 4}">keys</text></svg>`;
}

function accountChart(r: ComplianceReport): string {
  const rows = [...r.accounts]
    .filter((a) => a.users > 0 || a.status === 'error')
    .sort((a, b) => b.findings - a.findings || b.users - a.users || a.accountId.localeCompare(b.accountId))
    .slice(0, CHART_ACCOUNTS);
  if (rows.length === 0) return '<p class="more">No key-bearing users in any account.</p>';
  const w = 480;
  const rowH = 16;
  const labelW = 150;
  const h = rows.length * rowH + 8;
  const max = Math.max(1, ...rows.map((a) => a.users));
  const body = rows
    .map((a, i) => {
      const y = 4 + i * rowH;
      let x = labelW;
      const segs = STATUS_ORDER.map((s) => {
        const n = a.byStatus[s];
        if (n === 0) return '';
        const sw = ((w - labelW - 30) * n) / max;
        const seg = `<rect x="${x.toFixed(1)}" y="${y}" width="${sw.toFixed(1)}" height="${rowH - 4}" fill="${STATUS_COLOUR[s]}"><title>${esc(a.accountId)} ${s}: ${n}</title></rect>`;
        x += sw;
        return seg;
      }).join('');
      const label = a.status === 'error' ? `${a.accountId} (failed)` : a.accountId;
      return `<text x="0" y="${y + 10}">${esc(label)}</text>${segs}<text x="${(x + 4).toFixed(1)}" y="${y + 10}">${a.users}</text>`;
    })
    .join('');
  const legend = STATUS_ORDER.map(
    (s) => `<span><i style="background:${STATUS_COLOUR[s]}"></i>${s}</span>`,
  ).join('');
  const more =
    r.accounts.length > rows.length
      ? `<p class="more">${rows.length} of ${r.accounts.length} accounts shown (most findings first); all are in the table below.</p>`
      : '';
  return `<div class="legend">${legend}</div><svg role="img" aria-label="Users by status per account" viewBox="0 0 ${w} ${h}" width="100%">${body}</svg>${more}`;
}

function historyChart(history: readonly HistoryPoint[]): string {
  if (history.length < 2)
    return '<p class="more">The trend appears from the second report on (bks compliance --previous FILE).</p>';
  const w = 480;
  const h = 200;
  const pad = { l: 34, r: 10, t: 10, b: 30 };
  const series: { key: keyof HistoryPoint; colour: string; label: string }[] = [
    { key: 'findings', colour: '#c0392b', label: 'findings' },
    { key: 'liveKeys', colour: '#2874a6', label: 'live keys' },
    { key: 'neverExpiring', colour: '#d68910', label: 'never expiring' },
    { key: 'orphanedPhantoms', colour: '#7f8c8d', label: 'orphaned phantoms' },
  ];
  const max = Math.max(1, ...history.flatMap((p) => series.map((s) => Number(p[s.key]))));
  const xAt = (i: number) => pad.l + ((w - pad.l - pad.r) * i) / (history.length - 1);
  const yAt = (v: number) => h - pad.b - ((h - pad.t - pad.b) * v) / max;
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${history.map((p, i) => `${xAt(i).toFixed(1)},${yAt(Number(p[s.key])).toFixed(1)}`).join(' ')}"><title>${esc(s.label)}</title></polyline>`,
    )
    .join('');
  const first = history[0]?.generatedAt.slice(0, 10) ?? '';
  const last = history[history.length - 1]?.generatedAt.slice(0, 10) ?? '';
  const legend = series
    .map((s) => `<span><i style="background:${s.colour}"></i>${esc(s.label)}</span>`)
    .join('');
  return `<div class="legend">${legend}</div><svg role="img" aria-label="Numbers over time" viewBox="0 0 ${w} ${h}" width="100%"><line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#95a5a6"/><text x="2" y="${pad.t + 4}">${max}</text><text x="2" y="${h - pad.b}">0</text>${lines}<text x="${pad.l}" y="${h - 10}">${esc(first)}</text><text x="${w - pad.r}" y="${h - 10}" text-anchor="end">${esc(last)}</text></svg>`;
}

function more(total: number, shown: number): string {
  return total > shown
    ? `<p class="more">… and ${total - shown} more (the JSON and CSV renderings list all).</p>`
    : '';
}

function findingRows(list: readonly PostureFinding[]): string {
  return list
    .map(
      (f) =>
        `<tr><td>${sev(f.severity)}</td><td>${esc(f.accountId)}</td><td>${esc(f.title)}${f.verified ? '' : ' <em>(unverified: account not read this time)</em>'}</td><td><code>${esc(f.fix)}</code>${f.effect ? `<div class="effect">${esc(f.effect)}</div>` : ''}</td></tr>`,
    )
    .join('');
}

function keyTable(rows: readonly KeyRow[], id: string): string {
  if (rows.length === 0) return '<p>None.</p>';
  const shown = rows.slice(0, HTML_ROW_LIMIT);
  return `<table id="${id}"><thead><tr><th>Account</th><th>User</th><th>Service</th><th>Key</th><th class="num">Age (days)</th><th>Expires</th></tr></thead><tbody>${shown
    .map(
      (k) =>
        `<tr><td>${esc(k.accountId)}</td><td>${esc(k.userName)}</td><td>${esc(k.service)}</td><td><code>${esc(k.credentialId)}</code></td><td class="num">${k.ageDays ?? '?'}</td><td>${esc(k.expiresAt ? k.expiresAt.slice(0, 10) : 'never')}</td></tr>`,
    )
    .join('')}</tbody></table>${more(rows.length, shown.length)}`;
}

export function renderComplianceHtml(r: ComplianceReport): string {
  const t = r.totals;
  const out: string[] = [];
  out.push(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>API key compliance report — ${esc(r.generatedAt.slice(0, 10))}</title><style>${CSS}</style></head><body>`,
    `<h1>API key compliance report</h1><p class="meta">Generated ${esc(r.generatedAt)} · partition ${esc(r.partition)} · services ${esc(r.services.join(', ') || '—')}${r.maxAgeDays ? ` · max key age ${r.maxAgeDays} days` : ''}</p>`,
  );
  for (const w of r.workflowErrors ?? []) {
    out.push(
      `<div class="alert" id="workflow-errors"><strong>Incomplete report: ${esc(w.step)} failed</strong> (${esc(w.error)}): ${esc(w.effect)}.</div>`,
    );
  }
  if (r.failedAccounts.length > 0) {
    out.push(
      `<div class="alert" id="failed-accounts"><strong>${r.failedAccounts.length} account${r.failedAccounts.length === 1 ? '' : 's'} could not be inventoried</strong>; their numbers are missing from this report and their earlier findings are kept as unverified:<ul>${r.failedAccounts
        .slice(0, HTML_ROW_LIMIT)
        .map(
          (f) =>
            `<li><code>${esc(f.accountId)}</code>${f.name ? ` (${esc(f.name)})` : ''}: ${esc(f.error)}</li>`,
        )
        .join('')}</ul></div>`,
    );
  }
  const h = r.history;
  out.push(
    '<div class="tiles">',
    tile('accounts', t.accounts, 'accounts', `<span class="d">${t.accountsFailed} failed</span>`),
    tile('live-keys', t.keys.live, 'live API keys', delta(h, 'liveKeys')),
    tile('never-expiring', t.neverExpiring, 'never-expiring keys', delta(h, 'neverExpiring')),
    tile('ordinary-user-keys', t.ordinaryUserKeys, 'keys on ordinary users', delta(h, 'ordinaryUserKeys')),
    tile('orphaned-phantoms', t.orphanedPhantoms, 'orphaned phantoms', delta(h, 'orphanedPhantoms')),
    tile('at-risk', t.byStatus.AT_RISK, 'users at risk', delta(h, 'atRisk')),
    tile('unknown', t.byStatus.UNKNOWN, 'users unknown', delta(h, 'unknown')),
    tile('findings', t.findings, 'findings', delta(h, 'findings')),
    '</div>',
  );

  out.push('<h2>Top risks</h2>');
  if (r.topRisks.length === 0) out.push('<p>No findings.</p>');
  else
    out.push(
      `<table id="top-risks"><thead><tr><th>Severity</th><th>Account</th><th>Finding</th><th>Fix</th></tr></thead><tbody>${findingRows(r.topRisks)}</tbody></table>`,
    );

  out.push(
    '<h2>Charts</h2><div class="charts">',
    `<figure><figcaption>Age of live API keys</figcaption>${ageChart(r)}</figure>`,
    `<figure><figcaption>Users by status per account</figcaption>${accountChart(r)}</figure>`,
    `<figure><figcaption>Over time (${h.length} report${h.length === 1 ? '' : 's'})</figcaption>${historyChart(h)}</figure>`,
    '</div>',
  );

  if (r.trend) {
    const tr = r.trend;
    const byId = new Map(r.findings.map((f) => [f.id, f]));
    const newOnes = tr.new.map((id) => byId.get(id)).filter((f): f is PostureFinding => Boolean(f));
    out.push(
      `<h2>Since the last report (${esc(tr.previousGeneratedAt)})</h2>`,
      `<p id="trend"><strong data-metric="new">${tr.new.length}</strong> new, <strong data-metric="resolved">${tr.resolved.length}</strong> resolved, <strong data-metric="unchanged">${tr.unchanged.length}</strong> unchanged${tr.unverified.length ? `, <strong data-metric="unverified">${tr.unverified.length}</strong> unverified` : ''}.</p>`,
    );
    if (newOnes.length > 0) {
      const shown = newOnes.slice(0, HTML_ROW_LIMIT);
      out.push(
        `<h3>New</h3><table><thead><tr><th>Severity</th><th>Account</th><th>Finding</th><th>Fix</th></tr></thead><tbody>${findingRows(shown)}</tbody></table>${more(newOnes.length, shown.length)}`,
      );
    }
    if (tr.resolved.length > 0) {
      const shown = tr.resolved.slice(0, HTML_ROW_LIMIT);
      out.push(
        `<h3>Resolved</h3><table><thead><tr><th>Severity</th><th>Account</th><th>Finding</th><th>First seen</th></tr></thead><tbody>${shown
          .map(
            (f) =>
              `<tr><td>${sev(f.severity)}</td><td>${esc(f.accountId)}</td><td>${esc(f.title)}</td><td>${esc(f.firstSeen.slice(0, 10))}</td></tr>`,
          )
          .join('')}</tbody></table>${more(tr.resolved.length, shown.length)}`,
      );
    }
  }

  out.push(
    `<h2>Never-expiring keys (${t.neverExpiring})</h2>`,
    keyTable(r.neverExpiringKeys, 'never-expiring'),
    `<h2>Keys on ordinary IAM users (${t.ordinaryUserKeys})</h2>`,
    keyTable(r.ordinaryUserKeys, 'ordinary-user-keys'),
    `<h2>Orphaned phantom users (${t.orphanedPhantoms})</h2>`,
  );
  if (r.orphanedPhantoms.length === 0) out.push('<p>None.</p>');
  else {
    const shown = r.orphanedPhantoms.slice(0, HTML_ROW_LIMIT);
    out.push(
      `<table id="orphaned"><thead><tr><th>Account</th><th>User</th><th>Service</th><th>Fix</th></tr></thead><tbody>${shown
        .map(
          (p) =>
            `<tr><td>${esc(p.accountId)}</td><td>${esc(p.userName)}</td><td>${esc(p.service)}</td><td><code>bks cleanup --service ${esc(p.service)}</code></td></tr>`,
        )
        .join('')}</tbody></table>${more(r.orphanedPhantoms.length, shown.length)}`,
    );
  }

  const accShown = r.accounts.slice(0, Math.max(HTML_ROW_LIMIT, 1000));
  out.push(
    `<h2>Accounts (${t.accounts})</h2><table id="accounts"><thead><tr><th>Account</th><th>Name</th><th>Read</th>${STATUS_ORDER.map((s) => `<th class="num">${s}</th>`).join('')}<th class="num">Live keys</th><th class="num">Inactive</th><th class="num">Expired</th><th class="num">Findings</th></tr></thead><tbody>${accShown
      .map(
        (a) =>
          `<tr><td>${esc(a.accountId)}</td><td>${esc(a.name ?? '')}</td><td>${a.status === 'ok' ? 'ok' : `<strong>failed</strong>`}</td>${STATUS_ORDER.map((s) => `<td class="num">${a.byStatus[s]}</td>`).join('')}<td class="num">${a.keys.live}</td><td class="num">${a.keys.inactive}</td><td class="num">${a.keys.expired}</td><td class="num">${a.findings}</td></tr>`,
      )
      .join('')}</tbody></table>${more(r.accounts.length, accShown.length)}`,
    `<p class="meta">bks compliance · ${esc(COMPLIANCE_FOOTER)}</p></body></html>`,
  );
  return out.join('\n');
}

const COMPLIANCE_FOOTER =
  'no secret part of any key is read or shown; the JSON rendering (bks.compliance/v1) carries every finding';
