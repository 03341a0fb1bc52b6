/** Renderings of a coverage report: table, markdown, JSON (`bks.coverage/v1`) and ASFF findings. */
import { type Partition, partitionOf } from '../aws';
import { buildFinding, type SeverityLabel } from '../findings/asff';
import type { CoverageCheck, CoverageReport, CoverageStatus } from './types';

export interface Painter {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
}

const plain: Painter = { green: (s) => s, yellow: (s) => s, red: (s) => s };

function paint(status: CoverageStatus, p: Painter): string {
  const label = status.toUpperCase();
  if (status === 'ok') return p.green(label);
  if (status === 'unknown' || status === 'not-checkable') return p.yellow(label);
  return p.red(label);
}

export function headline(r: CoverageReport): string {
  const s = r.summary;
  const counts = [
    `${s.ok} ok`,
    `${s.missing} missing`,
    `${s.partial} partial`,
    `${s.unknown} unknown`,
    `${s.notCheckable} not checkable`,
  ].join(', ');
  const unreadable = s.unreadableAccounts ? `, ${s.unreadableAccounts} account(s) unreadable` : '';
  return `Detection coverage: ${s.accounts} account(s), ${s.regions.length} region(s), ${s.checks} checks: ${counts}${unreadable} (pipeline: ${r.pipeline.namePrefix}-* in ${r.pipeline.securityAccount} ${r.pipeline.homeRegion})`;
}

function pad(s: string, n: number, visible = s.length): string {
  return s + ' '.repeat(Math.max(0, n - visible));
}

export function renderCoverageTable(r: CoverageReport, p: Painter = plain): string {
  const lines = [headline(r)];
  for (const a of r.accounts) {
    lines.push('', `Account ${a.accountId}: ${paint(a.status, p)}`);
    if (a.error) {
      lines.push(`  not read: ${a.error}`);
      continue;
    }
    const w = {
      region: Math.max(6, ...a.checks.map((c) => c.region.length)),
      control: Math.max(7, ...a.checks.map((c) => c.control.length)),
    };
    lines.push(`  ${pad('REGION', w.region)}  ${pad('CONTROL', w.control)}  ${pad('STATUS', 13)}  DETAIL`);
    for (const c of a.checks) {
      const status = c.status.toUpperCase();
      lines.push(
        `  ${pad(c.region, w.region)}  ${pad(c.control, w.control)}  ${pad(paint(c.status, p), 13, status.length)}  ${c.detail}`,
      );
    }
    const fixes = a.checks.filter((c) => c.fix);
    if (fixes.length) {
      lines.push('  Fix:');
      for (const c of fixes) lines.push(`  - ${c.region} ${c.control}: ${c.fix}`);
    }
  }
  return lines.join('\n');
}

const md = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderCoverageMarkdown(r: CoverageReport): string {
  const lines = ['# Detection coverage', '', headline(r)];
  for (const a of r.accounts) {
    lines.push('', `## Account ${a.accountId}: ${a.status}`, '');
    if (a.error) {
      lines.push(`Not read: ${md(a.error)}`);
      continue;
    }
    lines.push('| Region | Control | Status | Detail | Fix |', '|---|---|---|---|---|');
    for (const c of a.checks) {
      lines.push(`| ${c.region} | \`${c.control}\` | ${c.status} | ${md(c.detail)} | ${md(c.fix)} |`);
    }
  }
  return lines.join('\n');
}

export function renderCoverageJson(r: CoverageReport): string {
  return JSON.stringify(r, null, 2);
}

const SEVERITY: Partial<Record<CoverageStatus, SeverityLabel>> = {
  missing: 'HIGH',
  partial: 'MEDIUM',
  unknown: 'LOW',
};

/** One ASFF finding per check that is missing, partial or unknown (and per unreadable account). */
export function renderCoverageAsff(r: CoverageReport): string {
  const partition: Partition = partitionOf(r.pipeline.homeRegion);
  const finding = (accountId: string, c: CoverageCheck) => {
    const region = c.region === 'global' ? r.pipeline.homeRegion : c.region;
    return buildFinding({
      account: accountId,
      region,
      partition,
      resource: { type: 'AwsAccount', id: `AWS::::Account:${accountId}`, region },
      type: `coverage/${c.control}/${c.region}`,
      severity: SEVERITY[c.status] ?? 'INFORMATIONAL',
      title: `Detection coverage: ${c.control} is ${c.status} in ${c.region}`,
      description: c.detail,
      remediation: { text: c.fix || 'see bks coverage' },
      generatorId: `bks/coverage/${c.control}`,
      createdAt: r.generatedAt,
      productFields: { 'bks/coverage/status': c.status, 'bks/coverage/region': c.region },
    });
  };
  const findings = r.accounts.flatMap((a) =>
    a.error
      ? [
          finding(a.accountId, {
            region: 'global',
            control: 'account',
            status: 'unknown',
            detail: `the account could not be read: ${a.error}`,
            fix: 'let bks assume its role in this account (bks coverage --org-role ROLE)',
          }),
        ]
      : a.checks.filter((c) => SEVERITY[c.status]).map((c) => finding(a.accountId, c)),
  );
  return JSON.stringify(findings, null, 2);
}
