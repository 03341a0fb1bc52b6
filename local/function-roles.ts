/**
 * The pipeline's Lambda functions as their own roles: on Lambda, the service assumes a function's
 * execution role and hands the session to the function in its environment. The local run plays
 * the service — it assumes `/bks/bks-fn-<name>` in bks-sim with the pipeline's own credentials
 * (session name: the function's name, as Lambda does) — and runs each handler invocation with
 * that session and the template's `BKS_ROLE_NAME` in its own environment (`function-env.ts`).
 * bks-sim then judges every call of the handler against the policies the template gives that role.
 * Sessions are renewed on the simulator's clock before they expire (a test may move it by hours).
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { resetAws } from '../handlers/lib/aws';
import { resetClients } from '../handlers/lib/clients';
import type { SimHandle } from '../sim/server';
import { inFunction, installFunctionEnv } from './function-env';

interface Session {
  env: Record<string, string>;
  /** Expiry on the simulator's clock, epoch ms. */
  expiresMs: number;
}

/**
 * Variables of the template a handler reads per function (the rest is the run's own): the
 * responder role name, and the approval endpoint's sign-in (its client id, the ARN of its client
 * secret, the allowed groups). The issuer and the endpoint's URL stay the run's: the test identity
 * provider and the endpoint are served by the simulator.
 */
const FROM_TEMPLATE = [
  'BKS_ROLE_NAME',
  'BKS_OIDC_CLIENT_ID',
  'BKS_OIDC_CLIENT_SECRET_ARN',
  'BKS_APPROVER_GROUPS',
  'BKS_OIDC_GROUPS_CLAIM',
];

export class FunctionRoles {
  private sessions = new Map<string, Promise<Session>>();

  constructor(
    private readonly sim: SimHandle,
    private readonly credentials: { accessKeyId: string; secretAccessKey: string },
    readonly functions: Record<string, { roleArn: string; env: Record<string, string> }>,
  ) {
    installFunctionEnv();
  }

  /** Runs one invocation of function `name` (its short name, e.g. `enrich`). */
  async run<T>(name: string, invoke: () => Promise<T>): Promise<T> {
    const session = await this.session(name);
    return inFunction(session.env, invoke);
  }

  private session(name: string): Promise<Session> {
    const now = this.sim.ctx.nowMs();
    let s = this.sessions.get(name);
    const fresh = async (): Promise<Session> => this.assume(name);
    if (!s) {
      s = fresh();
      this.sessions.set(name, s);
      s.catch(() => this.sessions.delete(name));
      return s;
    }
    return s.then((got) => {
      if (got.expiresMs - now > 5 * 60_000) return got;
      // Expired on the simulator's clock: a new session, and the handlers' cached clients go
      // (they hold the old one), as a recycled Lambda container would.
      resetClients();
      resetAws();
      const next = fresh();
      this.sessions.set(name, next);
      return next;
    });
  }

  private async assume(name: string): Promise<Session> {
    const fn = this.functions[name];
    if (!fn) throw new Error(`the deployed pipeline has no function ${name}`);
    const sts = new STSClient({
      endpoint: this.sim.url,
      region: 'us-east-1',
      credentials: this.credentials,
      maxAttempts: 3,
    });
    try {
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: fn.roleArn, RoleSessionName: `bks-${name}`, DurationSeconds: 3600 }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
        throw new Error(`AssumeRole ${fn.roleArn} returned no credentials`);
      const env: Record<string, string> = {
        AWS_LAMBDA_FUNCTION_NAME: `bks-${name}`,
        AWS_ACCESS_KEY_ID: c.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
        AWS_SESSION_TOKEN: c.SessionToken,
      };
      for (const k of FROM_TEMPLATE) if (fn.env[k] !== undefined) env[k] = fn.env[k] as string;
      return { env, expiresMs: c.Expiration ? c.Expiration.getTime() : this.sim.ctx.nowMs() + 3600_000 };
    } finally {
      sts.destroy();
    }
  }
}
