import { describe, expect, it } from 'vitest';
import { compilePattern, matches, validatePattern } from '../../src/detect/pattern';

const m = (pattern: object, event: unknown) => matches(pattern as never, event);
const leaf = (matcher: unknown, value: unknown) =>
  m({ f: [matcher] }, value === undefined ? {} : { f: value });

describe('exact values, null and empty strings', () => {
  it('matches strings, numbers, booleans and null exactly, without coercion', () => {
    expect(leaf('a', 'a')).toBe(true);
    expect(leaf('a', 'A')).toBe(false);
    expect(leaf(5, 5)).toBe(true);
    expect(leaf(5, 5.0)).toBe(true);
    expect(leaf(5, '5')).toBe(false);
    expect(leaf('5', 5)).toBe(false);
    expect(leaf(true, true)).toBe(true);
    expect(leaf(true, 'true')).toBe(false);
    expect(leaf('true', true)).toBe(false);
    expect(leaf(1, true)).toBe(false);
    expect(leaf(null, null)).toBe(true);
    expect(leaf(null, undefined)).toBe(false);
    expect(leaf('', '')).toBe(true);
    expect(leaf('', null)).toBe(false);
    expect(leaf(null, '')).toBe(false);
  });
  it('a list matches when any value matches; every key must match', () => {
    expect(m({ a: ['x', 'y'], b: ['z'] }, { a: 'y', b: 'z' })).toBe(true);
    expect(m({ a: ['x', 'y'], b: ['z'] }, { a: 'y', b: 'q' })).toBe(false);
    expect(m({ a: ['x'] }, {})).toBe(false);
  });
});

describe('arrays in events', () => {
  it('matches when any element matches', () => {
    expect(leaf('b', ['a', 'b'])).toBe(true);
    expect(leaf('c', ['a', 'b'])).toBe(false);
    expect(leaf('b', [['a'], ['b']])).toBe(true);
    expect(leaf({ prefix: 'x' }, ['ab', 'xy'])).toBe(true);
  });
  it('is array-consistent for arrays of objects', () => {
    const event = {
      employees: [
        { first: 'John', last: 'Doe' },
        { first: 'Anna', last: 'Smith' },
      ],
    };
    expect(m({ employees: { first: ['Anna'] } }, event)).toBe(true);
    expect(m({ employees: { first: ['Anna'], last: ['Smith'] } }, event)).toBe(true);
    expect(m({ employees: { first: ['Anna'], last: ['Doe'] } }, event)).toBe(false);
  });
  it('an empty array has no values', () => {
    expect(leaf({ exists: true }, [])).toBe(false);
    expect(leaf({ exists: false }, [])).toBe(true);
    expect(leaf({ 'anything-but': 'x' }, [])).toBe(false);
  });
});

describe('prefix, suffix, equals-ignore-case, wildcard', () => {
  it('prefix and suffix apply to strings only, optionally ignoring case', () => {
    expect(leaf({ prefix: 'us-' }, 'us-east-1')).toBe(true);
    expect(leaf({ prefix: 'us-' }, 'eu-west-1')).toBe(false);
    expect(leaf({ prefix: '1' }, 12)).toBe(false);
    expect(leaf({ prefix: '' }, 'anything')).toBe(true);
    expect(leaf({ prefix: { 'equals-ignore-case': 'EVENTB' } }, 'EventBridge')).toBe(true);
    expect(leaf({ suffix: '.png' }, 'a.png')).toBe(true);
    expect(leaf({ suffix: '.png' }, 'a.PNG')).toBe(false);
    expect(leaf({ suffix: { 'equals-ignore-case': '.png' } }, 'a.PNG')).toBe(true);
    expect(leaf({ suffix: '2' }, 12)).toBe(false);
  });
  it('equals-ignore-case applies to strings only', () => {
    expect(leaf({ 'equals-ignore-case': 'alice' }, 'ALICE')).toBe(true);
    expect(leaf({ 'equals-ignore-case': 'alice' }, 'alicia')).toBe(false);
    expect(leaf({ 'equals-ignore-case': 'true' }, true)).toBe(false);
  });
  it('wildcard: * matches any run, \\* a star, \\\\ a backslash', () => {
    expect(leaf({ wildcard: 'Simple*Service' }, 'SimpleQueueService')).toBe(true);
    expect(leaf({ wildcard: 'Simple*Service' }, 'SimpleService')).toBe(true);
    expect(leaf({ wildcard: 'Simple*Service' }, 'SimpleServices')).toBe(false);
    expect(leaf({ wildcard: '*/lib/*' }, 'a/lib/b')).toBe(true);
    expect(leaf({ wildcard: 'a\\*b' }, 'a*b')).toBe(true);
    expect(leaf({ wildcard: 'a\\*b' }, 'axb')).toBe(false);
    expect(leaf({ wildcard: 'a\\\\b' }, 'a\\b')).toBe(true);
    expect(leaf({ wildcard: 'a.c' }, 'abc')).toBe(false);
    expect(leaf({ wildcard: '*' }, '')).toBe(true);
    expect(leaf({ wildcard: 'x*' }, 5)).toBe(false);
    expect(leaf({ wildcard: '*' }, 'multi\nline')).toBe(true);
  });
});

