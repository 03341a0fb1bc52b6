/** Scheduled reconciliation: inventory each account, start the workflow for keys the stream missed. */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { collectAccount } from '../src/inventory';
import { executionNameFor } from '../src/pipeline/incident';
import { reconcileInputs } from '../src/pipeline/reconcile';
import { SERVICES } from '../src/services';
import { baseAws, responderAws } from './lib/aws';
import { sfn } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

export async function handler(event: { id?: string }) {
  begin('reconcile', event?.id);
  const listed = (process.env['BKS_ACCOUNTS'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const accounts = listed.length > 0 ? listed : [(await baseAws().identity()).accountId];
  const lookbackSeconds = Number(process.env['BKS_LOOKBACK_SECONDS'] ?? 7200);
  const stateMachineArn = env('BKS_STATE_MACHINE_ARN');
  const summary = { accounts: accounts.length, failedAccounts: [] as string[], started: 0, alreadyRaised: 0 };
  for (const account of accounts) {
    try {
      const aws = await responderAws(account);
      const scan = await collectAccount(aws, { services: SERVICES, accountId: account });
      if (scan.status !== 'ok') throw new Error(scan.error ?? 'inventory failed');
      for (const input of reconcileInputs(scan, {
        now: new Date(),
        lookbackSeconds,
        partition: aws.partition,
      })) {
        try {
          await sfn().send(
            new StartExecutionCommand({
              stateMachineArn,
              name: executionNameFor(input),
              input: JSON.stringify(input),
            }),
          );
          summary.started++;
        } catch (err) {
          if (!(err instanceof ExecutionAlreadyExists) && (err as Error).name !== 'ExecutionAlreadyExists')
            throw err;
          summary.alreadyRaised++;
        }
      }
    } catch (err) {
      // Fail closed: an account that could not be read is reported, never taken as clean.
      summary.failedAccounts.push(account);
      logger.error('reconciliation failed for an account', { account, error: (err as Error).message });
    }
  }
  logger.info('reconciliation done', summary);
  if (summary.failedAccounts.length > 0)
    throw new Error(`reconciliation incomplete: ${summary.failedAccounts.join(', ')}`);
  return summary;
}
