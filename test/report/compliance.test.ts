import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  buildComplianceReport,
  COMPLIANCE_SCHEMA,
  computeTrend,
  HISTORY_LIMIT,
  type HistoryPoint,
  mergeScans,
  type PostureFinding,
  parseComplianceReport,
  parseScanResult,
  type RuleId,
  summaryText,
} from '../../src/report/compliance';
import { postureFindingsToSync } from '../../src/report/findings';
import { renderComplianceHtml } from '../../src/report/render-html';
import {
  renderComplianceCsv,
  renderComplianceJson,
  renderComplianceMarkdown,
} from '../../src/report/render-text';
import { cred, daysAgo, inDays, NOW, sampleAccounts, sampleScan, user } from './fixtures';

const build = (opts: Parameters<typeof buildComplianceReport>[1] = { maxAgeDays: 90 }, scan = sampleScan()) =>
  buildComplianceReport(mergeScans([scan]), opts);

describe('buildComplianceReport', () => {
  it('counts keys by state, ages, never-expiring keys, ordinary users, orphaned phantoms and failed accounts', () => {
    const r = build();
    expect(r.schema).toBe(COMPLIANCE_SCHEMA);
    expect(r.totals).toMatchObject({
      accounts: 3,
      accountsFailed: 1,
      users: 7,
      keys: { live: 4, inactive: 1, expired: 1 },
      neverExpiring: 2,
      ordinaryUserKeys: 1,
      orphanedPhantoms: 2,
      byStatus: { AT_RISK: 1, UNKNOWN: 1, ACTIVE: 3, ORPHANED: 2 },
      findings: 10,
    });
    expect(r.ageHistogram.map((b) => b.count)).toEqual([1, 0, 1, 0, 1, 1]);
    expect(r.neverExpiringKeys.map((k) => k.credentialId)).toEqual(['ACCANEVER', 'ACCAORD']);
    expect(r.ordinaryUserKeys.map((k) => k.userName)).toEqual(['=HYPERLINK("x")']);
    expect(r.failedAccounts).toEqual([
      { accountId: '444444444444', error: 'could not assume OrganizationAccountAccessRole: AccessDenied' },
    ]);
    const rules = r.findings.map((f) => f.rule).sort();
    expect(rules).toEqual(
      [
        'account-unreadable',
        'key-on-ordinary-user',
        'key-over-max-age',
        'key-over-max-age',
        'never-expiring-key',
        'never-expiring-key',
        'orphaned-phantom',
        'orphaned-phantom',
        'phantom-persistent-credential',
        'user-unknown',
      ].sort(),
    );
    // Most severe first; each with the command that fixes it.
    expect(r.topRisks[0]?.severity).toBe('HIGH');
    const risk = r.findings.find((f) => f.rule === 'phantom-persistent-credential');
    expect(risk?.fix).toBe('bks revoke-key BedrockAPIKey-risk');
    expect(r.findings.find((f) => f.rule === 'orphaned-phantom')?.fix).toBe('bks cleanup --service bedrock');
    // The targeted fix (issue 15): only that key, never `--force` on the user (a deny on bedrock:*).
    const ordinary = r.findings.find((f) => f.rule === 'key-on-ordinary-user');
    expect(ordinary?.fix).toMatch(/--credential ACCAORD$/);
    expect(ordinary?.effect).toMatch(/Not `bks revoke-key .* --force`: that .* denies bedrock:\*/);
    expect(r.accounts.find((a) => a.accountId === '222222222222')).toMatchObject({
      name: 'prod',
      findings: 7,
      keys: { live: 3, inactive: 1, expired: 1 },
    });
  });

  it('gives every finding a deterministic id: same facts, same ids, on every run', () => {
    const a = build().findings.map((f) => f.id);
    const b = build().findings.map((f) => f.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    for (const id of a) expect(id).toMatch(/^bks\/compliance-[a-z-]+\/\d{12}\/[0-9a-f]{32}$/);
  });

  it('without --max-age-days no age finding; the console “never” (≈100 years) counts as never', () => {
    const accounts = sampleAccounts();
    accounts[0]?.users.push(
      user('222222222222', 'BedrockAPIKey-cent', { credentials: [cred('ACCACENT', 1, inDays(36500))] }),
    );
    const r = build({}, sampleScan(accounts));
    expect(r.findings.some((f) => f.rule === 'key-over-max-age')).toBe(false);
    expect(r.neverExpiringKeys.map((k) => k.credentialId)).toContain('ACCACENT');
  });
});

const pf = (
  id: string,
  accountId: string,
  rule: RuleId = 'never-expiring-key',
  firstSeen = NOW,
): PostureFinding => ({
  id,
  rule,
  severity: 'MEDIUM',
  accountId,
  resource: `arn:aws:iam::${accountId}:user/u`,
  title: id,
  fix: 'bks revoke-key u',
  effect: 'deactivates it',
  firstSeen,
  lastSeen: firstSeen,
  verified: true,
});

describe('computeTrend (table)', () => {
  const A = '222222222222';
  const F = '444444444444';
  const prevAt = daysAgo(7);
  const cases: {
    name: string;
    current: PostureFinding[];
    previous?: PostureFinding[];
    failed?: string[];
    expect: {
      new: string[];
      unchanged: string[];
      resolved: string[];
      unverified: string[];
      carried: string[];
    } | null;
  }[] = [
    { name: 'first report: no trend', current: [pf('x', A)], expect: null },
    {
      name: 'same findings: all unchanged',
      current: [pf('x', A), pf('y', A)],
      previous: [pf('x', A, undefined, prevAt), pf('y', A, undefined, prevAt)],
      expect: { new: [], unchanged: ['x', 'y'], resolved: [], unverified: [], carried: ['x', 'y'] },
    },
    {
      name: 'one new, one resolved',
      current: [pf('x', A), pf('z', A)],
      previous: [pf('x', A, undefined, prevAt), pf('y', A, undefined, prevAt)],
      expect: { new: ['z'], unchanged: ['x'], resolved: ['y'], unverified: [], carried: ['x', 'z'] },
    },
    {
      name: 'everything fixed',
      current: [],
      previous: [pf('x', A, undefined, prevAt)],
      expect: { new: [], unchanged: [], resolved: ['x'], unverified: [], carried: [] },
    },
    {
      name: 'account failed now: its findings are unverified and carried, never resolved',
      current: [pf('acct', F, 'account-unreadable')],
      previous: [pf('k', F, undefined, prevAt)],
      failed: [F],
      expect: { new: ['acct'], unchanged: [], resolved: [], unverified: ['k'], carried: ['acct', 'k'] },
    },
    {
      name: 'account readable again: its unreadable finding resolves',
      current: [pf('k', F)],
      previous: [pf('acct', F, 'account-unreadable', prevAt), pf('k', F, undefined, prevAt)],
      expect: { new: [], unchanged: ['k'], resolved: ['acct'], unverified: [], carried: ['k'] },
    },
    {
      name: 'account still failing: unreadable unchanged, earlier findings stay unverified',
      current: [pf('acct', F, 'account-unreadable')],
      previous: [
        pf('acct', F, 'account-unreadable', prevAt),
        { ...pf('k', F, undefined, prevAt), verified: false },
      ],
      failed: [F],
      expect: { new: [], unchanged: ['acct'], resolved: [], unverified: ['k'], carried: ['acct', 'k'] },
    },
    {
      name: 'a failed account does not shield findings of other accounts from resolving',
      current: [pf('acct', F, 'account-unreadable')],
      previous: [pf('y', A, undefined, prevAt)],
      failed: [F],
      expect: { new: ['acct'], unchanged: [], resolved: ['y'], unverified: [], carried: ['acct'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { findings, trend } = computeTrend(
        c.current,
        c.previous,
        new Set(c.failed ?? []),
        c.previous ? prevAt : undefined,
      );
      if (c.expect === null) {
        expect(trend).toBeNull();
        expect(findings.map((f) => f.id)).toEqual(c.current.map((f) => f.id));
        return;
      }
      expect(trend).not.toBeNull();
      expect(trend?.new).toEqual(c.expect.new);
      expect(trend?.unchanged).toEqual(c.expect.unchanged);
      expect(trend?.resolved.map((f) => f.id)).toEqual(c.expect.resolved);
      expect(trend?.unverified).toEqual(c.expect.unverified);
      expect(findings.map((f) => f.id)).toEqual(c.expect.carried);
      for (const f of findings) {
        const prev = c.previous?.find((p) => p.id === f.id);
        if (prev) expect(f.firstSeen).toBe(prev.firstSeen); // first seen is kept
        expect(f.verified).toBe(!c.expect.unverified.includes(f.id));
      }
    });
  }
});

describe('trend over real reports, history', () => {
  it('next week: the never-expiring key was revoked, a new key appeared, one account failed', () => {
    const week1 = build();
    const accounts = sampleAccounts();
    const a = accounts[0];
    if (!a) throw new Error('fixture');
    a.users = a.users.filter((u) => u.userName !== 'BedrockAPIKey-never');
    a.users.push(user(a.accountId, 'BedrockAPIKey-new', { credentials: [cred('ACCANEW', 1, null)] }));
    accounts[1] = { accountId: '333333333333', status: 'error', error: 'Throttling', users: [] };
    accounts[2] = { accountId: '444444444444', status: 'ok', users: [] };
    const later = inDays(7);
    const week2 = build({ maxAgeDays: 90, previous: week1 }, sampleScan(accounts, later));
    const t = week2.trend;
    const ruleOf = (id: string) =>
      week1.findings.find((f) => f.id === id)?.rule ?? week2.findings.find((f) => f.id === id)?.rule;
    expect(t?.new.map(ruleOf).sort()).toEqual(['account-unreadable', 'never-expiring-key']);
    expect(t?.resolved.map((f) => f.rule).sort()).toEqual([
      'account-unreadable',
      'key-over-max-age',
      'never-expiring-key',
    ]);
    expect(t?.unverified.map(ruleOf).sort()).toEqual(['key-on-ordinary-user', 'never-expiring-key']);
    expect(week2.findings.filter((f) => !f.verified)).toHaveLength(2);
    expect(week2.topRisks.every((f) => f.verified)).toBe(true);
    expect(week2.history.map((h) => h.generatedAt)).toEqual([NOW, later]);
    expect(summaryText(week2)).toMatch(/2 new, 3 resolved, \d+ unchanged, 2 unverified/);
    // Security Hub: unverified findings are neither re-imported nor archived.
    const sync = postureFindingsToSync(week2, {
      account: '111111111111',
      region: 'us-east-1',
      partition: 'aws',
    });
    expect(sync.archived.map((f) => f.Id).sort()).toEqual(t?.resolved.map((f) => f.id).sort());
    expect(sync.archived.every((f) => f.RecordState === 'ARCHIVED')).toBe(true);
    expect(sync.active).toHaveLength(week2.findings.length - 2);
    expect(sync.active.every((f) => f.AwsAccountId === '111111111111' && f.RecordState === 'ACTIVE')).toBe(
      true,
    );
  });

  it('keeps at most HISTORY_LIMIT points, oldest dropped, and never duplicates a time', () => {
    const point = (i: number): HistoryPoint => ({
      generatedAt: new Date(Date.UTC(2025, 0, 1) + i * 7 * 86_400_000).toISOString(),
      accounts: i,
      accountsFailed: 0,
      liveKeys: i,
      neverExpiring: 0,
      ordinaryUserKeys: 0,
      orphanedPhantoms: 0,
      atRisk: 0,
      unknown: 0,
      findings: i,
    });
    let h: HistoryPoint[] = [];
    for (let i = 0; i < HISTORY_LIMIT + 10; i++) h = appendHistory(h, point(i));
    expect(h).toHaveLength(HISTORY_LIMIT);
    expect(h[0]?.accounts).toBe(10);
    expect(appendHistory(h, point(HISTORY_LIMIT + 9))).toHaveLength(HISTORY_LIMIT);
  });
});

describe('renderers', () => {
  it('JSON round-trips as a previous report; bad documents are one-line usage errors', () => {
    const r = build();
    const back = parseComplianceReport(renderComplianceJson(r));
    expect(back.findings).toEqual(r.findings);
    expect(() => parseComplianceReport('{')).toThrow(/is not JSON/);
    expect(() => parseComplianceReport('{"schema":"bks.scan/v1"}')).toThrow(/not a bks.compliance\/v1/);
    expect(() => parseScanResult('{"schema":"bks.compliance/v1"}', 'x.json')).toThrow(
      /x.json is not a bks.scan\/v1/,
    );
  });

  it('CSV neutralises formulas (the scan CSV cell) and lists resolved findings', () => {
    const week1 = build();
    const csv = renderComplianceCsv(build({ previous: week1 }, sampleScan(sampleAccounts(), inDays(7))));
    const lines = csv.split('\n');
    expect(lines[0]).toBe(
      'id,trend,severity,rule,accountId,userName,service,credentialId,resource,title,fix,effect,firstSeen,lastSeen',
    );
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv).not.toMatch(/,=HYPERLINK/);
    expect(csv).toMatch(/,resolved,MEDIUM,key-over-max-age,/); // maxAgeDays was not given the second time
  });

  it('markdown and HTML carry the numbers; HTML is self-contained and escapes data', () => {
    const r = build();
    const md = renderComplianceMarkdown(r);
    expect(md).toMatch(/\| 3 \| 1 \| 4 \| 2 \| 1 \| 2 \| 1 \| 1 \| 10 \|/);
    expect(md).toContain('`bks revoke-key BedrockAPIKey-risk`');
    const html = renderComplianceHtml(r);
    expect(html).toContain('data-metric="live-keys">4<');
    expect(html).not.toMatch(/<script|<link|@import|url\(|https?:\/\//i);
    expect(html).toContain('=HYPERLINK(&quot;x&quot;)');
    expect(html).toMatch(/<svg[^>]+aria-label="Age of live API keys"/);
    const evil = sampleAccounts();
    evil[0]?.users.push(
      user('222222222222', '<img src=x onerror=alert(1)>', {
        phantom: false,
        credentials: [cred('ACCAX', 1, null)],
      }),
    );
    expect(renderComplianceHtml(build({}, sampleScan(evil)))).not.toContain('<img');
  });

  it('merges several scan files: the newest result of an account wins', () => {
    const old = sampleScan(sampleAccounts(), daysAgo(1));
    const fresh = sampleScan([{ accountId: '444444444444', status: 'ok', users: [] }], NOW);
    const merged = mergeScans([old, fresh]);
    expect(merged.generatedAt).toBe(NOW);
    expect(merged.accounts.find((a) => a.accountId === '444444444444')?.status).toBe('ok');
    expect(merged.accounts).toHaveLength(3);
  });
});
