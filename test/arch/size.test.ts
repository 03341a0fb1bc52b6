/**
 * No function, method or constructor outside test/ is longer than 120 lines (measured with the
 * TypeScript compiler's parser, from the first to the last line of the node, nested functions
 * included). A long function is split into named steps; see docs/architecture.md.
 */
import { describe, expect, it } from 'vitest';
import { longFunctions, MAX_LINES } from './measure';

describe('function size', () => {
  it(`no function outside test/ is longer than ${MAX_LINES} lines`, () => {
    const long = longFunctions();
    expect(long.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`)).toEqual([]);
  });

  it('measures what it claims (a self-check)', () => {
    expect(longFunctions(['src'], 1).length).toBeGreaterThan(0);
  });
});
