/** bks-sim's minimal S3 over the wire with the real S3 client (path-style), and a presigned GET. */
import {
  CreateBucketCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { clientConfig, failure, withSim } from './harness';

const scenario = {
  accounts: [{ id: '111111111111' }, { id: '222222222222' }],
  principals: [
    {
      accessKeyId: 'AKIDONE',
      secretAccessKey: 'x',
      account: '111111111111',
      arn: 'arn:aws:iam::111111111111:user/one',
    },
    {
      accessKeyId: 'AKIDTWO',
      secretAccessKey: 'x',
      account: '222222222222',
      arn: 'arn:aws:iam::222222222222:user/two',
    },
  ],
};

describe('bks-sim S3', () => {
  it('creates a bucket, puts, gets, heads and lists objects with pagination; errors are S3 XML', async () => {
    await withSim(scenario as never, async (sim) => {
      const s3 = new S3Client({ ...clientConfig(sim, 'AKIDONE'), forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'bks-reports' }));
      expect((await failure(s3.send(new CreateBucketCommand({ Bucket: 'bks-reports' })))).name).toBe(
        'BucketAlreadyOwnedByYou',
      );
      for (let i = 0; i < 5; i++) {
        await s3.send(
          new PutObjectCommand({
            Bucket: 'bks-reports',
            Key: `runs/r1/accounts/${i} a+b.json`,
            Body: JSON.stringify({ i }),
            ContentType: 'application/json',
            Metadata: { run: 'r1' },
          }),
        );
      }
      await s3.send(new PutObjectCommand({ Bucket: 'bks-reports', Key: 'other.txt', Body: 'x' }));
      const got = await s3.send(
        new GetObjectCommand({ Bucket: 'bks-reports', Key: 'runs/r1/accounts/3 a+b.json' }),
      );
      expect(JSON.parse(await got.Body!.transformToString())).toEqual({ i: 3 });
      expect(got.ContentType).toBe('application/json');
      expect(got.Metadata).toEqual({ run: 'r1' });
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'bks-reports', Key: 'other.txt' }));
      expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);

      const keys: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: 'bks-reports',
            Prefix: 'runs/r1/',
            MaxKeys: 2,
            ContinuationToken: token,
          }),
        );
        pages++;
        keys.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      expect(pages).toBe(3);
      expect(keys).toEqual([0, 1, 2, 3, 4].map((i) => `runs/r1/accounts/${i} a+b.json`));

      const missing = await failure(s3.send(new GetObjectCommand({ Bucket: 'bks-reports', Key: 'nope' })));
      expect(missing).toMatchObject({ name: 'NoSuchKey', status: 404 });
      expect((await failure(s3.send(new GetObjectCommand({ Bucket: 'nobucket', Key: 'k' })))).name).toBe(
        'NoSuchBucket',
      );
      const other = new S3Client({ ...clientConfig(sim, 'AKIDTWO'), forcePathStyle: true });
      expect(
        (await failure(other.send(new GetObjectCommand({ Bucket: 'bks-reports', Key: 'other.txt' })))).name,
      ).toBe('AccessDenied');

      // A presigned GET is served by plain HTTP (the sim reads the scope from X-Amz-Credential).
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bks-reports', Key: 'other.txt' }), {
        expiresIn: 900,
      });
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('900');
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('x');
      s3.destroy();
      other.destroy();
    });
  });

  it('versioning as AWS answers it: off until enabled, then a version id per put, older versions readable', async () => {
    await withSim(scenario as never, async (sim) => {
      const s3 = new S3Client({ ...clientConfig(sim, 'AKIDONE'), forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'bks-records' }));
      expect(
        (await s3.send(new GetBucketVersioningCommand({ Bucket: 'bks-records' }))).Status,
      ).toBeUndefined();
      const unversioned = await s3.send(new PutObjectCommand({ Bucket: 'bks-records', Key: 'a', Body: '0' }));
      expect(unversioned.VersionId).toBeUndefined();
      await s3.send(
        new PutBucketVersioningCommand({
          Bucket: 'bks-records',
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      );
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'bks-records' }))).Status).toBe(
        'Enabled',
      );
      const v1 = await s3.send(new PutObjectCommand({ Bucket: 'bks-records', Key: 'a', Body: '1' }));
      const v2 = await s3.send(new PutObjectCommand({ Bucket: 'bks-records', Key: 'a', Body: '2' }));
      expect(v1.VersionId).toMatch(/^[\w-]{20,}$/);
      expect(v2.VersionId).not.toBe(v1.VersionId);
      const current = await s3.send(new GetObjectCommand({ Bucket: 'bks-records', Key: 'a' }));
      expect(await current.Body!.transformToString()).toBe('2');
      expect(current.VersionId).toBe(v2.VersionId);
      const older = await s3.send(
        new GetObjectCommand({ Bucket: 'bks-records', Key: 'a', VersionId: v1.VersionId }),
      );
      expect(await older.Body!.transformToString()).toBe('1');
      expect(
        (await failure(s3.send(new GetObjectCommand({ Bucket: 'bks-records', Key: 'a', VersionId: 'nope' }))))
          .name,
      ).toBe('NoSuchVersion');
      // ListObjectsV2 lists the current object once.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bks-records' }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['a']);
      await expect(
        s3.send(
          new PutBucketVersioningCommand({
            Bucket: 'bks-records',
            VersioningConfiguration: { Status: 'On' as never },
          }),
        ),
      ).rejects.toMatchObject({ name: 'MalformedXML' });
      s3.destroy();
    });
  });
});
