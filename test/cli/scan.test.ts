import { describe, expect, it } from 'vitest';
import { failsOn, nextCommand, renderScanCsv } from '../../src/cli/scan';
import { type ScanResult, type ScanUser, summarize } from '../../src/inventory';
import { csvCell } from '../../src/util/csv';

const u = (status: ScanUser['status'], over: Partial<ScanUser> = {}): ScanUser => ({
  userName: `BedrockAPIKey-${status.toLowerCase().slice(0, 4)}`,
  arn: 'arn:aws:iam::111111111111:user/x',
  phantom: true,
  service: 'bedrock',
  status,
  reasons: ['r'],
  evidence: ['name-prefix'],
  credentials: [],
  accessKeys: [],
  consolePassword: false,
  mfa: false,
  groups: [],
  ...over,
});
const result = (...users: ScanUser[]): ScanResult => {
  const accounts = [{ accountId: '111111111111', status: 'ok' as const, users }];
  return {
    generatedAt: 'now',
    partition: 'aws',
    services: ['bedrock'],
    accounts,
    summary: summarize(accounts, 0),
  };
};

describe('scan CLI helpers', () => {
  it.each([
    ['at-risk', ['AT_RISK'], ['UNKNOWN', 'ACTIVE', 'ORPHANED']],
    ['unknown', ['AT_RISK', 'UNKNOWN'], ['ACTIVE', 'ORPHANED']],
    ['active', ['AT_RISK', 'UNKNOWN', 'ACTIVE'], ['ORPHANED']],
    ['orphaned', ['AT_RISK', 'UNKNOWN', 'ACTIVE', 'ORPHANED'], []],
    ['any', ['AT_RISK', 'UNKNOWN', 'ACTIVE', 'ORPHANED'], []],
  ] as const)('--fail-on %s fails on %j and not on %j', (level, fail, pass) => {
    for (const s of fail) expect(failsOn(result(u(s)), level)).toBe(true);
    for (const s of pass) expect(failsOn(result(u(s)), level)).toBe(false);
    expect(failsOn(result(), level)).toBe(false);
  });

  it('neutralises spreadsheet formulas in CSV cells', () => {
    for (const bad of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      expect(csvCell(bad).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('plain')).toBe('plain');
    const csv = renderScanCsv(result(u('ACTIVE', { userName: '=cmd|calc', reasons: ['-x'] })));
    expect(csv).toMatch(/'=cmd\|calc/);
    expect(csv).toMatch(/,'-x$/m);
  });

  // The fix printed under a user is its most severe posture finding's (src/findings/posture.ts, the
  // table bks compliance reads). Changed deliberately (issue 15): UNKNOWN users now get the step that
  // fixes them, keys on ordinary users the targeted --credential revoke instead of nothing.
  it('points each user to the fix of its most severe finding, the targeted one when it can', () => {
    const at = { generatedAt: '2026-11-20T12:00:00.000Z' };
    const fix = (x: ScanUser) => nextCommand(x, '111111111111', at)?.fix;
    expect(fix(u('AT_RISK', { consolePassword: true }))).toBe('bks revoke-key BedrockAPIKey-at_r');
    expect(fix(u('AT_RISK', { accessKeys: [{ id: 'AKIAEXAMPLE000001', status: 'Active' }] }))).toBe(
      'bks revoke-key BedrockAPIKey-at_r --credential AKIAEXAMPLE000001',
    );
    expect(fix(u('ORPHANED'))).toBe('bks cleanup --service bedrock');
    expect(fix(u('ORPHANED', { phantom: false }))).toBeUndefined();
    expect(fix(u('UNKNOWN'))).toMatch(/^grant the missing IAM read permissions/);
    const ordinary = u('ACTIVE', {
      userName: 'svc-user',
      phantom: false,
      credentials: [
        { id: 'ACCAEXAMPLE00001', status: 'Active', createdAt: null, expiresAt: '2026-12-01T00:00:00Z' },
      ],
    });
    const n = nextCommand(ordinary, '111111111111', at);
    expect(n?.fix).toBe('bks revoke-key svc-user --credential ACCAEXAMPLE00001');
    expect(n?.effect).toMatch(/Not `bks revoke-key svc-user --force`: that revokes every API key/);
  });
});
