/**
 * `revoke-key` planning (pure). Given what the caller asked for and freshly read state, decide the
 * IAM calls: targeted (the leaked credential only, matched by alias and `+N` index), reversible
 * (every step carries its undo unless `--delete`), idempotent (what is already in the wanted state
 * becomes an `unchanged` note, so a second run plans nothing) and refusing what a typo or a leak
 * from someone else's account would otherwise break: non-phantoms, SSO roles, root and the caller
 * itself unless `--force`; a key of another account always (the CLI reaches that account first).
 */
import { NEUTRAL_NAMES, type OptionNames } from '../options';
import { isManagedPolicyArn, type KeyBearingService, SERVICES } from '../services';
import {
  emptyPlan,
  type IamAction,
  numberSteps,
  type Plan,
  type PlanNote,
  type PlanStep,
  type StepParams,
} from './plan';
import {
  DENY_POLICY_NAME,
  deniedActions,
  denyNamespacesPolicy,
  denySessionsBeforePolicy,
  namespaceActions,
  SESSION_POLICY_NAME,
  sessionCutoff,
} from './policies';
import type { UserState } from './user-state';

export interface Caller {
  accountId: string;
  /** ARN from sts:GetCallerIdentity (`…:assumed-role/NAME/SESSION` or `…:user/NAME`). */
  arn: string;
  partition: string;
}

export type RevokeTarget =
  | { kind: 'user'; userName: string }
  | {
      kind: 'long-term';
      service: KeyBearingService;
      accountId: string;
      userName: string;
      credentialIndex: number;
    }
  | {
      kind: 'short-term';
      service: KeyBearingService;
      accountId: string;
      accessKeyId: string;
      accessKeyType: 'ASIA' | 'AKIA';
      region: string;
      issuedAt: string;
      expiresAt: string;
    };

export interface RevokeOptions {
  allKeys?: boolean;
  delete?: boolean;
  force?: boolean;
  /**
   * With a USER target: exactly these credentials (API key ids `ACCA…` and/or IAM access key ids
   * `AKIA…`) and nothing else — no other key, no deny policy, no password. Being named by id, they
   * cannot hit the wrong user by a typo, so a non-phantom user needs no `--force`.
   */
  credentialIds?: readonly string[];
  /** How the caller names these options in the plan's words (the CLI: its flags). */
  names?: OptionNames;
}

/** The option names of a plan's words. */
const namesOf = (options: RevokeOptions): OptionNames => options.names ?? NEUTRAL_NAMES;

type Step = Omit<PlanStep, 'n'>;

/** The alias IAM gives a user's credential: `<user>-at-<account>`, `+N` after the name for N ≥ 1. */
export function credentialAlias(userName: string, index: number, accountId: string): string {
  return `${userName}${index > 0 ? `+${index}` : ''}-at-${accountId}`;
}

/** Services whose phantom this user is (by name prefix or by the service's managed policy). */
export function phantomServices(user: UserState): KeyBearingService[] {
  return SERVICES.filter(
    (s) =>
      user.userName.startsWith(s.phantomUserPrefix) ||
      user.attachedPolicies.some((p) => isManagedPolicyArn(s, p.arn)),
  );
}

function targetText(target: RevokeTarget): string {
  if (target.kind === 'user') return `user ${target.userName}`;
  if (target.kind === 'long-term') {
    return `${target.service.id} long-term key ${credentialAlias(target.userName, target.credentialIndex, target.accountId)}`;
  }
  return `${target.service.id} short-term key signed by ${target.accessKeyId} (${target.region})`;
}

/**
 * A key of another account is never planned against the caller's account, `--force` or not: what
 * the caller can read there says nothing about the key, and "nothing to change" would be a lie.
 */
function accountRefusal(caller: Caller, accountId: string, names: OptionNames): string | undefined {
  if (accountId === caller.accountId) return undefined;
  return `the key belongs to account ${accountId} but the credentials in use are for account ${caller.accountId}: run with credentials for ${accountId} (${names('profile')}), or ${names('orgRole')} ROLE from the organization's management or security account (${names('force')} does not change this)`;
}