describe('numeric', () => {
  it('matches JSON numbers in a range, never numeric-looking strings', () => {
    const range = { numeric: ['>', 0, '<=', 5] };
    expect(leaf(range, 5)).toBe(true);
    expect(leaf(range, 0)).toBe(false);
    expect(leaf(range, 0.5)).toBe(true);
    expect(leaf(range, 6)).toBe(false);
    expect(leaf(range, '3')).toBe(false);
    expect(leaf(range, true)).toBe(false);
    expect(leaf({ numeric: ['=', 301.8] }, 3.018e2)).toBe(true);
    expect(leaf({ numeric: ['<', 10] }, -1e9)).toBe(true);
    expect(leaf({ numeric: ['>=', 10] }, 10)).toBe(true);
    expect(leaf({ numeric: ['<', 10] }, [20, 5])).toBe(true);
  });
});

describe('exists', () => {
  it('exists on leaves only; null and "" exist', () => {
    expect(leaf({ exists: true }, 'x')).toBe(true);
    expect(leaf({ exists: true }, null)).toBe(true);
    expect(leaf({ exists: true }, '')).toBe(true);
    expect(leaf({ exists: true }, undefined)).toBe(false);
    expect(leaf({ exists: false }, undefined)).toBe(true);
    expect(leaf({ exists: false }, 'x')).toBe(false);
    expect(leaf({ exists: true }, { nested: 1 })).toBe(false);
    expect(leaf({ exists: false }, { nested: 1 })).toBe(true);
  });
  it('exists:false under an absent or null parent matches', () => {
    expect(m({ p: { q: [{ exists: false }] } }, { p: null })).toBe(true);
    expect(m({ p: { q: [{ exists: false }] } }, {})).toBe(true);
    expect(m({ p: { q: [{ exists: true }] } }, { p: null })).toBe(false);
    expect(m({ p: { q: ['x'] } }, { p: null })).toBe(false);
  });
});

describe('anything-but', () => {
  it('excludes values, lists, and needs a present leaf', () => {
    expect(leaf({ 'anything-but': 'init' }, 'running')).toBe(true);
    expect(leaf({ 'anything-but': 'init' }, 'init')).toBe(false);
    expect(leaf({ 'anything-but': 'init' }, undefined)).toBe(false);
    expect(leaf({ 'anything-but': 'init' }, 5)).toBe(true);
    expect(leaf({ 'anything-but': 'init' }, null)).toBe(true);
    expect(leaf({ 'anything-but': ['a', 'b'] }, 'c')).toBe(true);
    expect(leaf({ 'anything-but': ['a', 'b'] }, 'b')).toBe(false);
    expect(leaf({ 'anything-but': 123 }, 123)).toBe(false);
    expect(leaf({ 'anything-but': 123 }, '123')).toBe(true);
    expect(leaf({ 'anything-but': [100, 200] }, 101)).toBe(true);
    expect(leaf({ 'anything-but': [100, 200] }, [100, 50])).toBe(true);
    expect(leaf({ 'anything-but': [100, 200] }, [100, 200])).toBe(false);
  });
  it('with prefix, suffix, equals-ignore-case and wildcard', () => {
    expect(leaf({ 'anything-but': { prefix: 'us-' } }, 'eu-west-1')).toBe(true);
    expect(leaf({ 'anything-but': { prefix: 'us-' } }, 'us-east-1')).toBe(false);
    expect(leaf({ 'anything-but': { suffix: '.png' } }, 'a.png')).toBe(false);
    expect(leaf({ 'anything-but': { suffix: '.png' } }, 'a.jpg')).toBe(true);
    expect(leaf({ 'anything-but': { 'equals-ignore-case': 'init' } }, 'INIT')).toBe(false);
    expect(leaf({ 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }, 'B')).toBe(false);
    expect(leaf({ 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }, 'c')).toBe(true);
    expect(leaf({ 'anything-but': { wildcard: '*/lib/*' } }, 'a/lib/b')).toBe(false);
    expect(leaf({ 'anything-but': { wildcard: ['*/lib/*', '*.tmp'] } }, 'x.tmp')).toBe(false);
    expect(leaf({ 'anything-but': { wildcard: ['*/lib/*', '*.tmp'] } }, 'x.txt')).toBe(true);
    expect(leaf({ 'anything-but': { prefix: 'us-' } }, 5)).toBe(true);
  });
});

