import { describe, expect, it } from 'vitest';
import { costTable, DEFAULT_ASSUMPTIONS, monthlyCost } from '../../bench/cost';

describe('bench/cost', () => {
  it('prints one row per volume and grows with the event volume', () => {
    const table = costTable([10_000, 1_000_000]);
    expect(table.split('\n')).toHaveLength(4);
    const total = (v: number) => Object.values(monthlyCost(v)).reduce((a, b) => a + b, 0);
    expect(total(1_000_000)).toBeGreaterThan(total(10_000));
    expect(total(100_000_000)).toBeGreaterThan(total(1_000_000));
  });

  it('charges Step Functions per incident, not per event (the dispatcher gates per rule and key)', () => {
    const sfn = (v: number) => monthlyCost(v)['Step Functions'];
    const incidents = (v: number) =>
      Math.max(DEFAULT_ASSUMPTIONS.minIncidentsPerDay, (v / 1e6) * DEFAULT_ASSUMPTIONS.incidentsPerMillion);
    expect(sfn(100_000_000)).toBeCloseTo(
      30 * incidents(100_000_000) * DEFAULT_ASSUMPTIONS.transitionsPerIncident * (0.025 / 1000),
      6,
    );
  });
});
