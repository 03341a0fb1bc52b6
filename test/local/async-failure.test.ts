/**
 * Issue 13, "an async handler that throws ends up on its on-failure destination", live: the
 * pipeline deployed into bks-sim with the asynchronous invocation settings of the SYNTHESIZED
 * BedrockKeyGuard template (its AWS::Lambda::EventInvokeConfig resources), the dispatch function made
 * to throw (bks-sim refuses its StartExecution), and an attacker's call driven through EventBridge.
 * As on AWS: EventBridge's delivery succeeds, Lambda runs the function 1 + MaximumRetryAttempts
 * times, and the invocation record lands on bks-failed-invocations-dlq (read with the real SQS
 * client), where the on-failure alarm's metric (ApproximateNumberOfMessagesVisible) and
 * `bks coverage` (pipeline.dlq: partial) see it; the rule's dead-letter queue stays empty. A template with
 * MaximumRetryAttempts 0 gives one run: the model reads the template.
 */
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { asyncInvokeFromTemplate, type CfnTemplate, defaultAsyncInvoke } from '../../local/async-invoke';
import { LivePipeline } from '../../local/pipeline';
import type { AsyncInvocationTrace } from '../../sim/services/lambda';
import type { CoverageCheck, CoverageReport } from '../../src/coverage';
import { bks } from '../cli/bks-runner';
import { deployedPipeline } from '../pipeline/deployed-pipeline';

const SEC = '111111111111';
const MEMBER = '222222222222';
const ATTACKER = { accessKeyId: 'AKIAATTACKER00000002', secretAccessKey: 'attacker-secret' };

const scenario = () => ({
  now: new Date().toISOString(),
  principals: [{ ...ATTACKER, account: MEMBER, arn: `arn:aws:iam::${MEMBER}:user/dev-ci` }],
  accounts: [
    { id: SEC, regions: ['us-east-1'] },
    { id: MEMBER, regions: ['us-east-1'] },
  ],
});

let template: CfnTemplate;
beforeAll(() => {
  template = { Resources: deployedPipeline(SEC).resources as CfnTemplate['Resources'] };
}, 300_000);

/** The template with every EventInvokeConfig's MaximumRetryAttempts set to `n`. */
function withRetries(t: CfnTemplate, n: number): CfnTemplate {
  const copy = structuredClone(t);
  for (const r of Object.values(copy.Resources))
    if (r.Type === 'AWS::Lambda::EventInvokeConfig') r.Properties!['MaximumRetryAttempts'] = n;
  return copy;
}

