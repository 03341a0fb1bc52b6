import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePattern } from '../../src/detect/pattern';
import { loadRules } from '../../src/detect/rule-files';
import { compileRules, defaultRulesDir, envelopeOf, evaluate, RuleError } from '../../src/detect/rules';
import { buildRuleSet, ruleFileName, ruleFileText } from '../../src/detect/ruleset';
import { SERVICES } from '../../src/services';

const rules = loadRules();
const set = compileRules(rules);

describe('the rule set in detections/', () => {
  it('is exactly what src/detect/ruleset.ts builds from SERVICES (run `bks detections build` after a change)', () => {
    const built = buildRuleSet();
    expect(rules.map((r) => r.id)).toEqual(built.map((r) => r.id));
    for (const rule of built) {
      const onDisk = JSON.parse(readFileSync(join(defaultRulesDir(), ruleFileName(rule.id)), 'utf8'));
      expect(onDisk, rule.id).toEqual(JSON.parse(ruleFileText(rule)));
    }
  });

  it('has every per-service rule for every service in SERVICES', () => {
    const templates = new Set(rules.filter((r) => r.service).map((r) => r.id.slice(0, 7)));
    expect(templates.size).toBeGreaterThanOrEqual(10);
    for (const s of SERVICES) {
      for (const t of templates) {
        expect(
          rules.some((r) => r.id === `${t}-${s.id.toUpperCase()}` && r.service === s.id),
          `${t} for ${s.id}`,
        ).toBe(true);
      }
    }
  });

  it('marks IAM rules for us-east-1 and every other rule for all regions', () => {
    for (const r of rules) {
      const source = r.pattern.source as string[] | undefined;
      expect(r.deploy, r.id).toBe(source?.every((s) => s === 'aws.iam') ? 'us-east-1' : 'all-regions');
    }
    expect(rules.filter((r) => r.deploy === 'us-east-1').length).toBeGreaterThan(0);
  });

  it.each(rules.map((r) => [r.id, r] as const))(
    '%s matches all its match samples and none of its noMatch samples',
    (_id, rule) => {
      const test = compilePattern(rule.pattern);
      rule.samples.match.forEach((s, i) => {
        expect(test(envelopeOf(s)), `${rule.id} match[${i}] (${s.eventName})`).toBe(true);
      });
      rule.samples.noMatch.forEach((s, i) => {
        expect(test(envelopeOf(s)), `${rule.id} noMatch[${i}] (${s.eventName})`).toBe(false);
      });
    },
  );

  it("never fires a key rule on other services' credentials (CodeCommit, Keyspaces, CloudWatch Logs)", () => {
    const codecommit = JSON.parse(
      readFileSync(join(defaultRulesDir(), 'samples/benign-codecommit-credential.json'), 'utf8'),
    );
    expect(evaluate(set, codecommit)).toEqual([]);
  });

  it('evaluate (indexed by source) agrees with testing every rule', () => {
    const all = rules.flatMap((r) => [...r.samples.match, ...r.samples.noMatch]);
    for (const rec of all) {
      const brute = set.pattern.filter((c) => c.test(envelopeOf(rec))).map((c) => c.rule.id);
      expect(
        evaluate(set, rec)
          .map((r) => r.id)
          .sort(),
      ).toEqual(brute.sort());
    }
  });

  it('sees the console key creation as phantom, policy and key events', () => {
    const ids = (file: string) =>
      evaluate(set, JSON.parse(readFileSync(join(defaultRulesDir(), 'samples', file), 'utf8'))).map(
        (r) => r.id,
      );
    expect(ids('console-create-phantom-user.json')).toEqual(['BKS-001-BEDROCK']);
    expect(ids('console-attach-limited-access.json')).toEqual([]);
    expect(ids('console-create-bedrock-api-key.json')).toEqual(['BKS-003-BEDROCK']);
    expect(ids('access-key-created-on-phantom.json')).toEqual(['BKS-006-BEDROCK']);
    expect(ids('eventbridge-envelope-example.json')).toEqual(['BKS-001-BEDROCK']);
  });
});

