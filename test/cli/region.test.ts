/** A region that is not one of a partition's region names is bad input (exit 2, one line), never a scan. */
import { describe, expect, it, vi } from 'vitest';
import { bks } from './bks-runner';

describe('--region is validated against the partitions', () => {
  it.each([['mars-1'], ['us-east'], ['moon-base-1'], ['xx-east-1']])(
    'scan --region %s: exit 2',
    async (region) => {
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
      try {
        const r = await bks(['scan', '--region', region, '--endpoint-url', 'http://127.0.0.1:9']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^bks: [^\\n]*${region}[^\\n]*\\n$`));
      } finally {
        vi.unstubAllEnvs();
      }
    },
  );

  it('AWS_REGION is validated the same way', async () => {
    vi.stubEnv('AWS_REGION', 'mars-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    try {
      const r = await bks(['scan', '--endpoint-url', 'http://127.0.0.1:9']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/AWS_REGION/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