/**
 * Takes one credential out of use: deactivate it (undoable), or delete it with `--delete`
 * (irreversible); one that is not Active is left as it is. `kind` names its IAM actions.
 */
function outOfUseStep(
  kind: { update: IamAction; delete: IamAction },
  ids: Record<string, string>,
  status: string,
  target: string,
  opts: RevokeOptions,
  why: string,
  out: { steps: Step[]; notes: PlanNote[] },
): void {
  if (opts.delete) {
    out.steps.push({
      action: kind.delete,
      params: ids,
      target,
      reason: `${why}; ${namesOf(opts)('delete')}: deleted, not deactivated (irreversible)`,
      irreversible: true,
    });
  } else if (status === 'Active') {
    out.steps.push({
      action: kind.update,
      params: { ...ids, Status: 'Inactive' },
      target,
      reason: why,
      undo: { action: kind.update, params: { ...ids, Status: 'Active' } },
    });
  } else {
    out.notes.push({ target, status: 'unchanged', message: `already ${status}` });
  }
}

const SSC_ACTIONS = {
  update: 'UpdateServiceSpecificCredential',
  delete: 'DeleteServiceSpecificCredential',
} as const;
const ACCESS_KEY_ACTIONS = { update: 'UpdateAccessKey', delete: 'DeleteAccessKey' } as const;

/** Steps that take one credential out of use (deactivate, or delete with `--delete`). */
function credentialSteps(
  user: UserState,
  cred: UserState['credentials'][number],
  opts: RevokeOptions,
  why: string,
) {
  const out = { steps: [] as Step[], notes: [] as PlanNote[] };
  const target = `user/${user.userName} credential ${cred.id} (${cred.alias ?? cred.serviceUserName ?? cred.serviceName})`;
  const ids = { UserName: user.userName, ServiceSpecificCredentialId: cred.id };
  outOfUseStep(SSC_ACTIONS, ids, cred.status, target, opts, why, out);
  return out;
}

function accessKeySteps(user: UserState, opts: RevokeOptions, why: string) {
  const out = { steps: [] as Step[], notes: [] as PlanNote[] };
  for (const key of user.accessKeys) {
    const ids = { UserName: user.userName, AccessKeyId: key.id };
    outOfUseStep(
      ACCESS_KEY_ACTIONS,
      ids,
      key.status,
      `user/${user.userName} access key ${key.id}`,
      opts,
      why,
      out,
    );
  }
  return out;
}

/**
 * A console password on a phantom is a persistent credential of its own (nobody needs to sign in as
 * a console-made API-key user): it is deleted, which cannot be undone — IAM never returns a
 * password, so `restore` can only say so.
 */
export const LOGIN_PROFILE_NOT_RESTORABLE =
  'a console password cannot be restored (IAM never returns it): set a new one with aws iam create-login-profile if the user really needs console access';

function loginProfileStep(user: UserState): Step {
  return {
    action: 'DeleteLoginProfile',
    params: { UserName: user.userName },
    target: `user/${user.userName} login profile`,
    reason: `console password on a phantom API-key user: a persistent credential with the same permissions; ${LOGIN_PROFILE_NOT_RESTORABLE}`,
    irreversible: true,
  };
}

