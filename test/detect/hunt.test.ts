import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { hunt, listLogFiles } from '../../src/detect/hunt';
import { loadRules } from '../../src/detect/rule-files';
import { compileRules, defaultRulesDir } from '../../src/detect/rules';

const samplesDir = join(defaultRulesDir(), 'samples');
const sample = (name: string) => JSON.parse(readFileSync(join(samplesDir, name), 'utf8'));
const set = compileRules(loadRules());

function logDir() {
  const dir = mkdtempSync(join(tmpdir(), 'bks-hunt-'));
  const console = [
    'console-create-phantom-user.json',
    'console-attach-limited-access.json',
    'console-create-bedrock-api-key.json',
  ].map(sample);
  writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: console }));
  mkdirSync(join(dir, 'us-west-2', '2026', '11'), { recursive: true });
  writeFileSync(
    join(dir, 'us-west-2', '2026', '11', 'trail.json.gz'),
    gzipSync(
      JSON.stringify({
        Records: [sample('invoke-model-with-long-term-key.json'), sample('benign-invoke-model-sigv4.json')],
      }),
    ),
  );
  writeFileSync(
    join(dir, 'lines.jsonl'),
    `${JSON.stringify(sample('access-key-created-on-phantom.json'))}\n${JSON.stringify(sample('mantle-create-inference-long-term.json'))}\n`,
  );
  writeFileSync(join(dir, 'notes.txt'), 'not a log');
  return dir;
}

function burst(n: number) {
  const base = sample('invoke-model-with-long-term-key.json');
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    eventID: `burst-${String(i).padStart(4, '0')}`,
    eventTime: new Date(Date.parse(base.eventTime) + i * 1000).toISOString().replace('.000', ''),
  }));
}

describe('hunt', () => {
  it('walks directories recursively, reads .json, .json.gz and JSON lines, and ignores other files', async () => {
    const dir = logDir();
    expect(listLogFiles([dir]).map((p) => p.slice(dir.length + 1))).toEqual([
      'lines.jsonl',
      'trail.json',
      'us-west-2/2026/11/trail.json.gz',
    ]);
    const r = await hunt(set, [dir]);
    expect(r.scanned).toBe(7);
    // BKS-018 fires on the us-west-2 call although the file with the eu-central-1 call (later in time) was read first.
    expect(r.matches.map((m) => m.ruleId)).toEqual([
      'BKS-001-BEDROCK',
      'BKS-003-BEDROCK',
      'BKS-006-BEDROCK',
      'BKS-010-BEDROCK',
      'BKS-018',
      'BKS-010-BEDROCK',
    ]);
    expect(r.matches[0]).toMatchObject({
      eventId: 'd23f0824-128b-2f33-0c5c-7fd0a6a3a450',
      eventName: 'CreateUser',
      severity: 'LOW',
      region: 'us-east-1',
      principal:
        'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com',
    });
    expect(r.matches.find((m) => m.ruleId === 'BKS-018')).toMatchObject({
      value: 2,
      regions: ['eu-central-1', 'us-west-2'],
      region: 'us-west-2',
    });
  });

  it('runs the stateful rules with per-run thresholds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-hunt-'));
    writeFileSync(join(dir, 'burst.json'), JSON.stringify({ Records: burst(30) }));
    const quiet = await hunt(set, [dir]);
    expect(quiet.matches.filter((m) => m.ruleId === 'BKS-017')).toEqual([]);
    const loud = await hunt(set, [dir], { overrides: { count: { threshold: 25 } } });
    expect(loud.matches.filter((m) => m.ruleId === 'BKS-017').map((m) => [m.eventId, m.value])).toEqual([
      // The match is the event that crossed 25; its value is what the window reached (issue 15:
      // a hunt reports the whole window, as the multi-region rule must count every region).
      ['burst-0024', 30],
    ]);
    expect(loud.rules.find((r) => r.id === 'BKS-017')).toMatchObject({ threshold: 25, windowSeconds: 300 });
  });
});

