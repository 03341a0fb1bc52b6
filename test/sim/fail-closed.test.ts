/** bks-sim refuses what AWS could not be: a clock moved past the end of time, an organization without its management account. */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario';
import { startSim } from '../../sim/server';

describe('bks-sim fails closed on impossible input', () => {
  it('POST /_sim/clock with a huge or non-finite advance: 400 with a message, not 500; the clock is unchanged', async () => {
    const sim = await startSim({
      scenario: { now: '2026-11-20T12:00:00Z', accounts: [{ id: '111111111111' }] },
    });
    try {
      for (const advanceSeconds of [1e300, 1e13]) {
        const res = await fetch(`${sim.url}/_sim/clock`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ advanceSeconds }),
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(/advanceSeconds/);
      }
      const now = (await (await fetch(`${sim.url}/_sim/clock`)).json()) as { now: string };
      expect(now.now.slice(0, 13)).toBe('2026-11-20T12');
    } finally {
      await sim.close();
    }
  });

  it('an organization whose management account is not in the scenario is refused at load, naming the path', () => {
    expect(() =>
      loadScenario({
        accounts: [{ id: '111111111111' }],
        organization: { managementAccount: '999999999999' },
      }),
    ).toThrow(/organization\.managementAccount.*999999999999/);
  });
});