describe('loadRules', () => {
  const dirWith = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-rules-'));
    for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
    return dir;
  };
  const good = readFileSync(join(defaultRulesDir(), 'BKS-011.json'), 'utf8');

  it('names the file and the problem', () => {
    expect(() => loadRules(dirWith({ 'x.json': '{' }))).toThrow(/x\.json: invalid JSON/);
    const bad = JSON.parse(good);
    bad.pattern.detail.eventName = 'ListFoundationModels';
    expect(() => loadRules(dirWith({ 'y.json': JSON.stringify(bad) }))).toThrow(
      /y\.json: pattern \$\.detail\.eventName: must be/,
    );
    const noSamples = { ...JSON.parse(good), samples: { match: [], noMatch: [] } };
    expect(() => loadRules(dirWith({ 'z.json': JSON.stringify(noSamples) }))).toThrow(RuleError);
    const wrongDeploy = { ...JSON.parse(good), deploy: 'us-east-1' };
    expect(() => loadRules(dirWith({ 'w.json': JSON.stringify(wrongDeploy) }))).toThrow(
      /deploy must be "all-regions"/,
    );
    expect(() => loadRules(dirWith({ 'a.json': good, 'b.json': good }))).toThrow(/duplicate rule id BKS-011/);
    expect(() => loadRules(join(tmpdir(), 'does-not-exist-bks'))).toThrow(/cannot read the rule directory/);
  });

  it('checks the shape with detections/rule.schema.json, which every rule file references', () => {
    const rule = JSON.parse(good);
    expect(rule.$schema).toBe('./rule.schema.json');
    const load = (patch: Record<string, unknown>) => () =>
      loadRules(dirWith({ 'v.json': JSON.stringify({ ...rule, ...patch }) }));
    expect(load({ id: 'X-1' })).toThrow(/^v\.json: id must look like BKS-001 or BKS-001-SERVICE$/);
    expect(load({ title: '  ' })).toThrow(/^v\.json: title must be a non-empty string$/);
    expect(load({ severity: 'SEVERE' })).toThrow(/^v\.json: severity must be one of CRITICAL, HIGH/);
    expect(load({ tags: ['nope'] })).toThrow(/^v\.json: tags\[0\] must be one of recon, invoke/);
    expect(load({ stateful: { type: 'count', threshold: 1, windowSeconds: 60 } })).toThrow(
      /only stateful rules carry "stateful"/,
    );
    expect(load({ kind: 'stateful' })).toThrow(/a stateful rule must carry "stateful"/);
    // the schema file itself is not read as a rule
    const withSchema = dirWith({ 'BKS-011.json': good });
    writeFileSync(
      join(withSchema, 'rule.schema.json'),
      readFileSync(join(defaultRulesDir(), 'rule.schema.json')),
    );
    expect(loadRules(withSchema).map((r) => r.id)).toEqual(['BKS-011']);
    expect(loadRules(withSchema)[0]).not.toHaveProperty('$schema');
  });

  it('resolves sample files relative to the rule directory', () => {
    const rule = JSON.parse(good);
    rule.samples.match = [{ file: 'missing.json' }];
    expect(() => loadRules(dirWith({ 'r.json': JSON.stringify(rule) }))).toThrow(
      /missing\.json cannot be read/,
    );
  });
});

describe('bundledRules', () => {
  it('gives the pipeline the same rules without file I/O (samples left out)', async () => {
    const { bundledRules } = await import('../../src/detect/ruleset');
    const bundled = bundledRules();
    expect(bundled.map((r) => r.id)).toEqual(rules.map((r) => r.id));
    for (const [i, r] of bundled.entries()) {
      expect(r.pattern).toEqual(rules[i]?.pattern);
      expect(r.samples).toEqual({ match: [], noMatch: [] });
    }
    expect(compileRules(bundled).stateful.map((c) => c.rule.id)).toEqual(['BKS-017', 'BKS-018']);
  });
});

describe('evaluate', () => {
  it('takes the rules themselves as well as a compiled set, and EventBridge envelopes as well as records', () => {
    const envelope = JSON.parse(
      readFileSync(join(defaultRulesDir(), 'samples/eventbridge-envelope-example.json'), 'utf8'),
    );
    expect(evaluate(rules, envelope).map((r) => r.id)).toEqual(['BKS-001-BEDROCK']);
    expect(evaluate(rules, envelope.detail).map((r) => r.id)).toEqual(['BKS-001-BEDROCK']);
    expect(evaluate(set, envelope).map((r) => r.id)).toEqual(['BKS-001-BEDROCK']);
  });
});
