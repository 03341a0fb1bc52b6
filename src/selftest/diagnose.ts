/**
 * Where a missing rule's chain broke, read from AWS in the order an event travels:
 * 1. CloudTrail: the canary call's event in the event history (LookupEvents) of its region;
 * 2. the rules: a forwarder `<prefix>-fwd-*` on the default bus of the event's region that passes
 *    the event on (any one will do: the central bus then shows it to every central rule), and the
 *    central rule `<prefix>-<RULE>` — each present, in the state that receives the event (read-only
 *    management events need ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS), with a pattern that
 *    matches the real event;
 * 3. the workflow: the execution dispatch names after the rule and the event id, and its status;
 * 4. otherwise the workflow ran and no finding exists.
 */
import { paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { AwsContext } from '../aws';
import { describeAwsError, errorCode } from '../aws/errors';
import { matches } from '../detect/pattern';
import { envelopeOf } from '../detect/rules';
import { DynamoIncidentTable } from '../pipeline/dispatch';
import { executionName } from '../pipeline/incident';
import { ruleStateFor } from '../pipeline/rule-state';
import type { PipelineRule } from '../pipeline/rules';
import type { Deployment } from './deployment';
import type { PredictedCall } from './expect';
import type { FailedStage } from './types';

/** The stage where the chain broke; without a stage, the reads that would tell failed (detail). */
export interface Diagnosis {
  stage?: FailedStage;
  detail: string;
}

type Json = Record<string, unknown>;

/** The canary's real record of a call, from the event history (undefined when not there). */
export async function findEvent(
  aws: AwsContext,
  call: PredictedCall,
  userName: string,
  since: Date,
): Promise<Json | undefined> {
  const pages = paginateLookupEvents(
    { client: aws.cloudtrail(call.region), pageSize: 50 },
    { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: call.eventName }], StartTime: since },
  );
  let n = 0;
  for await (const page of pages) {
    for (const e of page.Events ?? []) {
      if (!e.CloudTrailEvent) continue;
      const record = JSON.parse(e.CloudTrailEvent) as Json;
      const req = (record['requestParameters'] ?? {}) as Json;
      const who = (record['userIdentity'] ?? {}) as Json;
      if (req['userName'] === userName || who['userName'] === userName) return record;
    }
    // The canary's events are minutes old: ten pages of this event name since the run started is plenty.
    if (++n >= 10) break;
  }
  return undefined;
}

/** Why a rule, as read, would not pass the real event on (undefined: it would). */
function refusal(
  rule: { Name?: string; State?: string; EventPattern?: string },
  event: Json,
): string | undefined {
  const readOnly = event['readOnly'] === true && event['managementEvent'] !== false;
  if (rule.State === 'DISABLED') return `${rule.Name} is DISABLED`;
  let pattern: Json;
  try {
    pattern = JSON.parse(rule.EventPattern ?? '{}') as Json;
  } catch {
    return `${rule.Name} has an unreadable pattern`;
  }
  if (readOnly && rule.State !== 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') {
    return `${rule.Name} is ${rule.State}, which does not receive read-only management events such as ${String(event['eventName'])} (needs ${ruleStateFor(pattern)})`;
  }
  if (!matches(pattern, envelopeOf(event as never)))
    return `the pattern of ${rule.Name} does not match the event`;
  return undefined;
}

/**
 * The forwarders of the event's region: any one that passes the event on delivers it to the central
 * bus, where every central rule sees it (so the rule's own forwarder being off is not enough).
 */
async function forwarderProblem(
  eb: EventBridgeClient,
  prefix: string,
  ruleId: string,
  region: string,
  event: Json,
) {
  const own = `${prefix}-fwd-${ruleId}`;
  const rules: { Name?: string; State?: string; EventPattern?: string }[] = [];
  let NextToken: string | undefined;
  do {
    const out = await eb.send(new ListRulesCommand({ NamePrefix: `${prefix}-fwd-`, NextToken }));
    rules.push(...(out.Rules ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  if (rules.some((r) => refusal(r, event) === undefined)) return undefined;
  const mine = rules.find((r) => r.Name === own);
  return `no forwarder on the default bus of ${region} passes the ${String(event['eventName'])} event to the central bus (${mine ? refusal(mine, event) : `${own} does not exist`})`;
}

async function centralProblem(eb: EventBridgeClient, name: string, bus: string, event: Json) {
  try {
    const rule = await eb.send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
    const why = refusal(rule, event);
    return why ? `on the central bus: ${why}` : undefined;
  } catch (err) {
    if (errorCode(err) === 'ResourceNotFoundException')
      return `rule ${name} does not exist on the central bus`;
    throw err;
  }
}

export async function diagnose(
  aws: AwsContext,
  d: Deployment,
  rule: PipelineRule,
  call: PredictedCall,
  userName: string,
  since: Date,
): Promise<Diagnosis> {
  try {
    const event = await findEvent(aws, call, userName, since);
    if (!event) {
      return {
        stage: 'no-cloudtrail-event',
        detail: `no ${call.eventName} event for ${userName} in CloudTrail's event history in ${call.region} (check the trail with bks coverage; the history can lag EventBridge by minutes)`,
      };
    }
    const problem =
      (await forwarderProblem(
        aws.client('eventbridge', EventBridgeClient, call.region),
        d.prefix,
        rule.id,
        call.region,
        event,
      )) ??
      (await centralProblem(
        aws.client('eventbridge', EventBridgeClient, d.homeRegion),
        `${d.prefix}-${rule.id}`,
        d.centralBusArn,
        event,
      ));
    if (problem) return { stage: 'no-rule-match', detail: problem };
    const eventId = String(event['eventID'] ?? '');
    // One key, one incident: the match either started its own workflow or was recorded on the
    // incident's open one (its signal record names that workflow).
    const joined = await new DynamoIncidentTable(
      aws.client('dynamodb', DynamoDBClient, d.homeRegion),
      d.counterTable,
    ).signal(`${d.account}|arn:${aws.partition}:iam::${d.account}:user/${userName}`, rule.id, eventId);
    const name = joined?.execution ?? executionName(rule.id, eventId);
    const executionArn = `${d.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    let exec: DescribeExecutionCommandOutput;
    try {
      exec = await aws.sfn(d.homeRegion).send(new DescribeExecutionCommand({ executionArn }));
    } catch (err) {
      if (errorCode(err) !== 'ExecutionDoesNotExist') throw err;
      return {
        stage: 'no-rule-match',
        detail: `the rules are in place but no workflow ${name} started for event ${eventId}: the match did not reach dispatch (check the forwarder's and the central dead-letter queues and the dispatch function's errors)`,
      };
    }
    if (exec.status === 'FAILED' || exec.status === 'TIMED_OUT' || exec.status === 'ABORTED') {
      const why = [exec.error, exec.cause?.split('\n')[0]].filter(Boolean).join(': ');
      return {
        stage: 'workflow-failed',
        detail: `workflow ${name} ${exec.status}${why ? `: ${why}` : ''}`.slice(0, 500),
      };
    }
    return {
      stage: 'no-finding',
      detail: `workflow ${name} is ${exec.status} but no Security Hub finding of ${rule.id} exists for ${userName} in ${d.homeRegion}`,
    };
  } catch (err) {
    return { detail: `could not read where the chain broke: ${describeAwsError(err)}` };
  }
}
