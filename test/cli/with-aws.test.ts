import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsContext } from '../../src/aws';
import { withAws } from '../../src/cli/with-aws';

const CLI = join(import.meta.dirname, '../../src/cli');

describe('withAws', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  const env = () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEWITHAWS00');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example-secret');
    vi.stubEnv('AWS_PROFILE', '');
  };

  it("builds the context from the command's flags and closes it after the work", async () => {
    env();
    const destroy = vi.spyOn(AwsContext.prototype, 'destroy');
    const seen = await withAws(
      { aws: { region: 'eu-west-3', endpointUrl: 'http://127.0.0.1:1' } },
      async (aws) => {
        expect(destroy).not.toHaveBeenCalled();
        return [aws.region, aws.partition, aws.endpointUrl];
      },
    );
    expect(seen).toEqual(['eu-west-3', 'aws', 'http://127.0.0.1:1']);
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('closes the context when the work throws, and passes the error on unchanged', async () => {
    env();
    const destroy = vi.spyOn(AwsContext.prototype, 'destroy');
    const boom = new Error('boom');
    await expect(
      withAws({ aws: { region: 'us-gov-west-1' } }, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('is the only way a command opens AWS', () => {
    const opening = readdirSync(CLI).filter(
      (f) =>
        f !== 'with-aws.ts' &&
        /\bopenAws\b|new AwsContext\b|\bcreateAws\(/.test(readFileSync(join(CLI, f), 'utf8')),
    );
    expect(opening).toEqual([]);
  });
});
