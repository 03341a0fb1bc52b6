/** The guard of suites that need an external tool: skip with a word locally, fail on CI. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onCi, skipWithout, type Tool } from './tools';

const missing: Tool = { name: 'a-tool-nobody-has', install: 'apt-get install a-tool', present: () => false };
const there: Tool = { name: 'a-tool-everybody-has', install: '-', present: () => true };

describe('skipWithout', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('runs the suite when the tool is present, on CI or not', () => {
    expect(skipWithout(there, { ci: true })).toBe(false);
    expect(skipWithout(there, { ci: false })).toBe(false);
  });

  it('skips with one line on stderr when the tool is missing outside CI', () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(skipWithout(missing, { ci: false })).toBe(true);
      expect(err).toHaveBeenCalledWith(
        expect.stringContaining('skipped: suites that need a-tool-nobody-has'),
      );
    } finally {
      err.mockRestore();
    }
  });

  it('fails when the tool is missing on CI, naming the tool and how to install it', () => {
    expect(() => skipWithout(missing, { ci: true })).toThrow(
      /a-tool-nobody-has is missing on CI: apt-get install a-tool/,
    );
  });

  it('reads CI from the environment', () => {
    vi.stubEnv('CI', 'true');
    expect(onCi()).toBe(true);
    expect(() => skipWithout(missing)).toThrow(/missing on CI/);
    vi.stubEnv('CI', '');
    expect(onCi()).toBe(false);
    vi.stubEnv('CI', 'false');
    expect(onCi()).toBe(false);
  });
});
