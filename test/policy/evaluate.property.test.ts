/** Properties of the evaluator that must hold for any value, not just the table's. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConditionBlock, isExplicitlyDenied, wildcardMatch } from '../../src/policy/evaluate';

/** A plain reference matcher: `*` any run, `?` one character, everything else literal. */
function reference(pattern: string, value: string): boolean {
  if (pattern.length === 0) return value.length === 0;
  const [p, ...rest] = pattern;
  const tail = rest.join('');
  if (p === '*') {
    for (let i = 0; i <= value.length; i++) if (reference(tail, value.slice(i))) return true;
    return false;
  }
  if (value.length === 0) return false;
  return (p === '?' || p === value[0]) && reference(tail, value.slice(1));
}

const alphabet = fc.constantFrom('a', 'b', '*', '?', '.', '(', '\\', '$', ':', '/', '\n');
const text = fc.array(alphabet, { maxLength: 8 }).map((a) => a.join(''));
const plain = fc
  .array(fc.constantFrom('a', 'b', 'c', '.', ':', '/'), { maxLength: 6 })
  .map((a) => a.join(''));

const denies = (condition: ConditionBlock, context: Record<string, string | number | string[]>) =>
  isExplicitlyDenied(
    [
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: condition }],
      },
    ],
    { action: 's:A', resource: '*', context },
  );

describe('evaluator properties', () => {
  it('wildcards match exactly like a reference matcher', () => {
    fc.assert(
      fc.property(text, text, (pattern, value) => {
        expect(wildcardMatch(pattern, value, false)).toBe(reference(pattern, value));
      }),
      { numRuns: 2000 },
    );
  });

  it('a negated operator on a present single value is the negation of its positive one', () => {
    const pairs: [string, string][] = [
      ['StringEquals', 'StringNotEquals'],
      ['StringLike', 'StringNotLike'],
      ['StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase'],
      ['NumericEquals', 'NumericNotEquals'],
      ['ArnLike', 'ArnNotLike'],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs),
        plain,
        fc.array(plain, { minLength: 1, maxLength: 3 }),
        ([pos, neg], v, values) => {
          const context = { 'k:x': v };
          expect(denies({ [neg]: { 'k:x': values } }, context)).toBe(
            !denies({ [pos]: { 'k:x': values } }, context),
          );
        },
      ),
    );
  });

  it('IfExists changes nothing when the key is present, and holds when it is absent', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'StringEquals',
          'StringNotLike',
          'NumericGreaterThan',
          'DateLessThan',
          'ArnLike',
          'Bool',
        ),
        fc.oneof(plain, fc.integer({ min: 0, max: 200 }).map(String)),
        fc.oneof(plain, fc.integer({ min: 0, max: 200 }).map(String)),
        (op, v, p) => {
          expect(denies({ [`${op}IfExists`]: { 'k:x': p } }, { 'k:x': v })).toBe(
            denies({ [op]: { 'k:x': p } }, { 'k:x': v }),
          );
          expect(denies({ [`${op}IfExists`]: { 'k:x': p } }, {})).toBe(true);
        },
      ),
    );
  });

  it('set operators over a one-element set agree with the plain operator', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike'),
        plain,
        fc.array(plain, { minLength: 1, maxLength: 3 }),
        (op, v, values) => {
          const plainResult = denies({ [op]: { 'k:x': values } }, { 'k:x': v });
          expect(denies({ [`ForAnyValue:${op}`]: { 'k:x': values } }, { 'k:x': [v] })).toBe(plainResult);
          expect(denies({ [`ForAllValues:${op}`]: { 'k:x': values } }, { 'k:x': [v] })).toBe(plainResult);
        },
      ),
    );
  });

  it('ForAllValues holds for a set exactly when it holds for each member; ForAnyValue when for some', () => {
    fc.assert(
      fc.property(
        fc.array(plain, { minLength: 1, maxLength: 4 }),
        fc.array(plain, { minLength: 1, maxLength: 3 }),
        (set, values) => {
          const each = set.map((v) => denies({ StringLike: { 'k:x': values } }, { 'k:x': v }));
          expect(denies({ 'ForAllValues:StringLike': { 'k:x': values } }, { 'k:x': set })).toBe(
            each.every(Boolean),
          );
          expect(denies({ 'ForAnyValue:StringLike': { 'k:x': values } }, { 'k:x': set })).toBe(
            each.some(Boolean),
          );
        },
      ),
    );
  });

  it('an absent key: positive operators false, negated ones true, Null true', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'StringEquals',
          'StringLike',
          'NumericLessThan',
          'DateGreaterThan',
          'ArnEquals',
          'Bool',
          'IpAddress',
        ),
        fc.constantFrom(
          'StringNotEquals',
          'StringNotLike',
          'NumericNotEquals',
          'DateNotEquals',
          'ArnNotLike',
          'NotIpAddress',
        ),
        plain,
        (pos, neg, p) => {
          expect(denies({ [pos]: { 'k:x': p } }, {})).toBe(false);
          expect(denies({ [neg]: { 'k:x': p } }, {})).toBe(true);
          expect(denies({ Null: { 'k:x': 'true' } }, {})).toBe(true);
        },
      ),
    );
  });
});
