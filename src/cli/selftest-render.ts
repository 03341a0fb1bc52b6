/** Renderings of a selftest report: table (terminal), markdown, json (`bks.selftest/v1`). */
import type { RuleOutcome, SelftestReport } from '../selftest/types';
import { renderTable, type Style } from './common';

const plain: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  green: (s) => s,
  cyan: (s) => s,
};

function latency(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** The rows worth a line: everything but the rules that stayed silent as they should. */
function shown(r: SelftestReport): RuleOutcome[] {
  return r.rules.filter((o) => o.status !== 'silent');
}

function verdict(r: SelftestReport): string {
  const s = r.summary;
  if (r.status === 'unknown') return `UNKNOWN: ${r.error ?? 'some findings could not be read'}`;
  const head = `${s.fired}/${s.expected} expected rules fired`;
  if (r.status === 'pass') {
    return `PASS: ${head}; ${s.resolvedByPipeline}/${s.fired} resolved by the pipeline as a canary (nobody paged)`;
  }
  const parts = [head];
  if (s.missing) parts.push(`${s.missing} missing`);
  if (s.unexpected) parts.push(`${s.unexpected} unexpected (false positive)`);
  return `FAIL: ${parts.join(', ')}`;
}

function detailOf(o: RuleOutcome): string {
  if (o.status === 'fired' && o.workflowStatus === 'RESOLVED')
    return 'resolved by the pipeline (nobody paged)';
  return [o.stage, o.detail].filter(Boolean).join(': ');
}

export function renderSelftestTable(r: SelftestReport, style: Style = plain): string {
  const colour = (status: string) =>
    status === 'fired'
      ? style.green(status)
      : status === 'not-exercised'
        ? style.dim(status)
        : style.red(status);
  const lines = [
    style.bold(
      `bks selftest ${r.runId}: stack ${r.stackName}, account ${r.account}, home ${r.homeRegion}, bearer call in ${r.region}`,
    ),
    `canary ${r.canary.userName}${r.canary.credentialId ? ` (key ${r.canary.credentialId})` : ''}: ` +
      (r.canary.calls.map((c) => `${c.eventName} ${c.result}`).join(', ') || 'no call made'),
    '',
    renderTable(
      ['RULE', 'STATUS', 'LATENCY', 'CALL', 'DETAIL'],
      shown(r).map((o) => [o.ruleId, colour(o.status), latency(o.latencyMs), o.call ?? '', detailOf(o)]),
    ),
    '',
    `${r.rules.filter((o) => o.status === 'silent').length} rules stayed silent as they should (the canary's calls do not match them; listed in -o json)`,
  ];
  for (const p of r.resumed) {
    lines.push(`earlier run ${p.runId}: canary ${p.userName} removed from its record: ${p.status}`);
  }
  const failed = r.cleanup.steps.filter((s) => s.status === 'failed');
  lines.push(
    `cleanup: ${r.cleanup.status}${failed.length ? ` (${failed.map((s) => `${s.action} ${s.target}: ${s.error}`).join('; ')}; rerun bks selftest to finish it from ${r.canary.record})` : ''}`,
  );
  const v = verdict(r);
  lines.push(r.status === 'pass' ? style.green(v) : style.red(v));
  return `${lines.join('\n')}\n`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderSelftestMarkdown(r: SelftestReport): string {
  const rows = shown(r).map(
    (o) =>
      `| ${o.ruleId} | ${o.status} | ${latency(o.latencyMs)} | ${o.call ?? ''} | ${o.stage ?? ''} | ${cell(detailOf(o))} |`,
  );
  const silent = r.rules.filter((o) => o.status === 'silent').map((o) => o.ruleId);
  return [
    `# bks selftest ${r.runId}`,
    '',
    `Stack \`${r.stackName}\` in account ${r.account} (home region ${r.homeRegion}); bearer call in ${r.region}; ` +
      `generated ${r.generatedAt}.`,
    '',
    `**${verdict(r)}**`,
    '',
    '| Rule | Status | Latency | Call | Failed stage | Detail |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Silent as expected: ${silent.join(', ') || 'none'}.`,
    '',
    `Canary \`${r.canary.userName}\`: ${r.canary.calls.map((c) => `${c.eventName} (${c.result})`).join(', ') || 'no call made'}. ` +
      `Cleanup: ${r.cleanup.status}.`,
    '',
  ].join('\n');
}

export function renderSelftestJson(r: SelftestReport): string {
  return JSON.stringify(r, null, 2);
}
