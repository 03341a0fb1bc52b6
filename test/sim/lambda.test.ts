/**
 * bks-sim's Lambda over the wire with the real SDK client: functions and their asynchronous
 * invocation settings (EventInvokeConfig), and what Lambda does with an event EventBridge hands to
 * a function that throws — retried `MaximumRetryAttempts` times, then the invocation record on the
 * on-failure destination (or the event on the function's dead-letter queue), as the Lambda developer
 * guide describes ("Capturing records of Lambda asynchronous invocations").
 */
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  LambdaClient,
  ListFunctionsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../sim/server';
import type { AsyncInvocationTrace } from '../../sim/services/lambda';
import { ACCOUNT_A, clientConfig, control, withSim } from './harness';

const REGION = 'us-east-1';
const ROLE = `arn:aws:iam::${ACCOUNT_A}:role/fn-role`;
const QUEUE = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT_A}:${name}`;
const IAM_PATTERN = JSON.stringify({ source: ['aws.iam'], detail: { eventName: ['CreateUser'] } });

const scenario = () =>
  ({
    accounts: [
      {
        id: ACCOUNT_A,
        regions: [REGION],
        sqs: { queues: [{ QueueName: 'on-failure' }, { QueueName: 'fn-dlq' }, { QueueName: 'rule-dlq' }] },
      },
    ],
  }) as never;

const clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

function client<T extends { destroy(): void }>(c: T): T {
  clients.push(c);
  return c;
}

const cfg = (sim: SimHandle) => clientConfig(sim, 'AKIDSIMTEST', { region: REGION, maxAttempts: 1 });

async function createFunction(sim: SimHandle, name: string, extra: Record<string, unknown> = {}) {
  const lambda = client(new LambdaClient(cfg(sim)));
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Role: ROLE,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Code: { ZipFile: new Uint8Array() },
      ...extra,
    }),
  );
}

/** A rule on the default bus that sends every CreateUser to `functionArn`, and a CreateUser. */
async function driveCreateUser(sim: SimHandle, functionArn: string): Promise<void> {
  const eb = client(new EventBridgeClient(cfg(sim)));
  await eb.send(new PutRuleCommand({ Name: 'to-fn', EventPattern: IAM_PATTERN }));
  await eb.send(
    new PutTargetsCommand({
      Rule: 'to-fn',
      Targets: [{ Id: 'fn', Arn: functionArn, DeadLetterConfig: { Arn: QUEUE('rule-dlq') } }],
    }),
  );
  const iam = client(new IAMClient(cfg(sim)));
  await iam.send(new CreateUserCommand({ UserName: 'someone' }));
  await sim.deliveriesSettled();
}

async function receiveAll(sim: SimHandle, name: string) {
  const sqs = client(new SQSClient(cfg(sim)));
  const url = `${sim.url}/${ACCOUNT_A}/${name}`;
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
  );
  return out.Messages ?? [];
}

async function invocations(sim: SimHandle): Promise<AsyncInvocationTrace[]> {
  return (
    (await control(sim, 'GET', '/_sim/lambda/invocations')) as {
      body: { invocations: AsyncInvocationTrace[] };
    }
  ).body.invocations;
}

describe('bks-sim Lambda', () => {
  it('CreateFunction, GetFunction, ListFunctions and the EventInvokeConfig operations; refuses what Lambda refuses', async () => {
    await withSim(scenario(), async (sim) => {
      const lambda = client(new LambdaClient(cfg(sim)));
      const made = await createFunction(sim, 'dispatch');
      expect(made.FunctionArn).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT_A}:function:dispatch`);
      expect(
        (await lambda.send(new GetFunctionCommand({ FunctionName: 'dispatch' }))).Configuration,
      ).toMatchObject({ FunctionName: 'dispatch', Role: ROLE, Runtime: 'nodejs22.x' });
      expect((await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName)).toEqual(
        ['dispatch'],
      );
      await expect(
        lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'dispatch' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      const put = await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: made.FunctionArn!,
          MaximumRetryAttempts: 1,
          DestinationConfig: { OnFailure: { Destination: QUEUE('on-failure') } },
        }),
      );
      expect(put).toMatchObject({
        FunctionArn: `${made.FunctionArn}:$LATEST`,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: QUEUE('on-failure') } },
      });
      const updated = await lambda.send(
        new UpdateFunctionEventInvokeConfigCommand({
          FunctionName: 'dispatch',
          MaximumEventAgeInSeconds: 600,
        }),
      );
      expect(updated).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 600 });
      for (const bad of [{ MaximumRetryAttempts: 3 }, { MaximumEventAgeInSeconds: 30 }]) {
        await expect(
          lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'dispatch', ...bad })),
        ).rejects.toMatchObject({ name: 'ValidationException' });
      }
      await expect(
        lambda.send(
          new PutFunctionEventInvokeConfigCommand({ FunctionName: 'nope', MaximumRetryAttempts: 0 }),
        ),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(createFunction(sim, 'dispatch')).rejects.toMatchObject({
        name: 'ResourceConflictException',
      });
      await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'dispatch' }));
      await expect(
        lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'dispatch' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  it('a function that throws runs 1 + MaximumRetryAttempts times; the invocation record lands on the on-failure destination, not on the rule DLQ', async () => {
    for (const retries of [2, 0]) {
      await withSim(scenario(), async (sim) => {
        const fn = await createFunction(sim, 'dispatch');
        const lambda = client(new LambdaClient(cfg(sim)));
        await lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: 'dispatch',
            MaximumRetryAttempts: retries,
            DestinationConfig: { OnFailure: { Destination: QUEUE('on-failure') } },
          }),
        );
        let runs = 0;
        sim.onDelivery(() => {
          runs++;
          throw new TypeError(`attempt ${runs} failed`);
        });
        await driveCreateUser(sim, fn.FunctionArn!);
        expect(runs).toBe(retries + 1);
        expect(await receiveAll(sim, 'rule-dlq')).toEqual([]);
        const [message, ...more] = await receiveAll(sim, 'on-failure');
        expect(more).toEqual([]);
        const record = JSON.parse(message!.Body!);
        expect(record).toMatchObject({
          version: '1.0',
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          requestContext: {
            requestId: expect.any(String),
            functionArn: `${fn.FunctionArn}:$LATEST`,
            condition: 'RetriesExhausted',
            approximateInvokeCount: retries + 1,
          },
          requestPayload: { source: 'aws.iam', detail: { eventName: 'CreateUser' } },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: 'TypeError', errorMessage: `attempt ${retries + 1} failed` },
        });
        expect(await invocations(sim)).toMatchObject([
          {
            attempts: retries + 1,
            outcome: 'on-failure',
            destination: { arn: QUEUE('on-failure'), delivered: true },
          },
        ]);
      });
    }
  });

  it('an event older than MaximumEventAgeInSeconds (on the simulator clock) is not run again: EventAgeExceeded', async () => {
    await withSim(scenario(), async (sim) => {
      const fn = await createFunction(sim, 'slow');
      const lambda = client(new LambdaClient(cfg(sim)));
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'slow',
          MaximumEventAgeInSeconds: 60,
          DestinationConfig: { OnFailure: { Destination: QUEUE('on-failure') } },
        }),
      );
      let runs = 0;
      sim.onDelivery(() => {
        runs++;
        // The first run fails after the event has waited 61 s in Lambda's queue.
        sim.advanceClock(61);
        throw new Error('late');
      });
      await driveCreateUser(sim, fn.FunctionArn!);
      expect(runs).toBe(1);
      const [message] = await receiveAll(sim, 'on-failure');
      expect(JSON.parse(message!.Body!)).toMatchObject({
        requestContext: { condition: 'EventAgeExceeded', approximateInvokeCount: 1 },
        responsePayload: { errorMessage: 'late' },
      });
    });
  });

  it("without a destination the event goes to the function's dead-letter queue; without either Lambda discards it (traced); a success sends nothing", async () => {
    await withSim(scenario(), async (sim) => {
      const fn = await createFunction(sim, 'with-dlq', { DeadLetterConfig: { TargetArn: QUEUE('fn-dlq') } });
      sim.onDelivery(() => {
        throw new Error('boom');
      });
      await driveCreateUser(sim, fn.FunctionArn!);
      const [dead] = await receiveAll(sim, 'fn-dlq');
      expect(JSON.parse(dead!.Body!)).toMatchObject({ source: 'aws.iam' });
      expect(dead!.MessageAttributes).toMatchObject({
        ErrorMessage: { StringValue: 'boom' },
        RequestID: { StringValue: expect.any(String) },
      });
      expect(await receiveAll(sim, 'rule-dlq')).toEqual([]);
    });
    await withSim(scenario(), async (sim) => {
      const fn = await createFunction(sim, 'bare');
      sim.onDelivery(() => {
        throw new Error('boom');
      });
      await driveCreateUser(sim, fn.FunctionArn!);
      expect(await invocations(sim)).toMatchObject([{ attempts: 3, outcome: 'discarded', declared: true }]);
    });
    await withSim(scenario(), async (sim) => {
      const fn = await createFunction(sim, 'fine');
      let runs = 0;
      sim.onDelivery(() => {
        runs++;
      });
      await driveCreateUser(sim, fn.FunctionArn!);
      expect(runs).toBe(1);
      expect(await invocations(sim)).toMatchObject([{ attempts: 1, outcome: 'succeeded' }]);
    });
  });
});
