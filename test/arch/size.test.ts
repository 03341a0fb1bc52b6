/**
 * No function, method or constructor outside test/ is longer than 120 lines (measured with the
 * TypeScript compiler's parser, from the first to the last line of the node, nested functions
 * included). A long function is split into named steps; see docs/architecture.md.
 */
import { describe, expect, it } from 'vitest';
import { longFunctions, MAX_LINES } from './measure';

/**
 * Functions still to be split (this list only shrinks): each entry must still be too long, so a
 * split function leaves the list, and a new long function fails the test.
 */
const STILL_TO_SPLIT = new Set(['sim/server.ts handleAws', 'sim/bearer.ts authorizeBearer']);

describe('function size', () => {
  it(`no function outside test/ is longer than ${MAX_LINES} lines`, () => {
    const long = longFunctions();
    const unexpected = long.filter((f) => !STILL_TO_SPLIT.has(`${f.file} ${f.name}`));
    expect(unexpected.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`)).toEqual([]);
  });

  it('lists only functions that are still too long', () => {
    const long = new Set(longFunctions().map((f) => `${f.file} ${f.name}`));
    expect([...STILL_TO_SPLIT].filter((k) => !long.has(k))).toEqual([]);
  });

  it('measures what it claims (a self-check)', () => {
    expect(longFunctions(['src'], 1).length).toBeGreaterThan(0);
  });
});
