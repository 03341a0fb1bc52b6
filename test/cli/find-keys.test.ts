import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accessKeyIdForAccount,
  buildShortTermKey,
  encodeLongTermKey,
  longTermAlias,
  secretFingerprint,
} from '../../src/keys';
import { findKeysInPaths } from '../../src/keys/find';
import { SERVICES } from '../../src/services';
import { bks, bksProcess } from './bks-runner';

const [bedrock, claude] = SERVICES as [(typeof SERVICES)[0], (typeof SERVICES)[0]];
const SECRET = `CANARY${Math.random().toString(36).slice(2)}SECRET`;
const SECRET2 = `OTHERCANARY${Math.random().toString(36).slice(2)}`;
const TOKEN = `TOKENCANARY${Math.random().toString(36).slice(2)}`;
const ENV_VALUE = `envcanary-${Math.random().toString(36).slice(2)}`;
const longKey = encodeLongTermKey(bedrock, longTermAlias('BedrockAPIKey-ab12', '123456789012', 0), SECRET);
const claudeKey = encodeLongTermKey(claude, longTermAlias('svc-at-team+x', '210987654321', 1), SECRET2);
const shortKey = buildShortTermKey(bedrock, {
  accessKeyId: accessKeyIdForAccount('ASIA', '345678901234', Uint8Array.of(1, 2, 3, 4, 5, 6)),
  region: 'us-gov-west-1',
  issuedAt: new Date(Date.now() - 60_000),
  expiresSeconds: 3600,
  sessionToken: TOKEN,
});
const decoys = [
  `ABSK${Buffer.from(Array.from({ length: 60 }, (_, i) => (i * 53 + 7) % 256)).toString('base64')}`,
  longKey.slice(0, 20),
  `ABSK${Buffer.from(`nobody:${SECRET2}x`).toString('base64')}`,
];

