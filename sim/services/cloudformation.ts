/**
 * CloudFormation (query protocol): DescribeStacks, answered from the stacks registered with
 * `putStack` (the live pipeline registers the stack it deployed, with its outputs, as the CDK app's
 * stack has them on AWS). As on AWS: stacks are per account and region; `StackName` matches the
 * name or the stack id; a stack that does not exist is a `ValidationError` ("Stack with id X does
 * not exist"); without `StackName` every stack of the region is listed.
 */
import { randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { pStr } from '../protocols';

/** A stack as DescribeStacks answers it (SDK member names). */
export interface SimStack {
  StackName: string;
  StackId: string;
  StackStatus: string;
  CreationTime: Date;
  Description?: string;
  Outputs: Array<{ OutputKey: string; OutputValue: string; Description?: string }>;
}

function registry(ctx: SimContext): Map<string, SimStack[]> {
  let map = ctx.scratch.get('cloudformation:stacks') as Map<string, SimStack[]> | undefined;
  if (!map) {
    map = new Map();
    ctx.scratch.set('cloudformation:stacks', map);
  }
  return map;
}

/** Registers (or replaces, by name) a stack of `account` in `region`. */
export function putStack(
  ctx: SimContext,
  account: string,
  region: string,
  stack: { StackName: string; Description?: string; Outputs: SimStack['Outputs'] },
): SimStack {
  const key = `${account}/${region}`;
  const list = (registry(ctx).get(key) ?? []).filter((s) => s.StackName !== stack.StackName);
  const made: SimStack = {
    ...stack,
    StackId: `arn:${ctx.state.partition}:cloudformation:${region}:${account}:stack/${stack.StackName}/${randomUUID()}`,
    StackStatus: 'CREATE_COMPLETE',
    CreationTime: ctx.now(),
  };
  registry(ctx).set(key, [...list, made]);
  return made;
}

function describeStacks(ctx: SimContext, req: SimRequest): unknown {
  const stacks = registry(ctx).get(`${req.caller.account}/${req.region}`) ?? [];
  const name = pStr(req.params, 'StackName');
  if (name === undefined) return { Stacks: stacks };
  const found = stacks.filter((s) => s.StackName === name || s.StackId === name);
  if (found.length === 0) throw new SimError('ValidationError', `Stack with id ${name} does not exist`, 400);
  return { Stacks: found };
}

export const cloudformation: ServiceModule = {
  service: 'cloudformation',
  protocol: 'query',
  xmlNamespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  throttlingCode: 'Throttling',
  eventSource: 'cloudformation.amazonaws.com',
  actions: { DescribeStacks: describeStacks },
  // A read: not recorded (as for the other services of the simulator).
  management: () => undefined,
};