describe('bks hunt', () => {
  const capture = () => {
    const chunks: string[] = [];
    return {
      stream: { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream,
      text: () => chunks.join(''),
    };
  };

  it('writes bks.hunt/v1 JSON and exits 1 with --fail-on at or below the worst match', async () => {
    const dir = logDir();
    const out = join(mkdtempSync(join(tmpdir(), 'bks-out-')), 'hunt.json');
    expect(await main(['hunt', dir, '-o', 'json', '--out-file', out, '--fail-on', 'high'])).toBe(1);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.schema).toBe('bks.hunt/v1');
    expect(json.scanned).toBe(7);
    expect(json.rules.length).toBe(loadRules().length);
    expect(json.matches[0]).toEqual(
      expect.objectContaining({
        ruleId: 'BKS-001-BEDROCK',
        eventId: expect.any(String),
        eventTime: expect.any(String),
        eventName: 'CreateUser',
        severity: 'LOW',
      }),
    );
    expect(await main(['hunt', dir, '-o', 'json', '--out-file', out, '--fail-on', 'critical'])).toBe(0);
    expect(await main(['hunt', dir, '-o', 'markdown', '--out-file', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /^# bks hunt\n\n6 match\(es\) in 7 record\(s\) from 3 file\(s\)/,
    );
  });

  it('says when the input holds no data events (a trail logs them only with data-event selectors)', async () => {
    const dir = logDir();
    const out = join(mkdtempSync(join(tmpdir(), 'bks-out-')), 'hunt.txt');
    expect(await main(['hunt', dir, '--out-file', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^no data events in the input: .*says nothing about them$/m);
    // The same bedrock-mantle call as the Bedrock user guide's example logs it: a data event.
    const data = {
      ...sample('mantle-create-inference-long-term.json'),
      managementEvent: false,
      eventCategory: 'Data',
      resources: [
        {
          accountId: '123456789012',
          type: 'AWS::BedrockMantle::Project',
          ARN: 'arn:aws:bedrock-mantle:eu-central-1:123456789012:project/default',
        },
      ],
    };
    writeFileSync(join(dir, 'data.json'), JSON.stringify({ Records: [data] }));
    const r = await hunt(set, [dir]);
    expect(r.dataEvents).toBe(1);
    expect(r.matches.filter((m) => m.eventName === 'CreateInference').length).toBeGreaterThan(1);
    expect(await main(['hunt', dir, '--out-file', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toMatch(/no data events/);
  });

  it('exits 2 with one line naming the file and position on bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-bad-'));
    // Records need eventName and eventSource (hunt refuses other JSON): the first one is valid.
    writeFileSync(
      join(dir, 'bad.json'),
      '{"Records":[{"eventName":"A","eventSource":"s"},\n{"eventName": nope}]}',
    );
    const err = capture();
    expect(await main(['hunt', join(dir, 'bad.json')], err.stream)).toBe(2);
    expect(err.text()).toMatch(/^bks: .*bad\.json: malformed JSON .* at line 2 \(byte 49\)\n$/);
    const err2 = capture();
    expect(await main(['hunt', join(dir, 'missing.json')], err2.stream)).toBe(2);
    expect(err2.text()).toBe(`bks: cannot read ${join(dir, 'missing.json')}: no such file or directory\n`);
    writeFileSync(join(dir, 'broken.json.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    const err3 = capture();
    expect(await main(['hunt', join(dir, 'broken.json.gz')], err3.stream)).toBe(2);
    expect(err3.text()).toMatch(/broken\.json\.gz: not valid gzip/);
    const err4 = capture();
    expect(await main(['hunt', dir, '--fail-on', 'severe'], err4.stream)).toBe(2);
    expect(err4.text()).toMatch(/--fail-on must be one of critical, high, medium, low, informational/);
    const err5 = capture();
    expect(await main(['hunt', dir, '--volume-threshold', 'x'], err5.stream)).toBe(2);
    const err6 = capture();
    expect(await main(['hunt', dir, '--rules', dir], err6.stream)).toBe(2);
    expect(err6.text()).toMatch(/^bks: --rules: bad\.json: /);
  });
});

describe('bks detections', () => {
  it('exports every format and rejects an unknown one', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bks-out-')), 'x');
    for (const format of ['eventbridge', 'sigma', 'athena', 'cloudtrail-lake']) {
      expect(await main(['detections', 'export', '--format', format, '--out-file', out]), format).toBe(0);
      expect(readFileSync(out, 'utf8').length).toBeGreaterThan(1000);
    }
    expect(await main(['detections', 'export', '--format', 'eventbridge', '--out-file', out])).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).schema).toBe('bks.detections.eventbridge/v1');
    expect(
      await main(['detections', 'export', '--format', 'splunk'], {
        write: () => true,
      } as unknown as NodeJS.WritableStream),
    ).toBe(2);
    expect(await main(['detections', 'list', '-o', 'json', '--out-file', out])).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).rules.length).toBe(loadRules().length);
  });

  it('build writes the same files that are committed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-build-'));
    const out = join(dir, 'result.json');
    mkdirSync(join(dir, 'rules'));
    expect(
      await main(['detections', 'build', '--dir', join(dir, 'rules'), '-o', 'json', '--out-file', out]),
    ).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    for (const name of result.written) {
      expect(JSON.parse(readFileSync(join(dir, 'rules', name), 'utf8'))).toEqual(
        JSON.parse(readFileSync(join(defaultRulesDir(), name), 'utf8')),
      );
    }
  });
});

describe('listLogFiles', () => {
  it('survives a symlink loop and a directory given twice', async () => {
    const { symlinkSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'bks-loop-'));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'x.json'), '{}');
    symlinkSync(dir, join(dir, 'a', 'back'));
    expect(listLogFiles([dir, dir])).toEqual([join(dir, 'a', 'x.json')]);
  });
});
