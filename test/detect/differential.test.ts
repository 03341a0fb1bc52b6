/**
 * Differential test of the pattern matcher against moto's EventPattern (an independent
 * implementation) on seeded, generated patterns and events. Needs moto (skipped without it, failing on CI).
 *
 * The generator stays inside the domain where moto implements EventBridge as AWS documents it; the
 * places where moto deviates are named below, each asserted to still deviate (so the list stays true)
 * and our matcher asserted to follow the AWS documentation / Event Ruler instead.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matches } from '../../src/detect/pattern';
import { skipWithout, TOOLS } from '../helpers/tools';

const script = fileURLToPath(new URL('./oracle/moto_match.py', import.meta.url));

function moto(cases: { pattern: unknown; event: unknown }[]): (boolean | string)[] {
  const r = spawnSync('python3', [script], {
    input: cases.map((c) => JSON.stringify(c)).join('\n'),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`moto oracle failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout);
}

// A small deterministic PRNG (mulberry32) so failures reproduce from the seed.
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  return { next, pick, chance: (p: number) => next() < p };
}

const STRINGS = ['x', 'xy', 'Xy', 'yx', 'xyz', '', 'abc', 'a*c', 'ABC', 'us-east-1', 'eu-west-1'];
const NUMBERS = [0, 1, 5, 5.5, -3, 100, 1e3];
const IPS = ['10.0.0.5', '10.0.1.5', '192.168.1.1', '2001:db8::1', '2001:db9::1', 'not-an-ip'];
const WILDCARDS = ['x*', '*y', 'x*z', '*', 'a\\*c', '*-*-1', 'X*'];

type G = ReturnType<typeof rng>;
const scalar = (g: G) => (g.chance(0.55) ? g.pick(STRINGS) : g.chance(0.85) ? g.pick(NUMBERS) : null);
const leafValue = (g: G, field: string): unknown => {
  if (field === 'ip') return g.chance(0.8) ? g.pick(IPS) : [g.pick(IPS), g.pick(IPS)];
  if (g.chance(0.2)) return Array.from({ length: 1 + Math.floor(g.next() * 3) }, () => scalar(g));
  return scalar(g);
};

function event(g: G): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const f of ['a', 'b', 'ip']) if (g.chance(0.8)) e[f] = leafValue(g, f);
  if (g.chance(0.7)) {
    const c: Record<string, unknown> = {};
    if (g.chance(0.8)) c.d = leafValue(g, 'd');
    if (g.chance(0.5)) c.e = leafValue(g, 'e');
    e.c = Object.keys(c).length ? c : g.pick(STRINGS);
  }
  return e;
}

function matcher(g: G, field: string): unknown {
  if (field === 'ip')
    return g.pick([
      { cidr: '10.0.0.0/24' },
      { cidr: '2001:db8::/32' },
      { cidr: '0.0.0.0/0' },
      { exists: g.chance(0.5) },
      g.pick(IPS),
    ]);
  const kind = g.pick([
    'exact',
    'exactnum',
    'null',
    'prefix',
    'suffix',
    'prefix-ic',
    'suffix-ic',
    'ic',
    'wildcard',
    'numeric',
    'exists',
    'ab-s',
    'ab-n',
    'ab-list',
    'ab-nlist',
    'ab-prefix',
    'ab-suffix',
    'ab-wildcard',
    'ab-ic',
  ]);
  switch (kind) {
    case 'exact':
      return g.pick(STRINGS);
    case 'exactnum':
      return g.pick(NUMBERS);
    case 'null':
      return null;
    case 'prefix':
      return { prefix: g.pick(['x', 'X', 'us-', 'a', '']) };
    case 'suffix':
      return { suffix: g.pick(['y', 'z', '-1', 'c']) };
    case 'prefix-ic':
      return { prefix: { 'equals-ignore-case': g.pick(['X', 'ab', 'US-']) } };
    case 'suffix-ic':
      return { suffix: { 'equals-ignore-case': g.pick(['Y', 'BC', '-1']) } };
    case 'ic':
      return { 'equals-ignore-case': g.pick(['XY', 'abc', 'x']) };
    case 'wildcard':
      return { wildcard: g.pick(WILDCARDS) };
    case 'numeric':
      return {
        numeric: g.pick([
          ['>', 0],
          ['>=', 5, '<', 100],
          ['=', 5],
          ['<=', 1],
          ['>', -5, '<=', 5.5],
        ]),
      };
    case 'exists':
      return { exists: g.chance(0.5) };
    case 'ab-s':
      return { 'anything-but': g.pick(STRINGS) };
    case 'ab-n':
      return { 'anything-but': g.pick(NUMBERS) };
    case 'ab-list':
      return { 'anything-but': [g.pick(STRINGS), g.pick(STRINGS)] };
    case 'ab-nlist':
      return { 'anything-but': [g.pick(NUMBERS), g.pick(NUMBERS)] };
    case 'ab-prefix':
      return { 'anything-but': { prefix: g.pick(['x', 'us-']) } };
    case 'ab-suffix':
      return { 'anything-but': { suffix: g.pick(['y', '-1']) } };
    case 'ab-wildcard':
      return { 'anything-but': { wildcard: g.pick(WILDCARDS) } };
    default:
      return { 'anything-but': { 'equals-ignore-case': g.pick(['XY', 'abc']) } };
  }
}

function leafList(g: G, field: string) {
  return Array.from({ length: 1 + Math.floor(g.next() * 2) }, () => matcher(g, field));
}

function pattern(g: G, depth = 0): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const fields = ['a', 'b', 'ip'].filter(() => g.chance(0.45));
  for (const f of fields) p[f] = leafList(g, f);
  if (g.chance(0.4)) {
    const c: Record<string, unknown> = {};
    c[g.pick(['d', 'e'])] = leafList(g, 'd');
    p.c = c;
  }
  if (depth === 0 && g.chance(0.25)) p.$or = [pattern(g, 1), pattern(g, 1)];
  if (Object.keys(p).length === 0) p.a = leafList(g, 'a');
  return p;
}

describe.skipIf(skipWithout(TOOLS.motoEventPattern))('differential test against moto EventPattern', () => {
  it('agrees with moto on 3000 generated pattern/event pairs (seed 20261129)', () => {
    const g = rng(20261129);
    const cases = Array.from({ length: 3000 }, () => ({ pattern: pattern(g), event: event(g) }));
    const oracle = moto(cases);
    const disagreements = cases
      .map((c, i) => ({ ...c, moto: oracle[i], ours: matches(c.pattern, c.event) }))
      .filter((c) => c.moto !== c.ours);
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The generator must exercise both outcomes.
    expect(oracle.filter((x) => x === true).length).toBeGreaterThan(300);
    expect(oracle.filter((x) => x === false).length).toBeGreaterThan(300);
  });

  // Where moto and the AWS documentation (or Event Ruler, which EventBridge runs) disagree, AWS wins.
  const deviations: { name: string; pattern: Record<string, unknown>; event: unknown; aws: boolean }[] = [
    {
      name: 'arrays of objects are matched element by element (Event Ruler "JSON Array Matching"); moto does not descend into them',
      pattern: { employees: { first: ['Anna'] } },
      event: { employees: [{ first: 'John' }, { first: 'Anna' }] },
      aws: true,
    },
    {
      name: 'no type coercion: exact 1 does not match true (Python 1 == True in moto)',
      pattern: { f: [1] },
      event: { f: true },
      aws: false,
    },
    {
      name: 'numeric matches JSON numbers only, not booleans (bool is an int in Python)',
      pattern: { f: [{ numeric: ['>', 0] }] },
      event: { f: true },
      aws: false,
    },
    {
      name: 'cidr matches IP address strings only; moto turns an integer into an address',
      pattern: { f: [{ cidr: '0.0.0.0/0' }] },
      event: { f: 5 },
      aws: false,
    },
    {
      name: 'exists applies to leaf values; an empty object is not a leaf (moto keeps {} as a value)',
      pattern: { f: [{ exists: true }] },
      event: { f: {} },
      aws: false,
    },
    {
      name: 'an empty array holds no value, so exists:true does not match it (moto sees the list as present)',
      pattern: { f: [{ exists: true }] },
      event: { f: [] },
      aws: false,
    },
    {
      name: 'wildcard * matches any characters including line breaks (moto uses a regex without DOTALL)',
      pattern: { f: [{ wildcard: 'a*b' }] },
      event: { f: 'a\nb' },
      aws: true,
    },
  ];

  it('known moto deviations still deviate, and we follow AWS on each', () => {
    const oracle = moto(deviations.map(({ pattern: p, event: e }) => ({ pattern: p, event: e })));
    for (const [i, d] of deviations.entries()) {
      expect(matches(d.pattern, d.event), d.name).toBe(d.aws);
      expect(oracle[i], `moto: ${d.name}`).toBe(!d.aws);
    }
  });
});
