/**
 * The pipeline's health as `bks coverage` reads it, by the fixed names its resources carry (prefix
 * `--name-prefix`, default `bks`):
 * - on every region's default bus, one forwarder rule per detection rule of that region
 *   (`<prefix>-fwd-<RULE-ID>`), in the state that lets its events through (read-only management
 *   events reach only rules in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS), targeting the
 *   central bus with a dead-letter queue, and that queue empty;
 * - in the security account's home region: the central bus `<prefix>-central` (with a rule per
 *   detection) and a policy letting the member accounts put events, the response state machine
 *   `<prefix>-response`, and no message waiting in the dead-letter queues `<prefix>-*-dlq`.
 */
import {
  DescribeEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  type Rule,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, GetQueueUrlCommand, paginateListQueues, SQSClient } from '@aws-sdk/client-sqs';
import { type AwsContext, describeAwsError, errorCode, isAccessDenied } from '../aws';
import { type RuleState, ruleStateFor } from '../pipeline/rule-state';
import { type PipelineRule, rulesForRegion } from '../pipeline/rules';
import type { PipelineNames } from '../pipeline/names';
import type { CoverageCheck } from './types';


export { type PipelineNames, pipelineNames } from '../pipeline/names';

/**
 * The state a rule's forwarder needs: the pipeline's own decision (src/pipeline/rule-state.ts), so
 * coverage requires exactly what the pipeline deploys. A pattern that can match a read-only
 * management event (a key's InvokeModel, a ListFoundationModels probe) needs
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
 */
export function requiredState(rule: PipelineRule): RuleState {
  return ruleStateFor(rule.pattern);
}

/** What the security account's home region holds, read once for every account's forwarders. */
export interface CentralBus {
  arn: string;
  /** Undefined: could not be read (then forwarder targets are not shown reachable). */
  exists?: boolean;
  policy?: string;
  /** Organization id, to judge `aws:PrincipalOrgID` conditions. */
  organizationId?: string;
  error?: string;
}

/** Whether the central bus's policy lets `account` put events (its own account always may). */
export function busAllows(bus: CentralBus, owner: string, account: string): boolean {
  if (account === owner) return true;
  if (!bus.policy) return false;
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(bus.policy) as { Statement?: unknown };
  } catch {
    return false;
  }
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<string, unknown>[];
  return statements.some((s) => {
    if (!s || s.Effect !== 'Allow') return false;
    const actions = ([] as unknown[]).concat(s.Action);
    if (!actions.some((a) => a === 'events:PutEvents' || a === 'events:*' || a === '*')) return false;
    const principal = typeof s.Principal === 'object' && s.Principal ? (s.Principal as { AWS?: unknown }).AWS : s.Principal;
    const principals = ([] as unknown[]).concat(principal);
    const named = principals.some(
      (x) => x === account || (typeof x === 'string' && x.startsWith('arn:') && x.split(':')[4] === account),
    );
    const anyone = principals.includes('*');
    if (!named && !anyone) return false;
    const orgCondition = (s.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.[
      'aws:PrincipalOrgID'
    ];
    if (orgCondition !== undefined) {
      return bus.organizationId !== undefined && ([] as unknown[]).concat(orgCondition).includes(bus.organizationId);
    }
    // `*` without a condition: anyone may put events (allowed, if unwise).
    return named || s.Condition === undefined;
  });
}

function eb(aws: AwsContext, region: string): EventBridgeClient {
  return aws.client('events', EventBridgeClient, region);
}

function sqs(aws: AwsContext, region: string): SQSClient {
  return aws.client('sqs', SQSClient, region);
}

