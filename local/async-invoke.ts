/**
 * The asynchronous invocation settings of the pipeline's functions, read from a synthesized
 * `BedrockKeyGuard` template (`cdk synth`: `cdk.out/<Stack>.template.json`) — its
 * `AWS::Lambda::EventInvokeConfig` resources: `MaximumRetryAttempts`, `MaximumEventAgeInSeconds` and
 * `DestinationConfig.OnFailure.Destination` (a queue of the template, named by its `QueueName`).
 * The local pipeline deploys them into bks-sim through Lambda's PutFunctionEventInvokeConfig, so a
 * function that throws there is retried and ends on its destination as the template says.
 *
 * Without a template, `defaultAsyncInvoke()` is what `pipelineFunction` (infra/function.ts) writes
 * into the template: the same constant and queue name, and a test checks the two agree.
 */
import { ASYNC_RETRY_ATTEMPTS } from '../src/pipeline/async-invoke';
import { pipelineNames } from '../src/pipeline/names';

type Resource = { Type: string; Properties?: Record<string, unknown> };
/** A CloudFormation template (what `cdk synth` writes, or `Template.fromStack(…).toJSON()`). */
export interface CfnTemplate {
  Resources: Record<string, Resource>;
}

/** One function's settings; a missing value is Lambda's default (2 retries, 6 hours, no destination). */
export interface AsyncInvokeSettings {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  /** The name of the queue (of the same account and region) that receives the failure records. */
  onFailureQueue?: string;
}

function getAtt(v: unknown): string | undefined {
  const g = (v as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(g) && g[1] === 'Arn' ? String(g[0]) : undefined;
}

function ref(v: unknown): string | undefined {
  const r = (v as { Ref?: unknown } | undefined)?.Ref;
  return typeof r === 'string' ? r : undefined;
}

/** `<prefix>-fn-<name>` (infra/responder-roles.ts functionRoleName): the function's short name. */
function functionName(template: CfnTemplate, logicalId: string): string | undefined {
  const fn = template.Resources[logicalId];
  if (fn?.Type !== 'AWS::Lambda::Function') return undefined;
  const roleId = getAtt(fn.Properties?.['Role']);
  const roleName = roleId ? template.Resources[roleId]?.Properties?.['RoleName'] : undefined;
  const m = typeof roleName === 'string' ? /^[\w+=,.@-]+-fn-([\w-]+)$/.exec(roleName) : null;
  return m?.[1];
}

/**
 * The settings of every pipeline function the template configures, by short name (`dispatch`, …).
 * Throws on a configuration this reader cannot map (a destination that is not a named queue of the
 * template): a template that changes shape fails loudly instead of being half applied.
 */
export function asyncInvokeFromTemplate(template: CfnTemplate): Record<string, AsyncInvokeSettings> {
  const out: Record<string, AsyncInvokeSettings> = {};
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const p = r.Properties ?? {};
    const fnId = ref(p['FunctionName']);
    const name = fnId ? functionName(template, fnId) : undefined;
    if (!name) throw new Error(`template: ${id} configures a function that is not a pipeline function`);
    const settings: AsyncInvokeSettings = {};
    if (typeof p['MaximumRetryAttempts'] === 'number')
      settings.maximumRetryAttempts = p['MaximumRetryAttempts'];
    if (typeof p['MaximumEventAgeInSeconds'] === 'number')
      settings.maximumEventAgeInSeconds = p['MaximumEventAgeInSeconds'];
    const dest = (p['DestinationConfig'] as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
      ?.Destination;
    if (dest !== undefined) {
      const queueId = getAtt(dest);
      const queue = queueId ? template.Resources[queueId] : undefined;
      const queueName = queue?.Type === 'AWS::SQS::Queue' ? queue.Properties?.['QueueName'] : undefined;
      if (typeof queueName !== 'string')
        throw new Error(
          `template: the on-failure destination of ${id} is not a named SQS queue of the template`,
        );
      settings.onFailureQueue = queueName;
    }
    out[name] = settings;
  }
  return out;
}

/** What infra/function.ts gives every asynchronously invoked function of `BedrockKeyGuard`. */
export function defaultAsyncInvoke(
  functions: readonly string[],
  prefix?: string,
): Record<string, AsyncInvokeSettings> {
  const onFailureQueue = pipelineNames(prefix).deadLetterQueue('failed-invocations');
  return Object.fromEntries(
    functions.map((f) => [f, { maximumRetryAttempts: ASYNC_RETRY_ATTEMPTS, onFailureQueue }]),
  );
}