/** The fixed-name deny over the services' namespaces; updated in place, never duplicated. */
function denyPolicyStep(user: UserState, services: readonly KeyBearingService[], names: OptionNames) {
  const existing = user.inlinePolicies.find((p) => p.name === DENY_POLICY_NAME);
  const present = deniedActions(existing?.document);
  const wanted = namespaceActions(services);
  const target = `user/${user.userName} inline policy ${DENY_POLICY_NAME}`;
  if (existing && wanted.every((a) => present.includes(a))) {
    return {
      steps: [] as Step[],
      notes: [{ target, status: 'unchanged', message: `already denies ${wanted.join(', ')}` } as PlanNote],
    };
  }
  const document = denyNamespacesPolicy([...new Set([...present, ...wanted])]);
  const step: Step = {
    action: 'PutUserPolicy',
    params: { UserName: user.userName, PolicyName: DENY_POLICY_NAME, PolicyDocument: document },
    target,
    reason: `deny ${wanted.join(', ')} to every credential of the user (${names('allKeys')})`,
    undo: existing
      ? {
          action: 'PutUserPolicy',
          params: {
            UserName: user.userName,
            PolicyName: DENY_POLICY_NAME,
            PolicyDocument: existing.document,
          },
        }
      : { action: 'DeleteUserPolicy', params: { UserName: user.userName, PolicyName: DENY_POLICY_NAME } },
  };
  return { steps: [step], notes: [] as PlanNote[] };
}

/** A long-term key or a user name: the user's state was read with `readUserState` (null = absent). */
export function planRevokeLongTerm(input: {
  caller: Caller;
  target: Extract<RevokeTarget, { kind: 'long-term' | 'user' }>;
  user: UserState | null;
  options: RevokeOptions;
  /** Services to act on for a USER target (`--service`); a key's own service otherwise. */
  services?: readonly KeyBearingService[];
}): Plan {
  const { caller, target, user, options } = input;
  const plan = emptyPlan('revoke-key', caller);
  if (target.kind === 'long-term') {
    const refusal = accountRefusal(caller, target.accountId, namesOf(options));
    if (refusal) return { ...plan, refused: refusal };
  }
  if (!user) {
    plan.notes.push({
      target: `user/${target.userName}`,
      status: 'absent',
      message: `no such user in account ${caller.accountId}: its keys cannot authenticate, nothing to revoke`,
    });
    return plan;
  }
  if (target.kind === 'user' && options.credentialIds?.length) {
    return planNamedCredentials(plan, user, options.credentialIds, options);
  }
  const phantomOf = phantomServices(user);
  if (phantomOf.length === 0 && !options.force) {
    return {
      ...plan,
      refused: `user ${user.userName} is not a phantom API-key user (no ${SERVICES.map((s) => s.phantomUserPrefix).join('/')} name, no API-key managed policy): refusing to touch it without ${namesOf(options)('force')}`,
    };
  }
  const steps: Step[] = [];
  const notes: PlanNote[] = [];
  const add = (r: { steps: Step[]; notes: PlanNote[] }) => {
    steps.push(...r.steps);
    notes.push(...r.notes);
  };
  let services: KeyBearingService[];
  const allKeys = target.kind === 'user' || Boolean(options.allKeys);
  if (target.kind === 'long-term') {
    services = [target.service];
    const mine = user.credentials.filter((c) => c.serviceName === target.service.sscServiceName);
    const alias = credentialAlias(target.userName, target.credentialIndex, target.accountId);
    if (allKeys) {
      for (const c of mine)
        add(
          credentialSteps(
            user,
            c,
            options,
            `${namesOf(options)('allKeys')}: every ${target.service.id} credential of the user`,
          ),
        );
    } else if (mine.some((c) => !c.alias && !c.serviceUserName)) {
      return {
        ...plan,
        refused: `IAM did not return credential aliases for ${user.userName}: cannot tell which credential is the leaked key; use ${namesOf(options)('allKeys')}`,
      };
    } else {
      const match = mine.find((c) => (c.alias ?? c.serviceUserName) === alias);
      if (match)
        add(
          credentialSteps(
            user,
            match,
            options,
            `the leaked key (alias ${alias}); the user's other key keeps working`,
          ),
        );
      else
        notes.push({
          target: `user/${user.userName} credential ${alias}`,
          status: 'absent',
          message: 'no credential with this alias exists any more: the key cannot authenticate',
        });
    }
  } else {
    const held = SERVICES.filter((s) => user.credentials.some((c) => c.serviceName === s.sscServiceName));
    services = (input.services ?? SERVICES).filter((s) => held.includes(s) || phantomOf.includes(s));
    for (const c of user.credentials) {
      if (services.some((s) => s.sscServiceName === c.serviceName)) {
        add(credentialSteps(user, c, options, `every API key of user ${user.userName}`));
      }
    }
  }
  if (phantomOf.length > 0) {
    add(
      accessKeySteps(
        user,
        options,
        'access key on a phantom API-key user: a persistent credential with the same permissions',
      ),
    );
    if (user.loginProfile) steps.push(loginProfileStep(user));
  }
  if (allKeys && services.length > 0) add(denyPolicyStep(user, services, namesOf(options)));
  plan.steps = numberSteps(steps);
  plan.notes = notes;
  return plan;
}

