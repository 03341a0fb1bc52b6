/** bks-sim's minimal SNS over the wire with the real SNS client. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { snsMessages } from '../../sim/services/sns';
import { clientConfig, failure, withSim } from './harness';

const scenario = {
  accounts: [{ id: '111111111111' }],
  principals: [
    {
      accessKeyId: 'AKIDONE',
      secretAccessKey: 'x',
      account: '111111111111',
      arn: 'arn:aws:iam::111111111111:user/one',
    },
  ],
};

describe('bks-sim SNS', () => {
  it('keeps published messages; refuses other accounts’ topics and bad subjects', async () => {
    await withSim(scenario as never, async (sim) => {
      const sns = new SNSClient(clientConfig(sim, 'AKIDONE'));
      const topic = 'arn:aws:sns:us-east-1:111111111111:reports';
      const out = await sns.send(
        new PublishCommand({ TopicArn: topic, Subject: 'hello', Message: 'line 1\nline 2' }),
      );
      expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(snsMessages(sim.ctx)).toMatchObject([
        { topicArn: topic, subject: 'hello', message: 'line 1\nline 2' },
      ]);
      const other = await failure(
        sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:222222222222:x', Message: 'm' })),
      );
      expect(other).toMatchObject({ name: 'AuthorizationErrorException', status: 403 });
      const subject = await failure(
        sns.send(new PublishCommand({ TopicArn: topic, Subject: 'x'.repeat(101), Message: 'm' })),
      );
      expect(subject.name).toBe('InvalidParameterException');
      expect(snsMessages(sim.ctx)).toHaveLength(1);
      sns.destroy();
    });
  });
});
