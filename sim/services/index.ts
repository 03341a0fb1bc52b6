/**
 * The service registry of `bks-sim`: every AWS service the simulator speaks is a module here,
 * keyed by its SigV4 scope service name. To add a service, write `sim/services/<name>.ts`
 * exporting a `ServiceModule` and list it in `SERVICE_MODULES`. To observe every served call (the
 * simulator's own CloudTrail), list a `CallRecorder` in `RECORDERS`.
 */
import { cloudTrailRecorder } from '../cloudtrail';
import type { CallRecorder, ServiceModule } from '../core';
import { account } from './account';
import { bedrock } from './bedrock';
import { cloudformation } from './cloudformation';
import { cloudtrail } from './cloudtrail';
import { dynamodb } from './dynamodb';
import { events } from './events';
import { guardduty } from './guardduty';
import { iam } from './iam';
import { lambda } from './lambda';
import { organizations } from './organizations';
import { s3 } from './s3';
import { secretsmanager } from './secretsmanager';
import { securityhub } from './securityhub';
import { sns } from './sns';
import { sqs } from './sqs';
import { states } from './stepfunctions';
import { sts } from './sts';

export const SERVICE_MODULES: ServiceModule[] = [
  iam,
  sts,
  organizations,
  cloudtrail,
  securityhub,
  states,
  bedrock,
  s3,
  sns,
  dynamodb,
  events,
  sqs,
  guardduty,
  account,
  secretsmanager,
  cloudformation,
  lambda,
];

/** Called after every served call of a module that declares it a management event. */
export const RECORDERS: CallRecorder[] = [cloudTrailRecorder];

export function moduleByService(): Map<string, ServiceModule> {
  return new Map(SERVICE_MODULES.map((m) => [m.service, m]));
}