/**
 * `revoke-key USER --credential ID,…`: the targeted revoke. Only the named API keys and access keys
 * go out of use; the user's other keys, its permissions and its password stay as they are. An id the
 * user does not hold is a refusal (nothing is guessed, nothing half-done).
 */
function planNamedCredentials(
  plan: Plan,
  user: UserState,
  ids: readonly string[],
  options: RevokeOptions,
): Plan {
  const steps: Step[] = [];
  const notes: PlanNote[] = [];
  const missing: string[] = [];
  const why = `named with ${namesOf(options)('credential')}: only this credential, the user's other keys and permissions are untouched`;
  for (const id of new Set(ids)) {
    const cred = user.credentials.find((c) => c.id === id);
    const key = user.accessKeys.find((k) => k.id === id);
    const r = cred
      ? credentialSteps(user, cred, options, why)
      : key
        ? accessKeySteps({ ...user, accessKeys: [key] }, options, why)
        : undefined;
    if (!r) {
      missing.push(id);
      continue;
    }
    steps.push(...r.steps);
    notes.push(...r.notes);
  }
  if (missing.length > 0) {
    return {
      ...plan,
      refused: `user ${user.userName} holds no API key or access key ${missing.join(', ')} (it holds ${[...user.credentials.map((c) => c.id), ...user.accessKeys.map((k) => k.id)].join(', ') || 'none'}): nothing was changed`,
    };
  }
  plan.steps = numberSteps(steps);
  plan.notes = notes;
  return plan;
}

/** Who signed a short-term key, as CloudTrail (or IAM, for `AKIA`) showed it. */
export type Signer =
  | { kind: 'role'; name: string; arn: string }
  | { kind: 'user'; name: string; arn: string; state: UserState | null }
  | { kind: 'root'; arn: string }
  | { kind: 'unknown'; reason: string };

export const SSO_ROLE_PREFIX = 'AWSReservedSSO_';

export const SSO_STEPS =
  'in IAM Identity Center: revoke the user\'s active sessions (Users → the user → Active sessions → Revoke), remove or narrow the permission-set assignment, or add to the permission set an inline Deny "*" with condition DateLessThan aws:TokenIssueTime <now> and re-provision it';

