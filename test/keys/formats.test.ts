/**
 * Every key format carries its own samples; the suite fails when a format misses one of its own
 * positives or reports one of its own negatives — through decoding and through the scanner.
 */
import { describe, expect, it } from 'vitest';
import { decodeKey, findKeys, KEY_FORMATS, KeyDecodeError } from '../../src/keys';
import { SERVICES } from '../../src/services';

describe('the format table', () => {
  it('has a long-term and a short-term format for every service', () => {
    for (const s of SERVICES) {
      expect(
        KEY_FORMATS.filter((f) => f.service === s.id)
          .map((f) => f.kind)
          .sort(),
      ).toEqual(['long-term', 'short-term']);
    }
  });

  it('every format has positive and negative samples, and they start with its prefix', () => {
    for (const f of KEY_FORMATS) {
      expect(f.match.length, f.id).toBeGreaterThanOrEqual(3);
      expect(f.noMatch.length, f.id).toBeGreaterThanOrEqual(5);
      for (const s of [...f.match, ...f.noMatch]) expect(s.startsWith(f.prefix), f.id).toBe(true);
    }
  });
});

describe.each(KEY_FORMATS.map((f) => [f.id, f] as const))('format %s', (_id, format) => {
  it('decodes each of its positive samples as itself', () => {
    for (const sample of format.match) {
      const d = decodeKey(sample);
      expect(d.service, sample.slice(0, 12)).toBe(format.service);
      expect(d.kind).toBe(format.kind);
    }
  });

  it('refuses each of its negative samples with a KeyDecodeError', () => {
    for (const [i, sample] of format.noMatch.entries()) {
      let error: unknown;
      try {
        decodeKey(sample);
      } catch (err) {
        error = err;
      }
      expect(error, `negative sample ${i} of ${format.id} decoded`).toBeInstanceOf(KeyDecodeError);
    }
  });

  it('the scanner finds every positive sample in source text, and nothing in the negatives', () => {
    for (const sample of format.match) {
      const text = `// config\nconst key = "${sample}";\nother = 1\n`;
      const found = findKeys(text);
      expect(found.map((m) => [m.line, m.column, m.value.kind, m.value.service])).toEqual([
        [2, 14, format.kind, format.service],
      ]);
    }
    for (const [i, sample] of format.noMatch.entries()) {
      const found = findKeys(`// config\nconst key = "${sample}";\nother = 1\n`);
      expect(found, `negative sample ${i} of ${format.id} was reported`).toEqual([]);
    }
  });
});
