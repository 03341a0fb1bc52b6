/**
 * AWS Secrets Manager, minimal (JSON 1.1, `secretsmanager.*`): CreateSecret and GetSecretValue with
 * a `SecretString` — enough for a function that reads its configuration secret (the approval
 * endpoint's OIDC client secret). Secrets are per account and region; `SecretId` is the name, the
 * ARN (`arn:…:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`) or the partial ARN
 * without the six characters (Secrets Manager API reference, GetSecretValue `SecretId`; what CDK's
 * `Secret.fromSecretNameV2` hands a function). IAM judges the call on the secret's full ARN
 * (`secretArnFor`, Service Authorization Reference: resource type `Secret`). A missing secret
 * answers `ResourceNotFoundException` ("Secrets Manager can't find the specified secret."), a second
 * CreateSecret of a name `ResourceExistsException`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';

interface SimSecret {
  ARN: string;
  Name: string;
  SecretString: string;
  VersionId: string;
  CreatedDate: number;
}

function secrets(ctx: SimContext, account: string, region: string): Map<string, SimSecret> {
  const key = `secretsmanager:${account}:${region}`;
  let m = ctx.scratch.get(key) as Map<string, SimSecret> | undefined;
  if (!m) {
    m = new Map();
    ctx.scratch.set(key, m);
  }
  return m;
}

const NAME = /^[\w/+=.@-]{1,512}$/;

function createSecret(ctx: SimContext, req: SimRequest): unknown {
  const name = req.params.Name;
  const value = req.params.SecretString;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new SimError(
      'ValidationException',
      'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      400,
    );
  if (typeof value !== 'string' || value === '')
    throw new SimError('InvalidParameterException', 'You must provide SecretString.', 400);
  const m = secrets(ctx, req.caller.account, req.region);
  if (m.has(name))
    throw new SimError(
      'ResourceExistsException',
      `The operation failed because the secret ${name} already exists.`,
      400,
    );
  const suffix = randomBytes(6).toString('base64url').slice(0, 6);
  const secret: SimSecret = {
    ARN: `arn:${ctx.state.partition}:secretsmanager:${req.region}:${req.caller.account}:secret:${name}-${suffix}`,
    Name: name,
    SecretString: value,
    VersionId: randomUUID(),
    CreatedDate: ctx.now().getTime() / 1000,
  };
  m.set(name, secret);
  return { ARN: secret.ARN, Name: name, VersionId: secret.VersionId };
}

/** The secret a `SecretId` names in the caller's account and region: name, ARN or partial ARN. */
function findSecret(ctx: SimContext, account: string, region: string, id: string): SimSecret | undefined {
  const m = secrets(ctx, account, region);
  if (!id.startsWith('arn:')) return m.get(id);
  return [...m.values()].find((x) => x.ARN === id || x.ARN.slice(0, -7) === id);
}

/**
 * The ARN IAM evaluates a call on `SecretId` against: the secret's full ARN when it exists (a
 * partial ARN or a name resolves to it), otherwise the ARN the id spells.
 */
export function secretArnFor(ctx: SimContext, req: SimRequest): string {
  const id = typeof req.params.SecretId === 'string' ? req.params.SecretId : '';
  const found = id ? findSecret(ctx, req.caller.account, req.region, id) : undefined;
  if (found) return found.ARN;
  if (id.startsWith('arn:')) return id;
  return `arn:${ctx.state.partition}:secretsmanager:${req.region}:${req.caller.account}:secret:${id || '*'}`;
}

function getSecretValue(ctx: SimContext, req: SimRequest): unknown {
  const id = req.params.SecretId;
  if (typeof id !== 'string' || id === '')
    throw new SimError('InvalidParameterException', 'You must provide SecretId.', 400);
  const s = findSecret(ctx, req.caller.account, req.region, id);
  if (!s)
    throw new SimError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.", 400);
  return {
    ARN: s.ARN,
    Name: s.Name,
    SecretString: s.SecretString,
    VersionId: s.VersionId,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: s.CreatedDate,
  };
}

export const secretsmanager: ServiceModule = {
  service: 'secretsmanager',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'secretsmanager',
  throttlingCode: 'ThrottlingException',
  eventSource: 'secretsmanager.amazonaws.com',
  actions: { CreateSecret: createSecret, GetSecretValue: getSecretValue },
  // CloudTrail logs both as management events; GetSecretValue is read-only.
  management: (action) => ({ readOnly: action === 'GetSecretValue' }),
};