/** True when the caller's ARN is this identity (the same user, or a session of this role). */
export function isCaller(caller: Caller, signer: Signer): boolean {
  if (signer.kind === 'user') return caller.arn === signer.arn;
  if (signer.kind === 'role')
    return (
      new RegExp(`:assumed-role/${escapeRe(signer.name)}/`).test(caller.arn) || caller.arn === signer.arn
    );
  if (signer.kind === 'root') return caller.arn.endsWith(':root');
  return false;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function planRevokeShortTerm(input: {
  caller: Caller;
  target: Extract<RevokeTarget, { kind: 'short-term' }>;
  signer: Signer;
  /** Current inline policy named SESSION_POLICY_NAME on the signer, canonical JSON (undefined = none). */
  existingSessionPolicy?: string;
  options: RevokeOptions;
  now: Date;
}): Plan {
  const { caller, target, signer, options, now } = input;
  const plan = emptyPlan('revoke-key', caller);
  const refusal = accountRefusal(caller, target.accountId, namesOf(options));
  if (refusal) return { ...plan, refused: refusal };
  if (Date.parse(target.expiresAt) <= now.getTime()) {
    plan.notes.push({
      target: targetText(target),
      status: 'unchanged',
      message: `expired at ${target.expiresAt}: it can no longer be used, nothing to revoke`,
    });
    return plan;
  }
  if (signer.kind === 'unknown') {
    return { ...plan, refused: `cannot revoke: ${signer.reason}` };
  }
  if (signer.kind === 'root') {
    return {
      ...plan,
      refused:
        'the key was signed with the root user: no IAM policy applies to root; sign in as root and delete its access keys, then rotate its password and MFA',
    };
  }
  if (signer.kind === 'role' && signer.name.startsWith(SSO_ROLE_PREFIX) && !options.force) {
    return {
      ...plan,
      refused: `the signer is the IAM Identity Center role ${signer.name}, which IAM Identity Center manages (a policy put on it is overwritten): ${SSO_STEPS}; ${namesOf(options)('force')} to put the deny on the role anyway`,
    };
  }
  if (isCaller(caller, signer) && !options.force) {
    return {
      ...plan,
      refused: `the signer ${signer.arn} is the identity running this command: the deny would end your own session too; ${namesOf(options)('force')} to do it anyway`,
    };
  }
  const steps: Step[] = [];
  if (target.accessKeyType === 'AKIA') {
    // A key signed with a long-term access key carries no aws:TokenIssueTime, so a deny on it
    // would not match: the signing access key itself has to go out of use.
    if (signer.kind !== 'user' || !signer.state) {
      return { ...plan, refused: `the access key ${target.accessKeyId} was not found on any IAM user` };
    }
    const key = signer.state.accessKeys.find((k) => k.id === target.accessKeyId);
    if (!key)
      return { ...plan, refused: `the access key ${target.accessKeyId} is no longer on ${signer.name}` };
    const r = accessKeySteps(
      { ...signer.state, accessKeys: [key] },
      options,
      `the key was signed with this access key: presigned keys die with it (aws:TokenIssueTime does not apply to long-term access keys); every other use of this access key stops too`,
    );
    plan.steps = numberSteps(r.steps);
    plan.notes = r.notes;
    return plan;
  }
  const existingCutoff = sessionCutoff(input.existingSessionPolicy);
  const policyTarget = `${signer.kind}/${signer.name} inline policy ${SESSION_POLICY_NAME}`;
  if (existingCutoff && Date.parse(existingCutoff) > Date.parse(target.issuedAt)) {
    plan.notes.push({
      target: policyTarget,
      status: 'unchanged',
      message: `already denies sessions issued before ${existingCutoff} (the key was signed at ${target.issuedAt})`,
    });
    return plan;
  }
  // The cut-off is the next whole second: aws:TokenIssueTime has second precision, and a session
  // issued in the current second must be denied too (DateLessThan is strict).
  const cutoff = new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const document = denySessionsBeforePolicy(cutoff);
  const nameParam: StepParams =
    signer.kind === 'role' ? { RoleName: signer.name } : { UserName: signer.name };
  const put = signer.kind === 'role' ? 'PutRolePolicy' : 'PutUserPolicy';
  const del = signer.kind === 'role' ? 'DeleteRolePolicy' : 'DeleteUserPolicy';
  steps.push({
    action: put,
    params: { ...nameParam, PolicyName: SESSION_POLICY_NAME, PolicyDocument: document },
    target: policyTarget,
    reason: `deny everything to sessions of ${signer.arn} issued before now (aws:TokenIssueTime): the leaked short-term key and every other session issued so far stop working; new sessions are unaffected`,
    undo: input.existingSessionPolicy
      ? {
          action: put,
          params: {
            ...nameParam,
            PolicyName: SESSION_POLICY_NAME,
            PolicyDocument: input.existingSessionPolicy,
          },
        }
      : { action: del, params: { ...nameParam, PolicyName: SESSION_POLICY_NAME } },
  });
  plan.steps = numberSteps(steps);
  return plan;
}

export { targetText as describeRevokeTarget };
