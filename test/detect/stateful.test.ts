import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../src/detect/knowledge';
import { loadRules } from '../../src/detect/rule-files';
import { compileRules } from '../../src/detect/rules';
import {
  type CounterStore,
  MemoryCounterStore,
  StatefulEngine,
  type StatefulMatch,
} from '../../src/detect/stateful';

const set = compileRules(loadRules());
const T0 = Date.parse('2026-11-09T00:00:00Z');

function invoke(
  i: number,
  atMs: number,
  opts: { user?: string; region?: string; bearer?: unknown } = {},
): CloudTrailRecord {
  const user = opts.user ?? 'BedrockAPIKey-q7xk';
  return {
    eventTime: new Date(atMs).toISOString(),
    eventSource: 'bedrock.amazonaws.com',
    eventName: 'InvokeModel',
    eventID: `ev-${i}`,
    awsRegion: opts.region ?? 'us-east-1',
    userIdentity: { type: 'IAMUser', userName: user, arn: `arn:aws:iam::123456789012:user/${user}` },
    additionalEventData: { callWithBearerToken: opts.bearer ?? true },
  };
}

async function run(engine: StatefulEngine, records: CloudTrailRecord[]): Promise<StatefulMatch[]> {
  const out: StatefulMatch[] = [];
  for (const r of records) out.push(...(await engine.observe(r)));
  return out;
}

describe('stateful rules', () => {
  it('fires once when one principal reaches the invocation threshold within the window', async () => {
    const burst = Array.from({ length: 150 }, (_, i) => invoke(i, T0 + i * 1000));
    const matches = (await run(new StatefulEngine(set.stateful), burst)).filter(
      (m) => m.rule.id === 'BKS-017',
    );
    expect(matches).toHaveLength(1);
    expect(matches[0]?.value).toBe(100);
    expect(matches[0]?.record.eventID).toBe('ev-99');
    expect(matches[0]?.principal).toBe('arn:aws:iam::123456789012:user/BedrockAPIKey-q7xk');
  });

  it('does not fire below the threshold, or when calls are spread beyond the window', async () => {
    const below = Array.from({ length: 99 }, (_, i) => invoke(i, T0 + i * 1000));
    expect(
      (await run(new StatefulEngine(set.stateful), below)).filter((m) => m.rule.id === 'BKS-017'),
    ).toEqual([]);
    const spread = Array.from({ length: 300 }, (_, i) => invoke(i, T0 + i * 10_000));
    expect(
      (await run(new StatefulEngine(set.stateful), spread)).filter((m) => m.rule.id === 'BKS-017'),
    ).toEqual([]);
  });

  it('counts per principal and takes thresholds from overrides (by type or rule id)', async () => {
    const two = [
      ...Array.from({ length: 6 }, (_, i) => invoke(i, T0 + i, { user: 'BedrockAPIKey-aaaa' })),
      ...Array.from({ length: 4 }, (_, i) => invoke(100 + i, T0 + i, { user: 'BedrockAPIKey-bbbb' })),
    ];
    const engine = new StatefulEngine(set.stateful, { overrides: { count: { threshold: 5 } } });
    expect(engine.settings()['BKS-017']).toMatchObject({ threshold: 5, windowSeconds: 300 });
    const matches = (await run(engine, two)).filter((m) => m.rule.id === 'BKS-017');
    expect(matches.map((m) => m.principal)).toEqual(['arn:aws:iam::123456789012:user/BedrockAPIKey-aaaa']);
    const byId = new StatefulEngine(set.stateful, {
      overrides: { count: { threshold: 5 }, 'BKS-017': { threshold: 7 } },
    });
    expect(byId.settings()['BKS-017']?.threshold).toBe(7);
  });

  it('ignores calls that are not made with a key', async () => {
    const sigv4 = Array.from({ length: 200 }, (_, i) => ({
      ...invoke(i, T0 + i),
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/r/s' },
      additionalEventData: { callWithBearerToken: false },
    }));
    expect(await run(new StatefulEngine(set.stateful), sigv4)).toEqual([]);
  });

  it('fires when the same key principal appears in two regions within 30 minutes, not 40 minutes apart', async () => {
    const near = [
      invoke(1, T0, { region: 'us-east-1' }),
      invoke(2, T0 + 29 * 60_000, { region: 'eu-west-1' }),
    ];
    const m = (await run(new StatefulEngine(set.stateful), near)).filter((x) => x.rule.id === 'BKS-018');
    expect(m).toHaveLength(1);
    expect(m[0]?.regions).toEqual(['eu-west-1', 'us-east-1']);
    const far = [
      invoke(1, T0, { region: 'us-east-1' }),
      invoke(2, T0 + 40 * 60_000, { region: 'eu-west-1' }),
    ];
    expect((await run(new StatefulEngine(set.stateful), far)).filter((x) => x.rule.id === 'BKS-018')).toEqual(
      [],
    );
  });

  it('is deterministic on event time: order of arrival within the window does not matter', async () => {
    const burst = Array.from({ length: 120 }, (_, i) => invoke(i, T0 + i * 1000));
    const shuffled = [...burst].sort((a, b) => (a.eventID! < b.eventID! ? 1 : -1));
    const a = await run(new StatefulEngine(set.stateful), burst);
    const b = await run(new StatefulEngine(set.stateful), shuffled);
    expect(a.map((m) => m.rule.id)).toEqual(b.map((m) => m.rule.id));
  });

  it('works the same with an asynchronous store (the pipeline backs it with DynamoDB)', async () => {
    const mem = new MemoryCounterStore();
    const asyncStore: CounterStore = {
      increment: async (...a) => mem.increment(...a),
      addMember: async (...a) => mem.addMember(...a),
      counts: async (...a) => mem.counts(...a),
      members: async (...a) => mem.members(...a),
      claim: async (...a) => mem.claim(...a),
    };
    const burst = Array.from({ length: 150 }, (_, i) =>
      invoke(i, T0 + i * 1000, { region: i % 2 ? 'us-east-1' : 'us-west-2' }),
    );
    const sync = await run(new StatefulEngine(set.stateful), burst);
    const viaAsync = await run(new StatefulEngine(set.stateful, { store: asyncStore }), burst);
    expect(viaAsync.map((m) => [m.rule.id, m.record.eventID])).toEqual(
      sync.map((m) => [m.rule.id, m.record.eventID]),
    );
    expect(sync.map((m) => m.rule.id).sort()).toEqual(['BKS-017', 'BKS-018']);
  });

  it('keeps memory bounded: old windows are evicted as event time moves on', async () => {
    const store = new MemoryCounterStore();
    const engine = new StatefulEngine(set.stateful, { store });
    const sizes: number[] = [];
    for (let hour = 0; hour < 24; hour++) {
      const batch = Array.from({ length: 500 }, (_, i) =>
        invoke(i, T0 + hour * 3_600_000 + i * 1000, { user: `BedrockAPIKey-${hour}-${i % 50}` }),
      );
      await run(engine, batch);
      sizes.push(store.size());
    }
    expect(Math.max(...sizes.slice(4))).toBeLessThanOrEqual(Math.max(...sizes.slice(0, 4)) * 1.5);
  });
});
