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

  it('points AT_RISK to revoke-key and orphaned phantoms to cleanup, nothing else', () => {
    expect(nextCommand(u('AT_RISK'))).toBe('bks revoke-key BedrockAPIKey-at_r');
    expect(nextCommand(u('ORPHANED'))).toBe('bks cleanup --service bedrock');
    expect(nextCommand(u('ORPHANED', { phantom: false }))).toBeUndefined();
    expect(nextCommand(u('UNKNOWN'))).toBeUndefined();
  });
});
