/**
 * The pipeline's synthesized templates "deployed" into a bks-sim scenario account: the EventBridge
 * rules (name, bus, pattern, state, targets with their dead-letter queues), the buses with their
 * policies and the SQS queues, with the CloudFormation intrinsics resolved as CloudFormation would
 * for the account and region (names the template fixes are kept; resources CloudFormation would
 * name get their logical id). The state machines are created through the simulator's Step
 * Functions by their template name. What `bks coverage` then finds is what a real deployment of the
 * same templates would show it.
 */
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';

type Resource = { Type: string; Properties?: Record<string, unknown> };
export type Template = { Resources: Record<string, Resource> };

interface Where {
  account: string;
  region: string;
  resources: Record<string, Resource>;
}

function nameOf(w: Where, id: string): string {
  const r = w.resources[id];
  if (!r) throw new Error(`Ref to ${id}, not in the template`);
  const p = r.Properties ?? {};
  const named =
    p['QueueName'] ??
    p['Name'] ??
    p['StateMachineName'] ??
    p['RoleName'] ??
    p['FunctionName'] ??
    p['TopicName'] ??
    p['TableName'];
  return typeof named === 'string' ? named : id;
}

function arnOf(w: Where, id: string): string {
  const r = w.resources[id]!;
  const { account, region } = w;
  const name = nameOf(w, id);
  switch (r.Type) {
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${region}:${account}:${name}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${account}:event-bus/${name}`;
    case 'AWS::Events::Rule':
      return `arn:aws:events:${region}:${account}:rule/${name}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${account}:function:${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${account}:${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
    case 'AWS::IAM::Role': {
      const path = String(r.Properties?.['Path'] ?? '/');
      return `arn:aws:iam::${account}:role${path}${name}`;
    }
    default:
      return `arn:aws:cloudformation:${region}:${account}:resource/${id}`;
  }
}

function resolve(w: Where, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(w, v));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Ref' in o) {
    const ref = String(o['Ref']);
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': w.account,
      'AWS::Region': w.region,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (ref in pseudo) return pseudo[ref];
    const r = w.resources[ref];
    if (r?.Type === 'AWS::SQS::Queue')
      return `https://sqs.${w.region}.amazonaws.com/${w.account}/${nameOf(w, ref)}`;
    if (r?.Type === 'AWS::SNS::Topic' || r?.Type === 'AWS::StepFunctions::StateMachine') return arnOf(w, ref);
    return nameOf(w, ref);
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (attr === 'Arn') return arnOf(w, id);
    if (attr === 'QueueName' || attr === 'Name') return nameOf(w, id);
    return `${id}.${attr}`;
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolve(w, p))).join(sep);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(w, v)]));
}

export interface DeployedAccountParts {
  eventBridge: { buses: Record<string, unknown>[]; rules: Record<string, unknown>[] };
  sqs: { queues: Record<string, unknown>[] };
  stateMachines: Array<{ region: string; name: string }>;
}

/** The templates (by region) of one account as scenario `eventBridge` / `sqs` fields. */
export function deployedParts(account: string, templates: Record<string, Template>): DeployedAccountParts {
  const out: DeployedAccountParts = {
    eventBridge: { buses: [], rules: [] },
    sqs: { queues: [] },
    stateMachines: [],
  };
  for (const [region, t] of Object.entries(templates)) {
    const w: Where = { account, region, resources: t.Resources };
    const policies = new Map<string, unknown[]>();
    for (const [, r] of Object.entries(t.Resources)) {
      if (r.Type !== 'AWS::Events::EventBusPolicy') continue;
      const bus = String(resolve(w, r.Properties!['EventBusName']));
      policies.set(bus, [...(policies.get(bus) ?? []), resolve(w, r.Properties!['Statement'])]);
    }
    for (const [id, r] of Object.entries(t.Resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::SQS::Queue') out.sqs.queues.push({ QueueName: nameOf(w, id), Region: region });
      if (r.Type === 'AWS::StepFunctions::StateMachine')
        out.stateMachines.push({ region, name: nameOf(w, id) });
      if (r.Type === 'AWS::Events::EventBus') {
        const name = nameOf(w, id);
        const statements = policies.get(name);
        out.eventBridge.buses.push({
          Name: name,
          Region: region,
          ...(statements ? { Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) } : {}),
        });
      }
      if (r.Type === 'AWS::Events::Rule') {
        const targets = ((p['Targets'] as Record<string, unknown>[] | undefined) ?? []).map((x) => {
          const target = resolve(w, x) as Record<string, unknown>;
          return {
            Id: target['Id'],
            Arn: target['Arn'],
            ...(target['RoleArn'] ? { RoleArn: target['RoleArn'] } : {}),
            ...(target['DeadLetterConfig'] ? { DeadLetterConfig: target['DeadLetterConfig'] } : {}),
          };
        });
        out.eventBridge.rules.push({
          Name: nameOf(w, id),
          Region: region,
          ...(p['EventBusName'] ? { EventBusName: resolve(w, p['EventBusName']) } : {}),
          ...(p['EventPattern'] ? { EventPattern: resolve(w, p['EventPattern']) } : {}),
          ...(p['ScheduleExpression'] ? { ScheduleExpression: p['ScheduleExpression'] } : {}),
          ...(p['State'] ? { State: p['State'] } : {}),
          Targets: targets,
        });
      }
    }
  }
  return out;
}

/** Creates the state machines of `parts` in bks-sim by their template names. */
export async function createStateMachines(
  parts: DeployedAccountParts,
  endpoint: string,
  account: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  for (const { region, name } of parts.stateMachines) {
    const sfn = new SFNClient({ endpoint, region, credentials });
    try {
      await sfn.send(
        new CreateStateMachineCommand({
          name,
          roleArn: `arn:aws:iam::${account}:role/bks/response`,
          definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
        }),
      );
    } finally {
      sfn.destroy();
    }
  }
}
