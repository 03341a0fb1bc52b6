import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario';
import { shiftScenarioToNow } from '../../sim/timeshift';

const demo = JSON.parse(readFileSync(new URL('../../sim/scenarios/demo.json', import.meta.url), 'utf8'));

describe('shiftScenarioToNow', () => {
  it('moves now to the given time and every timestamp by the same amount, keeping their text form', () => {
    const to = new Date('2030-03-04T05:06:07.000Z');
    const raw = {
      now: '2026-11-20T12:00:00Z',
      accounts: [
        {
          id: '111111111111',
          users: [
            { name: 'u', createdAt: '2026-11-19T12:00:00.250Z', tags: { note: 'not 2026-11-19T12:00:00Z!' } },
          ],
          events: [{ eventTime: '2026-11-20T11:00:00Z', requestID: '2026-11-20' }],
        },
      ],
    };
    const shifted = shiftScenarioToNow(raw, to) as typeof raw;
    expect(shifted.now).toBe('2030-03-04T05:06:07Z');
    expect(shifted.accounts[0]!.users[0]!.createdAt).toBe('2030-03-03T05:06:07.250Z');
    expect(shifted.accounts[0]!.events[0]!.eventTime).toBe('2030-03-04T04:06:07Z');
    // Only whole timestamps move: other strings, even ones containing a date, stay as they are.
    expect(shifted.accounts[0]!.users[0]!.tags.note).toBe('not 2026-11-19T12:00:00Z!');
    expect(shifted.accounts[0]!.events[0]!.requestID).toBe('2026-11-20');
    expect(raw.now).toBe('2026-11-20T12:00:00Z');
  });

  it('leaves a scenario without now unchanged', () => {
    const raw = {
      accounts: [{ id: '111111111111', users: [{ name: 'u', createdAt: '2026-01-01T00:00:00Z' }] }],
    };
    expect(shiftScenarioToNow(raw, new Date('2030-01-01T00:00:00Z'))).toBe(raw);
  });

  it('keeps the demo scenario valid and its story the same distance from now', () => {
    const to = new Date(Date.parse(demo.now) + 400 * 86_400_000);
    const shifted = shiftScenarioToNow(demo, to) as typeof demo;
    const state = loadScenario(structuredClone(shifted));
    expect(Date.parse(state.now)).toBe(to.getTime());
    const before = demo.accounts[1].events.at(-1).eventTime as string;
    const after = shifted.accounts[1].events.at(-1).eventTime as string;
    expect(Date.parse(after) - Date.parse(before)).toBe(400 * 86_400_000);
  });
});