describe('cidr', () => {
  it('matches IPv4 and IPv6 string addresses in the block', () => {
    expect(leaf({ cidr: '10.0.0.0/24' }, '10.0.0.33')).toBe(true);
    expect(leaf({ cidr: '10.0.0.0/24' }, '10.0.1.33')).toBe(false);
    expect(leaf({ cidr: '10.0.0.0/8' }, 'not an ip')).toBe(false);
    expect(leaf({ cidr: '0.0.0.0/0' }, '203.0.113.7')).toBe(true);
    expect(leaf({ cidr: '10.0.0.0/8' }, 167772161)).toBe(false);
    expect(leaf({ cidr: '2001:db8::/32' }, '2001:db8:1::5')).toBe(true);
    expect(leaf({ cidr: '2001:db8::/32' }, '2001:db9::5')).toBe(false);
    expect(leaf({ cidr: '::ffff:0:0/96' }, '::ffff:10.0.0.1')).toBe(true);
    expect(leaf({ cidr: '10.0.0.0/8' }, '::ffff:10.0.0.1')).toBe(false);
    expect(leaf({ cidr: '10.0.0.5/32' }, '10.0.0.5')).toBe(true);
  });
});

describe('$or and nesting', () => {
  it('matches when any alternative matches, at any level', () => {
    const p = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPU'] }, { namespace: ['AWS/EC2'], $or: [{ a: [1] }, { b: [2] }] }],
    };
    expect(m(p, { source: 'aws.cloudwatch', metricName: 'CPU' })).toBe(true);
    expect(m(p, { source: 'aws.cloudwatch', namespace: 'AWS/EC2', b: 2 })).toBe(true);
    expect(m(p, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(false);
    expect(m({ detail: { $or: [{ x: ['1'] }, { y: ['2'] }] } }, { detail: { y: '2' } })).toBe(true);
  });
  it('requires the nesting of the event', () => {
    expect(m({ detail: { state: ['on'] } }, { detail: { state: 'on' } })).toBe(true);
    expect(m({ detail: { state: ['on'] } }, { 'detail.state': 'on' })).toBe(false);
    expect(m({ detail: { state: ['on'] } }, { detail: 'on' })).toBe(false);
  });
});

describe('validation', () => {
  const bad: [unknown, RegExp][] = [
    [[], /must be a JSON object/],
    [{}, /must not be empty/],
    [{ a: 'x' }, /\$\.a: must be an object or a list/],
    [{ a: [] }, /must not be empty/],
    [{ a: {} }, /empty object/],
    [{ a: [{ prefix: 5 }] }, /\$\.a\[0\]: prefix must be a string/],
    [{ a: [{ prefix: 'a', suffix: 'b' }] }, /exactly one operator/],
    [{ a: [{ nope: 1 }] }, /unknown operator "nope"/],
    [{ a: [{ wildcard: 'a**b' }] }, /consecutive/],
    [{ a: [{ wildcard: 'a\\b' }] }, /backslash/],
    [{ a: [{ numeric: ['>', '5'] }] }, /needs a number/],
    [{ a: [{ numeric: ['>', 1, '>', 2] }] }, /two lower bounds/],
    [{ a: [{ numeric: ['=', 1, '<', 2] }] }, /cannot be combined/],
    [{ a: [{ numeric: ['!', 1] }] }, /operator must be one of/],
    [{ a: [{ exists: 'yes' }] }, /exists must be true or false/],
    [{ a: [{ cidr: '10.0.0.0/33' }] }, /not an IPv4 or IPv6 CIDR/],
    [{ a: [{ 'anything-but': ['a', 1] }] }, /only strings or only numbers/],
    [{ a: [{ 'anything-but': { numeric: ['>', 1] } }] }, /anything-but supports/],
    [{ a: [{ 'anything-but': [] }] }, /must not be empty/],
    [{ $or: [{ a: ['x'] }] }, /at least two/],
    [{ a: [['x']] }, /cannot be an array/],
  ];
  it.each(bad)('rejects %j with a clear error', (pattern, message) => {
    expect(validatePattern(pattern)).toMatch(message);
  });
  it('accepts every documented operator', () => {
    expect(
      validatePattern({
        a: ['x', 1, true, null, ''],
        b: [
          { prefix: 'p' },
          { prefix: { 'equals-ignore-case': 'P' } },
          { suffix: { 'equals-ignore-case': 'S' } },
        ],
        c: [
          { 'anything-but': { wildcard: ['*a', 'b*'] } },
          { 'anything-but': { 'equals-ignore-case': 'x' } },
        ],
        d: [
          { numeric: ['>', 0, '<', 10] },
          { exists: false },
          { cidr: '2001:db8::/32' },
          { wildcard: 'x\\*' },
        ],
      }),
    ).toBeUndefined();
  });
  it('compiles once and evaluates many times', () => {
    const pred = compilePattern({ detail: { eventName: ['CreateUser'] } });
    expect(pred({ detail: { eventName: 'CreateUser' } })).toBe(true);
    expect(pred({ detail: { eventName: 'DeleteUser' } })).toBe(false);
    expect(pred(null)).toBe(false);
  });
});
