/** `revoke-key`: read fresh state, plan (./revoke), then act (./act). */
import type { AwsContext } from '../aws';
import type { KeyBearingService } from '../services';
import { type ActResult, actOnPlan, type PlanGate } from './act';
import { iamStepRunner } from './iam-runner';
import type { Plan } from './plan';
import { SESSION_POLICY_NAME } from './policies';
import type { RecordSubject, RecordTarget } from './record';
import {
  type Caller,
  credentialAlias,
  planRevokeLongTerm,
  planRevokeShortTerm,
  type RevokeOptions,
  type RevokeTarget,
  type Signer,
} from './revoke';
import { findSigner, readSignerPolicy } from './signer';
import { readUserState } from './user-state';

export interface RevokeRunResult extends ActResult {
  /** What was asked for, without any secret (`user X`, the key's alias, or its access key id). */
  target: string;
  kind: RevokeTarget['kind'];
  accountId: string;
  signer?: { kind: Signer['kind']; arn?: string };
  plan: Plan;
}

export function targetLabel(t: RevokeTarget): string {
  if (t.kind === 'user') return t.userName;
  if (t.kind === 'long-term') return credentialAlias(t.userName, t.credentialIndex, t.accountId);
  return t.accessKeyId;
}

export async function runRevoke(
  aws: AwsContext,
  target: RevokeTarget,
  opts: RevokeOptions & {
    recordDir: RecordTarget;
    gate: PlanGate;
    services?: KeyBearingService[];
    now?: Date;
  },
): Promise<RevokeRunResult> {
  const id = await aws.identity();
  const caller: Caller = { accountId: id.accountId, arn: id.arn, partition: aws.partition };
  const iam = aws.iam();
  let plan: Plan;
  let subjects: RecordSubject[] = [];
  let signer: Signer | undefined;
  if (target.kind === 'short-term') {
    const foreign = target.accountId !== caller.accountId;
    signer = foreign
      ? { kind: 'unknown', reason: 'not looked up (other account)' }
      : await findSigner(aws, target, caller.accountId);
    let existing: string | undefined;
    if ((signer.kind === 'role' || signer.kind === 'user') && target.accessKeyType === 'ASIA') {
      const p = await readSignerPolicy(aws, signer, SESSION_POLICY_NAME);
      existing = p.document;
      subjects = [{ kind: signer.kind, name: signer.name, id: p.id, arn: signer.arn }];
    } else if (signer.kind === 'user' && signer.state) {
      subjects = [{ kind: 'user', name: signer.name, id: signer.state.userId, arn: signer.arn }];
    }
    plan = planRevokeShortTerm({
      caller,
      target,
      signer,
      existingSessionPolicy: existing,
      options: opts,
      // AWS's clock, as its last response stated it: it judges the key's expiry and
      // aws:TokenIssueTime, and this machine's clock may disagree with it.
      now: opts.now ?? aws.clock.now(),
    });
  } else {
    const foreign = target.kind === 'long-term' && target.accountId !== caller.accountId;
    const user = foreign ? null : await readUserState(iam, target.userName);
    if (user) subjects = [{ kind: 'user', name: user.userName, id: user.userId, arn: user.arn }];
    plan = planRevokeLongTerm({ caller, target, user, options: opts, services: opts.services });
  }
  const result = await actOnPlan(plan, {
    gate: opts.gate,
    recordDir: opts.recordDir,
    caller: caller.arn,
    target: targetLabel(target),
    subjects,
    run: iamStepRunner(iam),
  });
  return {
    ...result,
    target: targetLabel(target),
    kind: target.kind,
    accountId: caller.accountId,
    ...(signer ? { signer: { kind: signer.kind, ...('arn' in signer ? { arn: signer.arn } : {}) } } : {}),
    plan,
  };
}
