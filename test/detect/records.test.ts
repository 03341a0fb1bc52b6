import { describe, expect, it } from 'vitest';
import { type RecordPosition, RecordSplitter, RecordSyntaxError } from '../../src/detect/records';

function split(text: string | Buffer, chunkSize = 1 << 20) {
  const out: { record: Record<string, unknown>; at: RecordPosition }[] = [];
  const s = new RecordSplitter((record, at) => out.push({ record, at }));
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunkSize) s.push(buf.subarray(i, i + chunkSize));
  s.end();
  return out;
}

const tricky = {
  eventName: 'A{"}[',
  s: 'back\\slash\\',
  q: 'quote"inside',
  n: [1, { x: '}' }],
  u: 'ünïcødé ✓',
};

describe('RecordSplitter', () => {
  const wrapper = JSON.stringify({ Records: [tricky, { eventName: 'B' }, { eventName: 'C', Records: [] }] });
  it.each([1, 2, 3, 7, 64, 1 << 20])('splits {"Records":[…]} in chunks of %i bytes', (size) => {
    expect(split(wrapper, size).map((r) => r.record)).toEqual([
      tricky,
      { eventName: 'B' },
      { eventName: 'C', Records: [] },
    ]);
  });

  it('splits JSON lines, concatenated and pretty-printed records, and top-level arrays', () => {
    const lines = `${JSON.stringify(tricky)}\n${JSON.stringify({ eventName: 'B' })}\r\n\n`;
    expect(split(lines, 5).map((r) => r.record.eventName)).toEqual(['A{"}[', 'B']);
    expect(split(JSON.stringify(tricky, null, 2), 3).map((r) => r.record)).toEqual([tricky]);
    expect(split(`[${JSON.stringify(tricky)}, {"eventName":"B"}]`, 4).map((r) => r.record.eventName)).toEqual(
      ['A{"}[', 'B'],
    );
    expect(split('{"Records" : [ ] }')).toEqual([]);
    expect(split('')).toEqual([]);
  });

  it('reports the line and byte offset of each record', () => {
    const text = '{"a":1}\n\n  {"b":2}\n';
    expect(split(text, 2).map((r) => r.at)).toEqual([
      { offset: 0, line: 1 },
      { offset: 11, line: 3 },
    ]);
    const pretty = `{"Records": [\n  {"a": 1},\n  {"b": 2}\n]}`;
    expect(split(pretty).map((r) => r.at.line)).toEqual([2, 3]);
  });

  it('skips a UTF-8 byte order mark', () => {
    expect(
      split(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')])).map((r) => r.record),
    ).toEqual([{ a: 1 }]);
  });

  it('names the position of malformed, truncated or stray input', () => {
    expect(() => split('{"a":1}\n{"b":,}\n')).toThrow(/malformed JSON .* at line 2 \(byte 8\)/);
    expect(() => split('{"Records":[{"a":1},{"b":2')).toThrow(
      /unexpected end of input .* at line 1 \(byte 20\)/,
    );
    // Nothing of the input is quoted (a record may hold a secret): the position says where.
    expect(() => split('{"a":1} x')).toThrow(/unexpected character outside a record at line 1 \(byte 8\)/);
    expect(() => split('{"a":1} x')).not.toThrow(/"x"/);
    expect(() => split('[1, 2]')).toThrow(/expected a CloudTrail record object/);
    expect(() => split('{"Records":[1]}')).toThrow(RecordSyntaxError);
    expect(() => split('"just a string"')).toThrow(/unexpected string outside a record/);
  });
});
