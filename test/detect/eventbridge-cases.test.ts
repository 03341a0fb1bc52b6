/**
 * Both EventBridge matchers of the project — the detection rules' (src/detect/pattern.ts) and the
 * simulator's own (sim/eventpattern.ts) — against cases whose outcome someone else decided: the
 * Amazon EventBridge User Guide and aws/event-ruler, AWS's own matcher (its test data, Apache-2.0,
 * with event-ruler's verdict). The case file names the source of every case
 * (oracle/eventbridge-cases.json); where the guide and event-ruler disagree, the guide wins.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePattern, matchesPattern as simMatches } from '../../sim/eventpattern';
import { compilePattern } from '../../src/detect/pattern';

interface Case {
  name: string;
  source: string;
  pattern: Record<string, unknown>;
  event?: unknown;
  match?: boolean;
  invalid?: true;
}

const file = JSON.parse(
  readFileSync(new URL('./oracle/eventbridge-cases.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};
const cases = file.cases;

const matchers: { name: string; verdict: (c: Case) => boolean | 'invalid' }[] = [
  {
    name: 'src/detect/pattern.ts',
    verdict: (c) => {
      let p: ReturnType<typeof compilePattern>;
      try {
        p = compilePattern(c.pattern);
      } catch {
        return 'invalid';
      }
      return p(c.event);
    },
  },
  {
    name: 'sim/eventpattern.ts',
    verdict: (c) => {
      let p: Record<string, unknown>;
      try {
        p = parsePattern(c.pattern);
      } catch {
        return 'invalid';
      }
      return simMatches(p, c.event);
    },
  },
];

describe('the EventBridge case file', () => {
  it('holds cases from both sources, every operator the user guide documents, valid and refused patterns', () => {
    expect(cases.length).toBeGreaterThan(150);
    expect(cases.filter((c) => c.source.startsWith('EventBridge user guide')).length).toBeGreaterThan(60);
    expect(cases.filter((c) => c.source.startsWith('aws/event-ruler')).length).toBeGreaterThan(60);
    const text = JSON.stringify(cases.map((c) => c.pattern));
    for (const op of [
      'prefix',
      'suffix',
      'equals-ignore-case',
      'wildcard',
      'anything-but',
      'numeric',
      'exists',
      'cidr',
      '$or',
    ]) {
      expect(text, op).toContain(`"${op}"`);
    }
    expect(cases.some((c) => c.invalid)).toBe(true);
    expect(cases.some((c) => c.match === true)).toBe(true);
    expect(cases.some((c) => c.match === false)).toBe(true);
  });
});

for (const m of matchers) {
  describe(`${m.name} against the EventBridge case file`, () => {
    it('agrees on every case', () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const expected = c.invalid ? 'invalid' : c.match;
        const got = m.verdict(c);
        if (got !== expected)
          wrong.push(`${c.name} [${c.source}]: expected ${String(expected)}, got ${String(got)}`);
      }
      expect(wrong).toEqual([]);
    });
  });
}