function expectNoSecret(run: { stdout: string; stderr: string }) {
  for (const text of [run.stdout, run.stderr]) {
    for (const needle of [
      SECRET,
      SECRET2,
      TOKEN,
      ENV_VALUE,
      longKey.slice(4, 40),
      claudeKey.slice(4, 40),
      shortKey.slice(20, 80),
    ]) {
      expect(text).not.toContain(needle);
    }
  }
}

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bks-find-'));
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  mkdirSync(join(dir, '.git'));
  writeFileSync(
    join(dir, 'src', 'app.ts'),
    `// app\nconst key = '${longKey}';\nconst k2 = "${claudeKey}";\n`,
  );
  writeFileSync(
    join(dir, 'src', 'deep', 'env'),
    `AWS_BEARER_TOKEN_BEDROCK=${ENV_VALUE}\nTOKEN=${shortKey}\n`,
  );
  writeFileSync(join(dir, 'copy.md'), `Leaked again: \`${longKey}\`\n${decoys.join('\n')}\n`);
  writeFileSync(join(dir, '.git', 'config'), `${longKey}\n`);
  writeFileSync(join(dir, 'blob.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(longKey)]));
  writeFileSync(join(dir, 'big.log'), `${'x'.repeat(5000)}\n${claudeKey}\n`);
  return dir;
}

interface JsonFinding {
  service: string;
  kind: string;
  userName?: string;
  accountId?: string;
  expired: boolean | null;
  secretSha256: string;
  locations: { path: string; line: number; column: number; commits?: string[] }[];
}

describe('bks find-keys', () => {
  it('finds, decodes and merges keys in a tree; skips .git, binaries and large files; exit 1', async () => {
    const dir = tree();
    const run = await bks(['find-keys', dir, '-o', 'json', '--max-file-size', '4KB']);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as {
      schema: string;
      findings: JsonFinding[];
      skipped: { path: string; reason: string }[];
    };
    expect(out.schema).toBe('bks.find-keys/v1');
    const rel = (p: string) => p.slice(dir.length + 1);
    const summary = out.findings.map((f) => ({
      kind: f.kind,
      service: f.service,
      who: f.userName ?? f.accountId ?? '',
      where: f.locations.map((l) => `${rel(l.path)}:${l.line}:${l.column}`),
    }));
    expect(summary).toEqual([
      {
        kind: 'long-term',
        service: 'bedrock',
        who: 'BedrockAPIKey-ab12',
        where: ['copy.md:1:16', 'src/app.ts:2:14'],
      },
      { kind: 'long-term', service: 'claude-platform', who: 'svc-at-team+x', where: ['src/app.ts:3:13'] },
      { kind: 'bearer-env-assignment', service: 'bedrock', who: '', where: ['src/deep/env:1:1'] },
      { kind: 'short-term', service: 'bedrock', who: '345678901234', where: ['src/deep/env:2:7'] },
    ]);
    const short = out.findings.find((f) => f.kind === 'short-term')!;
    expect(short.expired).toBe(false);
    expect(out.findings[0]!.secretSha256).toBe(secretFingerprint(SECRET));
    expect(out.findings[2]!.secretSha256).toBe(secretFingerprint(ENV_VALUE));
    expect(out.skipped.map((s) => [rel(s.path), s.reason]).sort()).toEqual([
      ['big.log', 'too-large'],
      ['blob.bin', 'binary'],
    ]);
    expect(run.stderr).toContain('not scanned (too-large)');
    expectNoSecret(run);

    const table = await bks(['find-keys', dir, '--max-file-size', '4KB']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/4 keys in 5 locations/);
    expectNoSecret(table);
  });

  it('exits 0 when nothing is found and 2 on a missing path or a bad flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-find-'));
    writeFileSync(join(dir, 'clean.txt'), `${decoys.join('\n')}\nABSK and AEAA and bedrock-api-key- alone\n`);
    const clean = await bks(['find-keys', dir, '-o', 'json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).findings).toEqual([]);
    const missing = await bks(['find-keys', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^bks: no such file or directory: .*nope\n$/);
    expect((await bks(['find-keys', dir, '--max-file-size', 'lots'])).code).toBe(2);
    expect((await bks(['find-keys'])).code).toBe(2);
  });

  it('scans stdin with -', async () => {
    const run = await bksProcess(['find-keys', '-', '-o', 'json'], `hello\n  ${claudeKey}\n`);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { findings: JsonFinding[] };
    expect(out.findings.map((f) => [f.service, f.locations[0]])).toEqual([
      ['claude-platform', { path: '-', line: 2, column: 3 }],
    ]);
    expectNoSecret(run);
  });

  it('--git finds a key that only exists in an old commit, naming the commits', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'bks-git-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    writeFileSync(join(repo, 'config.py'), `import os\nKEY = "${longKey}"\n`);
    git('add', '.');
    git('commit', '-qm', 'add config');
    const added = git('rev-parse', 'HEAD');
    writeFileSync(join(repo, 'config.py'), 'import os\nKEY = os.environ["AWS_BEARER_TOKEN_BEDROCK"]\n');
    git('commit', '-qam', 'remove the key');
    const removed = git('rev-parse', 'HEAD');

    const tree = await bks(['find-keys', repo, '-o', 'json']);
    expect(tree.code).toBe(0);

    const run = await bks(['find-keys', '--git', repo, '-o', 'json']);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { findings: JsonFinding[]; scanned: { gitBlobs: number } };
    expect(out.scanned.gitBlobs).toBe(2);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]!.locations).toEqual([
      expect.objectContaining({
        path: 'config.py',
        line: 2,
        column: 8,
        commits: expect.arrayContaining([added, removed]),
      }),
    ]);
    expectNoSecret(run);

    const sarif = await bks(['find-keys', '--git', repo, '-o', 'sarif']);
    expect(sarif.code).toBe(1);
    expectNoSecret(sarif);
    expect(JSON.parse(sarif.stdout).runs[0].results[0].message.text).toContain(added.slice(0, 12));

    expect((await bks(['find-keys', '--git', tmpdir()])).code).toBe(2);
    // The CLI names its flag; the core (which knows no flags) refuses stdin in its own words.
    const stdin = await bks(['find-keys', '--git', '-']);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toBe('bks: --git scans repositories: - (stdin) cannot be combined with it\n');
    await expect(findKeysInPaths(['-'], { git: true })).rejects.toThrow(
      /^git histories are read from repositories: - \(stdin\) is not one$/,
    );
    rmSync(repo, { recursive: true, force: true });
  });

  it('writes SARIF 2.1.0 that code scanning accepts', async () => {
    const dir = tree();
    const run = await bksProcess(['find-keys', '.', '-o', 'sarif', '--max-file-size', '4KB'], '', dir);
    expect(run.code).toBe(1);
    expectNoSecret(run);
    const log = JSON.parse(run.stdout);
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run0 = log.runs[0];
    expect(run0.tool.driver.name).toBe('bks');
    const rules = run0.tool.driver.rules as {
      id: string;
      shortDescription: { text: string };
      properties: Record<string, unknown>;
    }[];
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const rule of rules) {
      expect(rule.id).toMatch(/^bks\/[a-z-]+$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
      expect(Number(rule.properties['security-severity'])).toBeGreaterThan(0);
    }
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(run0.results).toHaveLength(5);
    for (const r of run0.results) {
      expect(rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.message.text.length).toBeGreaterThan(0);
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation.uri).toMatch(/^(src\/app\.ts|src\/deep\/env|copy\.md)$/);
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
      expect(loc.region.startColumn).toBeGreaterThanOrEqual(1);
      expect(Object.values(r.partialFingerprints).every((v) => typeof v === 'string')).toBe(true);
    }
    const fps = run0.results.map((r: { partialFingerprints: Record<string, string> }) =>
      JSON.stringify(r.partialFingerprints),
    );
    expect(new Set(fps).size).toBe(fps.length);
  });
});
