/**
 * The multi-region rule fires in real time when the second region appears; a hunt over a file sees
 * the whole window, so its match reports every region used in that window (the demo's attacker used
 * three: "2 regions" would understate the incident).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hunt } from '../../src/detect/hunt';
import { loadRules } from '../../src/detect/rule-files';
import { compileRules, defaultRulesDir } from '../../src/detect/rules';

const sample = JSON.parse(
  readFileSync(join(defaultRulesDir(), 'samples', 'invoke-model-with-long-term-key.json'), 'utf8'),
) as Record<string, unknown>;

describe('hunt: the distinct-regions rule counts every region of its window', () => {
  it('three regions within a minute: one match, value 3, all three regions', async () => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
    const base = Date.parse('2026-11-20T12:00:00Z');
    const records = regions.map((region, i) => ({
      ...sample,
      awsRegion: region,
      eventID: `e-${i}`,
      eventTime: new Date(base + i * 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }));
    const dir = mkdtempSync(join(tmpdir(), 'bks-hunt-regions-'));
    writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: records }));
    const r = await hunt(compileRules(loadRules()), [dir]);
    const multi = r.matches.filter((m) => m.kind === 'stateful' && m.regions);
    expect(multi).toHaveLength(1);
    expect(multi[0]?.value).toBe(3);
    expect(multi[0]?.regions).toEqual([...regions].sort());
  });
});
