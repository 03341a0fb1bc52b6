/**
 * What IAM evaluates for a call the simulator serves: the action (`<prefix>:<operation>`, or the
 * operation's IAM action where it is named differently), the resources the call touches and the
 * request's own condition keys. Facts: the Service Authorization Reference pages of each service
 * ("Actions, resources, and condition keys for …").
 */
import type { SimContext, SimRequest } from './core';
import { secretArnFor } from './services/secretsmanager';

/** Operations whose IAM action has another name. */
const ACTION_OF: Record<string, string> = {
  'bedrock:Converse': 'bedrock:InvokeModel',
  'bedrock:ConverseStream': 'bedrock:InvokeModelWithResponseStream',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
};

/** Calls AWS answers whatever the caller's policies say (IAM user guide: GetCallerIdentity). */
export const NEVER_DENIED = new Set(['sts:GetCallerIdentity']);

export interface IamTarget {
  action: string;
  /** Every resource the call touches (all must be allowed); `*` when the action has none. */
  resources: string[];
  context: Record<string, string | string[]>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The IAM action of an operation of a simulated service. */
export function iamAction(service: string, operation: string): string {
  const full = `${service}:${operation}`;
  return ACTION_OF[full] ?? full;
}

/** IAM resources: users, roles, groups and policies named by the request's parameters. */
function iamResources(ctx: SimContext, req: SimRequest): string[] {
  const p = ctx.state.partition;
  const account = req.caller.account;
  const params = req.params;
  const userName = str(params.UserName);
  const roleName = str(params.RoleName);
  const groupName = str(params.GroupName);
  const policyArn = str(params.PolicyArn);
  const op = req.action;
  // The resource is the entity the operation is named after (AddUserToGroup acts on the group,
  // AttachUserPolicy on the user, GetPolicyVersion on the policy).
  if (groupName && /Group/.test(op)) return [`arn:${p}:iam::${account}:group/${groupName}`];
  if (roleName && /Role|InstanceProfile/.test(op)) {
    const role = ctx.state.accounts.find((a) => a.id === account)?.roles.find((r) => r.name === roleName);
    return [`arn:${p}:iam::${account}:role${role?.path ?? '/'}${roleName}`];
  }
  if (userName) {
    const user = ctx.index.user(account, userName);
    return [`arn:${p}:iam::${account}:user${user?.path ?? str(params.Path) ?? '/'}${userName}`];
  }
  if (policyArn && /Polic/.test(op)) return [policyArn];
  // Operations on "the calling user" when no UserName is given (GetUser, ListAccessKeys, …).
  if (
    req.caller.type === 'IAMUser' &&
    /User|AccessKey|ServiceSpecificCredential|MFA|SSH|Signing/.test(req.action)
  ) {
    if (req.action !== 'ListUsers' && params.AllUsers !== 'true') return [req.caller.arn];
  }
  return ['*'];
}

function iamContext(req: SimRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const params = req.params;
  if (req.action === 'CreateServiceSpecificCredential') {
    const service = str(params.ServiceName);
    if (service) out['iam:ServiceSpecificCredentialServiceName'] = service;
    const age = str(params.CredentialAgeDays);
    if (age) out['iam:ServiceSpecificCredentialAgeDays'] = age;
  }
  const policyArn = str(params.PolicyArn);
  if (policyArn && /^(Attach|Detach)(User|Role|Group)Policy$/.test(req.action))
    out['iam:PolicyARN'] = policyArn;
  const boundary = str(params.PermissionsBoundary);
  if (boundary) out['iam:PermissionsBoundary'] = boundary;
  return out;
}

/** What IAM evaluates for a SigV4 call (the Bedrock runtime computes its model ARN itself). */
export function iamTarget(ctx: SimContext, req: SimRequest): IamTarget {
  const p = ctx.state.partition;
  const account = req.caller.account;
  const region = req.region;
  const params = req.params;
  const action = iamAction(req.service, req.action);
  let resources: string[] = ['*'];
  let context: Record<string, string | string[]> = {};
  switch (req.service) {
    case 'iam':
      resources = iamResources(ctx, req);
      context = iamContext(req);
      break;
    case 'sts':
      if (req.action === 'AssumeRole' && str(params.RoleArn)) resources = [params.RoleArn as string];
      break;
    case 'securityhub':
      resources =
        req.action === 'BatchImportFindings'
          ? [`arn:${p}:securityhub:${region}:${account}:product/${account}/default`]
          : [`arn:${p}:securityhub:${region}:${account}:hub/default`];
      break;
    case 'secretsmanager':
      if (req.action !== 'CreateSecret') resources = [secretArnFor(ctx, req)];
      break;
    case 'sns': {
      const topic = str(params.TopicArn) ?? str(params.TargetArn);
      if (topic) resources = [topic];
      break;
    }
    case 's3': {
      const bucket = req.pathParams.Bucket;
      const key = req.pathParams.Key;
      if (bucket)
        resources = [
          key && action !== 's3:ListBucket' ? `arn:${p}:s3:::${bucket}/${key}` : `arn:${p}:s3:::${bucket}`,
        ];
      break;
    }
    case 'dynamodb': {
      const tables = new Set<string>();
      const name = str(params.TableName);
      if (name) tables.add(name);
      const items = params.RequestItems;
      if (items && typeof items === 'object') for (const t of Object.keys(items)) tables.add(t);
      const transact = params.TransactItems;
      if (Array.isArray(transact)) {
        for (const item of transact) {
          for (const op of Object.values((item ?? {}) as Record<string, unknown>)) {
            const t = str((op as { TableName?: unknown } | null)?.TableName);
            if (t) tables.add(t);
          }
        }
      }
      if (tables.size > 0)
        resources = [...tables].map((t) =>
          t.startsWith('arn:') ? t : `arn:${p}:dynamodb:${region}:${account}:table/${t}`,
        );
      break;
    }
    default:
      break;
  }
  return { action, resources, context };
}