describe('a throwing EventBridge-invoked function in bks-sim --pipeline', () => {
  let p: LivePipeline;
  afterEach(async () => {
    await p?.stop();
  });

  it('the local default is what the synthesized template configures', () => {
    const fromTemplate = asyncInvokeFromTemplate(template);
    const local = ['dispatch', 'stateful', 'custom-action'];
    expect(Object.fromEntries(local.map((f) => [f, fromTemplate[f]]))).toEqual(defaultAsyncInvoke(local));
    expect(fromTemplate['dispatch']).toEqual({
      maximumRetryAttempts: 2,
      onFailureQueue: 'bks-failed-invocations-dlq',
    });
  });

  /** What `bks coverage` says of the pipeline's dead-letter queues (the operator's view). */
  async function coverageDlq(): Promise<CoverageCheck | undefined> {
    vi.stubEnv('AWS_ACCESS_KEY_ID', p.credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', p.credentials.secretAccessKey);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_PROFILE', '');
    vi.stubEnv('AWS_CONFIG_FILE', '/dev/null');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/dev/null');
    try {
      const r = await bks(['coverage', '--endpoint-url', p.sim.url, '-o', 'json', '--regions', 'us-east-1']);
      const report = JSON.parse(r.stdout) as CoverageReport;
      return report.accounts[0]?.checks.find((c) => c.control === 'pipeline.dlq');
    } finally {
      vi.unstubAllEnvs();
    }
  }

  async function run(t: CfnTemplate) {
    p = new LivePipeline({ scenario: scenario(), template: t });
    await p.start();
    const sec = { endpoint: p.sim.url, region: 'us-east-1', credentials: p.credentials, maxAttempts: 1 };
    // The fault: every StartExecution of the dispatch function is refused, so the handler throws.
    await fetch(`${p.sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: [{ action: 'states:StartExecution', error: 'AccessDeniedException' }] }),
    });
    p.sim.resetStats();
    const iam = new IAMClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: { ...ATTACKER } });
    await iam.send(new CreateUserCommand({ UserName: 'BedrockAPIKey-f41l' }));
    iam.destroy();
    await p.sim.deliveriesSettled();
    const { invocations } = (await (await fetch(`${p.sim.url}/_sim/lambda/invocations`)).json()) as {
      invocations: AsyncInvocationTrace[];
    };
    const sqs = new SQSClient(sec);
    const url = (name: string) => `${p.sim.url}/${SEC}/${name}`;
    const depth = async (name: string) =>
      Number(
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url(name),
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
          )
        ).Attributes!['ApproximateNumberOfMessages'],
      );
    const visible = await depth('bks-failed-invocations-dlq');
    const ruleDlq = await depth('bks-central-dlq');
    const dlqCheck = await coverageDlq();
    const messages =
      (
        await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url('bks-failed-invocations-dlq'), MaxNumberOfMessages: 10 }),
        )
      ).Messages ?? [];
    sqs.destroy();
    return {
      dispatch: invocations.filter((i) => i.functionArn.endsWith(':function:bks-dispatch')),
      others: invocations.filter((i) => !i.functionArn.endsWith(':function:bks-dispatch')),
      visible,
      ruleDlq,
      dlqCheck,
      records: messages.map((m) => JSON.parse(m.Body!) as Record<string, unknown>),
      stats: p.sim.stats(),
    };
  }

  it('is run 3 times (MaximumRetryAttempts 2 in the template); its invocation record lands on the on-failure queue', async () => {
    const r = await run(template);
    expect(p.deployment.functions['dispatch']).toMatchObject({
      maximumRetryAttempts: 2,
      onFailureQueue: 'bks-failed-invocations-dlq',
    });
    // One detection matched (BKS-001: a phantom user created), one asynchronous invocation.
    expect(r.dispatch).toHaveLength(1);
    expect(r.dispatch[0]).toMatchObject({
      attempts: 3,
      outcome: 'on-failure',
      condition: 'RetriesExhausted',
      destination: { delivered: true },
    });
    expect(r.others).toEqual([]);
    expect(r.stats.faulted['states:StartExecution']).toBe(3);
    // Nothing dropped: the record is on the queue the alarm watches, the rule's DLQ has nothing.
    expect(r.visible).toBe(1);
    expect(r.ruleDlq).toBe(0);
    expect(r.dlqCheck).toMatchObject({
      status: 'partial',
      detail: expect.stringContaining('bks-failed-invocations-dlq: 1'),
    });
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: `arn:aws:lambda:us-east-1:${SEC}:function:bks-dispatch:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: {
        ruleId: 'BKS-001-BEDROCK',
        event: { source: 'aws.iam', detail: { eventName: 'CreateUser' } },
      },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'AccessDeniedException' },
    });
  }, 120_000);

  it('is run once when the template says MaximumRetryAttempts 0', async () => {
    const r = await run(withRetries(template, 0));
    expect(p.deployment.functions['dispatch']).toMatchObject({ maximumRetryAttempts: 0 });
    expect(r.dispatch).toMatchObject([{ attempts: 1, outcome: 'on-failure' }]);
    expect(r.stats.faulted['states:StartExecution']).toBe(1);
    expect(r.records).toMatchObject([{ requestContext: { approximateInvokeCount: 1 } }]);
    expect(r.visible).toBe(1);
  }, 120_000);
});
