/**
 * The one way a command gets AWS: `withAws(ctx, fn)` opens the run's `AwsContext` from the
 * command's `--profile`, `--region` and `--endpoint-url` (credentials checked, the profile's
 * region resolved; retries, rate limits and the call counter shared by every client it builds),
 * runs `fn` with it and closes every client afterwards, whether `fn` succeeds or throws.
 */
import { type AwsContext, openAws } from '../aws';
import type { CommandContext } from './common';

export async function withAws<T>(
  ctx: Pick<CommandContext, 'aws'>,
  fn: (aws: AwsContext) => Promise<T>,
): Promise<T> {
  const aws = await openAws({
    profile: ctx.aws.profile,
    region: ctx.aws.region,
    endpointUrl: ctx.aws.endpointUrl,
  });
  try {
    return await fn(aws);
  } finally {
    aws.destroy();
  }
}
