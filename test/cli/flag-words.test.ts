/**
 * The core names options by their key and the CLI words them as its flags (src/cli/flags.ts): the
 * one line a user reads names the flag they typed, though no core module spells it
 * (test/arch/flag-words.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { bks } from './bks-runner';

describe('core errors name the flag the user typed', () => {
  it('--region, --service and --execution, each exit 2 with one line', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    try {
      const region = await bks(['scan', '--region', 'mars-1', '--endpoint-url', 'http://127.0.0.1:9']);
      expect(region).toMatchObject({ code: 2 });
      expect(region.stderr).toBe(
        'bks: --region: "mars-1" is not an AWS region name (e.g. us-east-1, us-gov-west-1)\n',
      );
      const service = await bks(['scan', '--service', 'nope', '--endpoint-url', 'http://127.0.0.1:9']);
      expect(service).toMatchObject({ code: 2 });
      expect(service.stderr).toBe(
        'bks: --service must be one of bedrock, claude-platform, all (got "nope")\n',
      );
      const execution = await bks([
        'restore',
        '--execution',
        'not a name!',
        '--endpoint-url',
        'http://127.0.0.1:9',
      ]);
      expect(execution).toMatchObject({ code: 2 });
      expect(execution.stderr).toBe(
        'bks: --execution: not a Step Functions execution name or ARN (1 to 80 letters, digits, - and _)\n',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