async function listRules(aws: AwsContext, region: string, prefix: string, bus?: string): Promise<Rule[]> {
  const out: Rule[] = [];
  let token: string | undefined;
  do {
    const page = await eb(aws, region).send(
      new ListRulesCommand({ NamePrefix: prefix, EventBusName: bus, NextToken: token, Limit: 100 }),
    );
    out.push(...(page.Rules ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

async function listTargets(aws: AwsContext, region: string, rule: string): Promise<Target[]> {
  const out: Target[] = [];
  let token: string | undefined;
  do {
    const page = await eb(aws, region).send(new ListTargetsByRuleCommand({ Rule: rule, NextToken: token }));
    out.push(...(page.Targets ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/** Messages waiting in a queue named by ARN (visible plus in flight). */
async function waitingMessages(aws: AwsContext, queueArn: string): Promise<number> {
  const [, , , region = '', owner = '', name = ''] = queueArn.split(':');
  const client = sqs(aws, region);
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: owner }));
  return queueDepth(client, QueueUrl!);
}

async function queueDepth(client: SQSClient, url: string): Promise<number> {
  const attrs = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

const LIST_MAX = 6;
function few(items: readonly string[]): string {
  return items.length <= LIST_MAX ? items.join(', ') : `${items.slice(0, LIST_MAX).join(', ')} and ${items.length - LIST_MAX} more`;
}

function readFailure(region: string, control: string, what: string, err: unknown, permission: string): CoverageCheck {
  return {
    region,
    control,
    status: 'unknown',
    detail: `${what}: ${describeAwsError(err)}`,
    fix: isAccessDenied(err) ? `grant ${permission} to the role bks runs as` : 'rerun; if it persists, check the endpoint',
  };
}

const DEPLOY_FIX =
  'deploy the pipeline\'s forwarders to this account and region (infra/: the BedrockKeyGuard stack or its member stage)';

/** `pipeline.forwarders` for one account and region. */
export async function forwarderCheck(
  aws: AwsContext,
  accountId: string,
  region: string,
  rules: readonly PipelineRule[],
  names: PipelineNames,
  central: CentralBus,
  securityAccount: string,
): Promise<CoverageCheck> {
  const control = 'pipeline.forwarders';
  const expected = rulesForRegion(rules, region);
  let present: Rule[];
  try {
    present = await listRules(aws, region, `${names.prefix}-fwd-`);
  } catch (err) {
    return readFailure(region, control, 'ListRules failed', err, 'events:ListRules and events:ListTargetsByRule');
  }
  const byName = new Map(present.map((r) => [r.Name, r]));
  const absent = expected.filter((r) => !byName.has(names.forwarder(r.id))).map((r) => r.id);
  if (expected.length > 0 && absent.length === expected.length) {
    return {
      region,
      control,
      status: 'missing',
      detail: `none of the ${expected.length} forwarder rules (${names.forwarder('<RULE-ID>')}) is on the default bus`,
      fix: DEPLOY_FIX,
    };
  }
  const problems: string[] = [];
  if (absent.length) problems.push(`missing: ${few(absent)}`);
  const wrongState: string[] = [];
  const badTarget: string[] = [];
  const dlqs = new Set<string>();
  const unreadable: string[] = [];
  for (const rule of expected) {
    const name = names.forwarder(rule.id);
    const found = byName.get(name);
    if (!found) continue;
    const need = requiredState(rule);
    if (found.State !== need && !(need === 'ENABLED' && found.State === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS')) {
      wrongState.push(`${rule.id} is ${found.State ?? '?'}, needs ${need}`);
    }
    let targets: Target[];
    try {
      targets = await listTargets(aws, region, name);
    } catch (err) {
      unreadable.push(`${rule.id} (${describeAwsError(err)})`);
      continue;
    }
    const toCentral = targets.find((t) => t.Arn === central.arn);
    if (!toCentral) badTarget.push(`${rule.id} does not target ${central.arn}`);
    else if (!toCentral.DeadLetterConfig?.Arn) badTarget.push(`${rule.id} has no dead-letter queue`);
    else dlqs.add(toCentral.DeadLetterConfig.Arn);
  }
  if (wrongState.length) {
    problems.push(
      `state: ${few(wrongState)} (read-only management events such as a key's InvokeModel reach only rules in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS)`,
    );
  }
  if (badTarget.length) problems.push(`targets: ${few(badTarget)}`);
  if (central.exists === false) problems.push(`the central bus ${central.arn} does not exist`);
  else if (central.exists === true && !busAllows(central, securityAccount, accountId)) {
    problems.push(`the policy of ${central.arn} does not let account ${accountId} put events`);
  }
  for (const dlq of dlqs) {
    try {
      const n = await waitingMessages(aws, dlq);
      if (n > 0) problems.push(`${n} event(s) waiting in the dead-letter queue ${dlq}: forwarding failed`);
    } catch (err) {
      unreadable.push(`dead-letter queue ${dlq} (${describeAwsError(err)})`);
    }
  }
  const summary = `${expected.length - absent.length}/${expected.length} forwarder rules on the default bus`;
  if (problems.length) {
    return {
      region,
      control,
      status: 'partial',
      detail: `${summary}; ${problems.join('; ')}${unreadable.length ? `; unreadable: ${few(unreadable)}` : ''}`,
      fix: `${DEPLOY_FIX}; forwarders need the state the rule set gives them and the central bus as target, with its policy allowing this account`,
    };
  }
  if (unreadable.length || central.exists === undefined) {
    return {
      region,
      control,
      status: 'unknown',
      detail: `${summary}; not shown to reach the central bus: ${unreadable.length ? few(unreadable) : `central bus unreadable (${central.error ?? '?'})`}`,
      fix: 'grant events:ListTargetsByRule, events:DescribeEventBus, sqs:GetQueueUrl and sqs:GetQueueAttributes to the role bks runs as',
    };
  }
  return {
    region,
    control,
    status: 'ok',
    detail: `${summary}, in the right state, targeting ${central.arn}${dlqs.size ? ', dead-letter queues empty' : ''}`,
    fix: '',
  };
}

/** The central bus, read from the security account (for every account's forwarder checks too). */
export async function readCentralBus(
  aws: AwsContext,
  homeRegion: string,
  securityAccount: string,
  names: PipelineNames,
  organizationId?: string,
): Promise<CentralBus> {
  const arn = aws.arn('events', homeRegion, securityAccount, `event-bus/${names.centralBus}`);
  try {
    const out = await eb(aws, homeRegion).send(new DescribeEventBusCommand({ Name: names.centralBus }));
    return { arn, exists: true, policy: out.Policy, organizationId };
  } catch (err) {
    if (errorCode(err) === 'ResourceNotFoundException') return { arn, exists: false, organizationId };
    return { arn, organizationId, error: describeAwsError(err) };
  }
}

/** The home-region checks of the security account: central bus, state machine, dead-letter queues. */
export async function homeChecks(
  aws: AwsContext,
  homeRegion: string,
  securityAccount: string,
  rules: readonly PipelineRule[],
  names: PipelineNames,
  central: CentralBus,
): Promise<CoverageCheck[]> {
  const region = homeRegion;
  const out: CoverageCheck[] = [];
  // The central bus and its rules.
  if (central.exists === undefined) {
    out.push({
      region,
      control: 'pipeline.central-bus',
      status: 'unknown',
      detail: `DescribeEventBus ${names.centralBus} failed: ${central.error ?? '?'}`,
      fix: 'grant events:DescribeEventBus and events:ListRules to the role bks runs as',
    });
  } else if (!central.exists) {
    out.push({
      region,
      control: 'pipeline.central-bus',
      status: 'missing',
      detail: `no event bus ${names.centralBus} in ${securityAccount} ${region}`,
      fix: 'deploy the pipeline (infra/: the BedrockKeyGuard stack) in the security account\'s home region',
    });
  } else {
    try {
      const onBus = await listRules(aws, region, `${names.prefix}-`, names.centralBus);
      const enabled = onBus.filter((r) => r.State !== 'DISABLED').map((r) => r.Name ?? '');
      const uncovered = rules.filter((r) => !enabled.some((n) => n.includes(r.id))).map((r) => r.id);
      out.push(
        uncovered.length === 0
          ? {
              region,
              control: 'pipeline.central-bus',
              status: 'ok',
              detail: `${central.arn}: ${enabled.length} enabled rules cover the ${rules.length} detection rules`,
              fix: '',
            }
          : {
              region,
              control: 'pipeline.central-bus',
              status: uncovered.length === rules.length ? 'missing' : 'partial',
              detail: `${central.arn}: no enabled rule for ${few(uncovered)}`,
              fix: 'redeploy the pipeline so that every detection rule has its rule on the central bus (or enable it)',
            },
      );
    } catch (err) {
      out.push(readFailure(region, 'pipeline.central-bus', `ListRules on ${names.centralBus} failed`, err, 'events:ListRules'));
    }
  }
  // The response workflow.
  const smArn = aws.arn('states', region, securityAccount, `stateMachine:${names.stateMachine}`);
  try {
    const sm = await aws.sfn(region).send(new DescribeStateMachineCommand({ stateMachineArn: smArn }));
    out.push(
      sm.status === 'ACTIVE' || sm.status === undefined
        ? { region, control: 'pipeline.state-machine', status: 'ok', detail: `${smArn} is ACTIVE`, fix: '' }
        : {
            region,
            control: 'pipeline.state-machine',
            status: 'missing',
            detail: `${smArn} is ${sm.status}`,
            fix: 'redeploy the pipeline',
          },
    );
  } catch (err) {
    out.push(
      errorCode(err) === 'StateMachineDoesNotExist'
        ? {
            region,
            control: 'pipeline.state-machine',
            status: 'missing',
            detail: `no state machine ${names.stateMachine}`,
            fix: 'deploy the pipeline (infra/: the BedrockKeyGuard stack) in the security account\'s home region',
          }
        : readFailure(region, 'pipeline.state-machine', 'DescribeStateMachine failed', err, 'states:DescribeStateMachine'),
    );
  }
  out.push(await deadLetterCheck(aws, region, names));
  return out;
}

async function deadLetterCheck(aws: AwsContext, region: string, names: PipelineNames): Promise<CoverageCheck> {
  const control = 'pipeline.dlq';
  const client = sqs(aws, region);
  let urls: string[] = [];
  try {
    const input = { QueueNamePrefix: `${names.prefix}-`, MaxResults: 1000 };
    for await (const page of paginateListQueues({ client }, input)) urls.push(...(page.QueueUrls ?? []));
  } catch (err) {
    return readFailure(region, control, 'ListQueues failed', err, 'sqs:ListQueues and sqs:GetQueueAttributes');
  }
  urls = urls.filter((u) => names.isDeadLetterQueue(u.split('/').pop() ?? ''));
  if (urls.length === 0) {
    return {
      region,
      control,
      status: 'missing',
      detail: `no dead-letter queue named ${names.prefix}-*-dlq: failed deliveries and executions would be lost unseen`,
      fix: 'deploy the pipeline (its dead-letter queues carry these names)',
    };
  }
  const waiting: string[] = [];
  const unreadable: string[] = [];
  for (const url of urls) {
    const name = url.split('/').pop() ?? url;
    try {
      const n = await queueDepth(client, url);
      if (n > 0) waiting.push(`${name}: ${n}`);
    } catch (err) {
      unreadable.push(`${name} (${describeAwsError(err)})`);
    }
  }
  if (waiting.length) {
    return {
      region,
      control,
      status: 'partial',
      detail: `messages waiting in dead-letter queues (${few(waiting)}): events the pipeline failed to process`,
      fix: 'read the messages (aws sqs receive-message), fix the cause, then redrive or purge them',
    };
  }
  if (unreadable.length) {
    return {
      region,
      control,
      status: 'unknown',
      detail: `cannot read ${few(unreadable)}`,
      fix: 'grant sqs:GetQueueAttributes on the dead-letter queues to the role bks runs as',
    };
  }
  return { region, control, status: 'ok', detail: `${urls.length} dead-letter queue(s), all empty`, fix: '' };
}
