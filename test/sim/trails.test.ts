/**
 * Which of an account's records its trails' log files hold (`trailLoggedRecords`, the S3 export the
 * docs and the demo hunt over): management events under the default trail, and data events only
 * where a trail's advanced event selectors select them — bedrock-mantle inference with the selector
 * of the Bedrock user guide ("Monitor bedrock-mantle API calls using CloudTrail").
 */
import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../sim/generate';
import { loadScenario } from '../../sim/scenario';
import { trailLoggedRecords } from '../../sim/trails';
import { mantleSelector } from '../helpers/cloudtrail';

const MANTLE_SELECTOR = mantleSelector('Log Bedrock Mantle inference and file events');

function generated() {
  return generateScenario({ accounts: 1, users: 10, events: 60, regions: 2, seed: 3 });
}

describe('trailLoggedRecords', () => {
  it('leaves out the data events no trail selects (the default trail logs management events only)', () => {
    const state = loadScenario(generated());
    const id = state.accounts[0]!.id;
    const all = state.accounts[0]!.events;
    const inference = all.filter((e) => e.eventName === 'CreateInference');
    expect(inference.length).toBeGreaterThan(0);
    const logged = trailLoggedRecords(state, id);
    expect(logged).toHaveLength(all.length - inference.length);
    expect(logged.some((e) => e.eventName === 'CreateInference')).toBe(false);
  });

  it("keeps them where a trail carries the Bedrock user guide's bedrock-mantle selector", () => {
    const s = generated();
    s.accounts[0]!.cloudtrail = {
      trails: [
        {
          Name: 'with-mantle',
          IsMultiRegionTrail: true,
          AdvancedEventSelectors: [
            { Name: 'management', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
            MANTLE_SELECTOR,
          ],
        },
      ],
    };
    const state = loadScenario(s);
    expect(trailLoggedRecords(state, state.accounts[0]!.id)).toHaveLength(state.accounts[0]!.events.length);
  });

  it('logs nothing for an account without a logging trail', () => {
    const s = generated();
    s.accounts[0]!.cloudtrail = { trails: [] };
    const state = loadScenario(s);
    expect(trailLoggedRecords(state, state.accounts[0]!.id)).toEqual([]);
  });
});
