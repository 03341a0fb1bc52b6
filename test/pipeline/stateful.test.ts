import { describe, expect, it } from 'vitest';
import { loadPipelineRules } from '../../infra/rules';
import { MemoryCounterStore } from '../../src/detect/stateful';
import { normalize, THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from '../../src/pipeline/incident';
import { countDelivery, parseStatefulRules, type StatefulRuleConfig } from '../../src/pipeline/stateful';
import { envelope, record } from './fixtures';

const rules: StatefulRuleConfig[] = loadPipelineRules()
  .filter((r) => r.kind === 'stateful')
  .map((r) => ({ id: r.id, severity: r.severity, pattern: r.pattern, stateful: r.stateful! }));
const volume = rules.find((r) => r.stateful.type === 'count')!;
const spread = rules.find((r) => r.stateful.type === 'distinct-regions')!;

function call(i: number, region = 'us-west-2') {
  const r = record('invoke-model-with-long-term-key');
  r['eventID'] = `evt-${i}`;
  r['awsRegion'] = region;
  r['eventTime'] = new Date(Date.parse('2026-11-09T02:13:44Z') + i * 100).toISOString();
  return envelope(r);
}

describe('stateful consumer', () => {
  it('fires once when the volume threshold is crossed, with a threshold event the workflow understands', async () => {
    const store = new MemoryCounterStore();
    const fired = [];
    for (let i = 0; i < volume.stateful.threshold + 20; i++) {
      fired.push(...(await countDelivery({ ruleId: volume.id, event: call(i) }, rules, store)));
    }
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      Source: THRESHOLD_EVENT_SOURCE,
      DetailType: THRESHOLD_EVENT_DETAIL_TYPE,
    });
    const detail = JSON.parse(fired[0]!.Detail);
    expect(detail.count).toBe(volume.stateful.threshold);
    const inc = normalize({
      ruleId: volume.id,
      severity: volume.severity,
      event: {
        id: 'bus-1',
        source: THRESHOLD_EVENT_SOURCE,
        'detail-type': THRESHOLD_EVENT_DETAIL_TYPE,
        detail,
      },
    });
    expect(inc.target).toEqual({ kind: 'service-credential', userName: 'BedrockAPIKey-q7xk' });
    expect(inc.threshold?.count).toBe(volume.stateful.threshold);
  });

  it('counts a redelivered event once', async () => {
    const store = new MemoryCounterStore();
    let fired = 0;
    for (let i = 0; i < volume.stateful.threshold - 1; i++) {
      for (let copy = 0; copy < 3; copy++) {
        fired += (await countDelivery({ ruleId: volume.id, event: call(i) }, rules, store)).length;
      }
    }
    expect(fired).toBe(0);
  });

  it('fires on use from distinct regions', async () => {
    const store = new MemoryCounterStore();
    const regions = ['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2'];
    let fired = 0;
    for (let i = 0; i < spread.stateful.threshold; i++) {
      fired += (await countDelivery({ ruleId: spread.id, event: call(i, regions[i]) }, rules, store)).length;
    }
    expect(fired).toBe(1);
  });

  it('refuses an unknown rule and reads its configuration from JSON', async () => {
    await expect(
      countDelivery({ ruleId: 'BKS-999', event: call(1) }, rules, new MemoryCounterStore()),
    ).rejects.toThrow(/unknown stateful rule/);
    expect(parseStatefulRules(JSON.stringify(rules))).toEqual(rules);
    expect(() => parseStatefulRules('{}')).toThrow(/JSON list/);
  });
});
