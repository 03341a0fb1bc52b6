/**
 * How Lambda treats the pipeline's asynchronously invoked functions (the EventBridge targets
 * dispatch, stateful, custom-action and reconcile): a function error is retried this many times
 * (Lambda's `MaximumRetryAttempts`, 0–2; the AWS default is 2 as well, written out so the template
 * states it), then the invocation record goes to the on-failure destination
 * `<prefix>-failed-invocations-dlq`. The CDK construct (infra/function.ts) writes it into each
 * function's EventInvokeConfig; the local pipeline applies the same setting when it is not given a
 * synthesized template to read it from (local/async-invoke.ts).
 */
export const ASYNC_RETRY_ATTEMPTS = 2;
