/** Central-bus target of the stateful rules: count, and put a threshold event back on the bus. */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoCounterStore } from '../src/pipeline/dynamo-counter-store';
import { countDelivery, parseStatefulRules } from '../src/pipeline/stateful';
import { dynamo, events } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

const rules = parseStatefulRules(process.env['BKS_STATEFUL_RULES']);

export async function handler(input: { ruleId: string; event: Record<string, unknown> }) {
  begin('stateful', (input.event?.['detail'] as { eventID?: string } | undefined)?.eventID);
  const store = new DynamoCounterStore(dynamo(), env('BKS_COUNTER_TABLE'));
  const crossed = await countDelivery(input, rules, store);
  if (crossed.length > 0) {
    const bus = env('BKS_EVENT_BUS');
    const out = await events().send(
      new PutEventsCommand({ Entries: crossed.map((e) => ({ ...e, EventBusName: bus })) }),
    );
    if ((out.FailedEntryCount ?? 0) > 0)
      throw new Error(`PutEvents failed for ${out.FailedEntryCount} threshold event(s)`);
    logger.info('threshold crossed', { ruleId: input.ruleId, events: crossed.length });
  }
  return { ruleId: input.ruleId, crossed: crossed.length };
}
