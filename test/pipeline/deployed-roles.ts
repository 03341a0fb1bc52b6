/**
 * The responder roles exactly as the CDK app deploys them: `ResponderRoles` (infra/responder-roles.ts,
 * the construct BedrockKeyGuard and the member stacks deploy) synthesized into a CloudFormation
 * template, and its AWS::IAM::Role and AWS::IAM::Policy resources turned into bks-sim scenario roles
 * (intrinsics resolved for the account), each with its trust policy. bks-sim then evaluates every
 * call of the pipeline against those policies, and every AssumeRole against the trust policy.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ResponderRoles } from '../../infra/responder-roles';
import { withScratchDir } from '../helpers/scratch';

type Doc = { Version?: string; Statement: Array<Record<string, unknown>> };

export interface DeployedRole {
  name: string;
  /** IAM path (`/bks/`); `/` when absent. */
  path?: string;
  /** The template's trust policy (roles trusted by AWS principals): bks-sim evaluates it. */
  trustPolicy?: Doc;
  /** Roles trusted by a service (Lambda, Step Functions): the local run plays the service. */
  trustedAccounts?: string[];
  inlinePolicies: Record<string, Doc>;
}

/** Resolves the intrinsics CDK writes into IAM documents (`Ref` of pseudo parameters, `Fn::Join`). */
function resolve(value: unknown, account: string, partition: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, account, partition));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) {
      const ref = o.Ref;
      if (ref === 'AWS::Partition') return partition;
      if (ref === 'AWS::AccountId') return account;
      throw new Error(`unresolved Ref ${String(ref)} in a responder role policy`);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p, account, partition))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, account, partition)]));
  }
  return value;
}

/** The synthesized responder roles of `account` (trusting `securityAccount`), as scenario roles. */
export function deployedResponderRoles(account: string, securityAccount = account): DeployedRole[] {
  const resources = withScratchDir('bks-cdk-', (outdir) => {
    const stack = new Stack(new App({ outdir }), 'Member', { env: { account, region: 'us-east-1' } });
    new ResponderRoles(stack, 'Responders', { securityAccount });
    return Template.fromStack(stack).toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
  });
  const roles = new Map<string, DeployedRole>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const trustPolicy = resolve(r.Properties.AssumeRolePolicyDocument, account, 'aws') as Doc;
    roles.set(id, {
      name: String(r.Properties.RoleName),
      path: String(r.Properties.Path ?? '/'),
      trustPolicy,
      inlinePolicies: {},
    });
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    for (const ref of r.Properties.Roles as Array<{ Ref: string }>) {
      const role = roles.get(ref.Ref);
      if (!role) throw new Error(`policy ${id} names a role outside the template`);
      role.inlinePolicies[id] = resolve(r.Properties.PolicyDocument, account, 'aws') as Doc;
    }
  }
  return [...roles.values()];
}

/** Every action a set of roles allows. */
export function grantedActions(roles: DeployedRole[]): Set<string> {
  const out = new Set<string>();
  for (const role of roles)
    for (const doc of Object.values(role.inlinePolicies))
      for (const s of doc.Statement) {
        if (s.Effect !== 'Allow') continue;
        for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) out.add(String(a));
      }
  return out;
}

/** A copy of the roles with one action taken out of every statement of one role. */
export function withoutAction(roles: DeployedRole[], roleName: string, action: string): DeployedRole[] {
  const copy = structuredClone(roles);
  const role = copy.find((r) => r.name === roleName);
  if (!role) throw new Error(`no role ${roleName}`);
  let removed = 0;
  for (const doc of Object.values(role.inlinePolicies)) {
    for (const s of doc.Statement) {
      const actions = Array.isArray(s.Action) ? (s.Action as string[]) : [String(s.Action)];
      const kept = actions.filter((a) => a !== action);
      removed += actions.length - kept.length;
      s.Action = kept;
    }
    doc.Statement = doc.Statement.filter((s) => (s.Action as string[]).length > 0);
  }
  if (removed === 0) throw new Error(`${roleName} does not grant ${action}`);
  return copy;
}
