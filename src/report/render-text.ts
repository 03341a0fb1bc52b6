/** The compliance report as markdown, CSV (formula-injection safe) and JSON (`bks.compliance/v1`). */

import { STATUS_ORDER } from '../inventory/types';
import { csvCell } from '../util/csv';
import type { ComplianceReport, KeyRow } from './compliance';

/** Rows per markdown table (the JSON and CSV carry everything). */
export const MARKDOWN_ROW_LIMIT = 100;

export function renderComplianceJson(r: ComplianceReport): string {
  return JSON.stringify(r, null, 2);
}

const md = (s: unknown) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
const tick = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function keyTable(rows: readonly KeyRow[]): string[] {
  if (rows.length === 0) return ['None.', ''];
  const out = ['| Account | User | Service | Key | Age (days) | Expires |', '|---|---|---|---|---:|---|'];
  for (const k of rows.slice(0, MARKDOWN_ROW_LIMIT)) {
    out.push(
      `| ${k.accountId} | ${md(k.userName)} | ${k.service} | ${tick(k.credentialId)} | ${k.ageDays ?? '?'} | ${k.expiresAt ? k.expiresAt.slice(0, 10) : 'never'} |`,
    );
  }
  if (rows.length > MARKDOWN_ROW_LIMIT) out.push('', `… and ${rows.length - MARKDOWN_ROW_LIMIT} more.`);
  out.push('');
  return out;
}

export function renderComplianceMarkdown(r: ComplianceReport): string {
  const t = r.totals;
  const out = [
    `# API key compliance report — ${r.generatedAt}`,
    '',
    `Partition ${r.partition}; services ${r.services.join(', ') || '—'}${r.maxAgeDays ? `; max key age ${r.maxAgeDays} days` : ''}.`,
    '',
    '| Accounts | Failed | Live keys | Never expiring | On ordinary users | Orphaned phantoms | At risk | Unknown | Findings |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${t.accounts} | ${t.accountsFailed} | ${t.keys.live} | ${t.neverExpiring} | ${t.ordinaryUserKeys} | ${t.orphanedPhantoms} | ${t.byStatus.AT_RISK} | ${t.byStatus.UNKNOWN} | ${t.findings} |`,
    '',
  ];
  for (const w of r.workflowErrors ?? [])
    out.push(`**Incomplete report: ${md(w.step)} failed** (${md(w.error)}): ${md(w.effect)}.`, '');
  if (r.failedAccounts.length > 0) {
    out.push('**Accounts that could not be inventoried:**', '');
    for (const f of r.failedAccounts)
      out.push(`- ${f.accountId}${f.name ? ` (${md(f.name)})` : ''}: ${md(f.error)}`);
    out.push('');
  }
  out.push('## Top risks', '');
  if (r.topRisks.length === 0) out.push('No findings.', '');
  else {
    out.push('| Severity | Account | Finding | Fix |', '|---|---|---|---|');
    for (const f of r.topRisks)
      out.push(
        `| ${f.severity} | ${f.accountId} | ${md(f.title)} | ${tick(f.fix)}${f.effect ? `: ${md(f.effect)}` : ''} |`,
      );
    out.push('');
  }
  if (r.trend) {
    const tr = r.trend;
    out.push(
      `## Since ${tr.previousGeneratedAt}`,
      '',
      `${tr.new.length} new, ${tr.resolved.length} resolved, ${tr.unchanged.length} unchanged${tr.unverified.length ? `, ${tr.unverified.length} unverified (account not read)` : ''}.`,
      '',
    );
    for (const f of tr.resolved.slice(0, MARKDOWN_ROW_LIMIT))
      out.push(`- resolved: ${f.severity} ${f.accountId} ${md(f.title)}`);
    if (tr.resolved.length) out.push('');
  }
  out.push(
    '## Over time',
    '',
    '| Report | Accounts | Live keys | Never expiring | Orphaned phantoms | At risk | Findings |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const p of r.history) {
    out.push(
      `| ${p.generatedAt} | ${p.accounts} | ${p.liveKeys} | ${p.neverExpiring} | ${p.orphanedPhantoms} | ${p.atRisk} | ${p.findings} |`,
    );
  }
  out.push('', '## Age of live API keys', '', '| Age | Keys |', '|---|---:|');
  for (const b of r.ageHistogram) out.push(`| ${b.label} | ${b.count} |`);
  out.push('', `## Never-expiring keys (${t.neverExpiring})`, '', ...keyTable(r.neverExpiringKeys));
  out.push(`## Keys on ordinary IAM users (${t.ordinaryUserKeys})`, '', ...keyTable(r.ordinaryUserKeys));
  out.push(`## Orphaned phantom users (${t.orphanedPhantoms})`, '');
  if (r.orphanedPhantoms.length === 0) out.push('None.', '');
  else {
    for (const p of r.orphanedPhantoms.slice(0, MARKDOWN_ROW_LIMIT))
      out.push(`- ${p.accountId} ${md(p.userName)} (${p.service})`);
    if (r.orphanedPhantoms.length > MARKDOWN_ROW_LIMIT)
      out.push(`- … and ${r.orphanedPhantoms.length - MARKDOWN_ROW_LIMIT} more`);
    out.push('');
  }
  out.push(
    '## Accounts',
    '',
    `| Account | Name | Read | ${STATUS_ORDER.join(' | ')} | Live keys | Findings |`,
    `|---|---|---|${STATUS_ORDER.map(() => '---:').join('|')}|---:|---:|`,
  );
  for (const a of r.accounts) {
    out.push(
      `| ${a.accountId} | ${md(a.name ?? '')} | ${a.status === 'ok' ? 'ok' : '**failed**'} | ${STATUS_ORDER.map((s) => a.byStatus[s]).join(' | ')} | ${a.keys.live} | ${a.findings} |`,
    );
  }
  return out.join('\n');
}

/** One row per finding (current and unverified), then one per resolved finding. */
export function renderComplianceCsv(r: ComplianceReport): string {
  const header = [
    'id',
    'trend',
    'severity',
    'rule',
    'accountId',
    'userName',
    'service',
    'credentialId',
    'resource',
    'title',
    'fix',
    'effect',
    'firstSeen',
    'lastSeen',
  ];
  const trendOf = new Map<string, string>();
  for (const id of r.trend?.new ?? []) trendOf.set(id, 'new');
  for (const id of r.trend?.unchanged ?? []) trendOf.set(id, 'unchanged');
  for (const id of r.trend?.unverified ?? []) trendOf.set(id, 'unverified');
  const lines = [header.join(',')];
  for (const f of r.findings) {
    lines.push(
      [
        f.id,
        trendOf.get(f.id) ?? (r.trend ? 'new' : ''),
        f.severity,
        f.rule,
        f.accountId,
        f.userName ?? '',
        f.service ?? '',
        f.credentialId ?? '',
        f.resource,
        f.title,
        f.fix,
        f.effect ?? '',
        f.firstSeen,
        f.lastSeen,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  for (const f of r.trend?.resolved ?? []) {
    lines.push(
      [
        f.id,
        'resolved',
        f.severity,
        f.rule,
        f.accountId,
        '',
        '',
        '',
        f.resource,
        f.title,
        '',
        f.firstSeen,
        '',
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\n');
}
