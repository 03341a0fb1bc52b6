import { describe, expect, it } from 'vitest';
import { AwsClock, responseDate } from '../../src/aws/clock';

describe("AwsClock: AWS's time from the responses' Date header", () => {
  it('is the local clock until a response stated a time', () => {
    const c = new AwsClock();
    expect(c.observed).toBe(false);
    expect(c.now(1_000_000).getTime()).toBe(1_000_000);
  });

  it("follows the server's clock, however far the local clock is off, and moves with local time", () => {
    const c = new AwsClock();
    // The server says 2026-11-09T03:00:00Z while the local clock reads a month later.
    const local = Date.parse('2026-12-07T07:00:00Z');
    c.observe('Mon, 09 Nov 2026 03:00:00 GMT', local);
    expect(c.observed).toBe(true);
    // The header has second precision: the latest the server's clock can show is .999 later.
    expect(c.now(local).toISOString()).toBe('2026-11-09T03:00:00.999Z');
    expect(c.now(local + 5_000).toISOString()).toBe('2026-11-09T03:00:05.999Z');
  });

  it('ignores an absent or unreadable header', () => {
    const c = new AwsClock();
    c.observe(undefined);
    c.observe('not a date');
    expect(c.observed).toBe(false);
  });

  it('reads the header from an SDK middleware result or from an error ($response)', () => {
    expect(responseDate({ response: { headers: { date: 'x' } } })).toBe('x');
    expect(responseDate({ $response: { headers: { date: 'y' } } })).toBe('y');
    expect(responseDate(null)).toBeUndefined();
  });
});
