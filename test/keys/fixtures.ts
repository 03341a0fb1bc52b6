/** Arbitraries and helpers that build keys from parts (no key literal anywhere in the tree). */
import fc from 'fast-check';
import { accessKeyIdForAccount } from '../../src/keys';
import { SERVICES } from '../../src/services';

const USER_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-'.split('');

/** IAM user names `[\w+=,.@-]{1,64}`, biased towards the hard cases (`-at-`, `+`, digits). */
export const userName = fc
  .oneof(
    fc.array(fc.constantFrom(...USER_CHARS), { minLength: 1, maxLength: 64 }).map((a) => a.join('')),
    fc
      .tuple(
        fc.constantFrom(...SERVICES.map((s) => s.phantomUserPrefix), 'ci-bot', 'a', 'x-at-'),
        fc.constantFrom('', '-at-123456789012', '+ops', '-at-', '+', '@corp.example', '.bak'),
        fc.stringMatching(/^[\w+=,.@-]{0,8}$/),
      )
      .map(([a, b, c]) => `${a}${b}${c}`.slice(0, 64)),
  )
  // A name ending in "+<digits>" is indistinguishable from the "+N" marker (documented).
  .filter((u) => u.length >= 1 && !/\+[1-9]\d{0,2}$/.test(u));

export const account = fc.stringMatching(/^\d{12}$/);

/** Secrets: printable ASCII without spaces (what IAM hands out is a subset). */
export const secret = fc
  .array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 80 })
  .map((codes) => String.fromCharCode(...codes));

export const service = fc.constantFrom(...SERVICES);

export const region = fc.constantFrom(
  'us-east-1',
  'eu-west-3',
  'ap-southeast-2',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'me-central-1',
);

export const accessKeyId = fc
  .tuple(
    fc.constantFrom('ASIA' as const, 'AKIA' as const),
    account,
    fc.uint8Array({ minLength: 6, maxLength: 6 }),
  )
  .map(([type, acct, rnd]) => ({ type, account: acct, id: accessKeyIdForAccount(type, acct, rnd) }));

/** Whole seconds between 2020 and 2035. */
export const signingTime = fc
  .integer({ min: Date.UTC(2020, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 })
  .map((s) => new Date(s * 1000));
