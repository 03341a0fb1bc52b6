/**
 * Sends a plan step to IAM. The plan names the operation and its parameters; this table maps each
 * operation to its SDK command, so the executor stays one generic loop.
 */
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
} from '@aws-sdk/client-iam';
import type { StepRunner } from './execute';
import type { IamAction, StepParams } from './plan';

// biome-ignore lint/suspicious/noExplicitAny: each command takes its own input shape; plans carry them as data
type AnyCommand = new (input: any) => any;

const COMMANDS: Record<IamAction, AnyCommand> = {
  UpdateServiceSpecificCredential: UpdateServiceSpecificCredentialCommand,
  DeleteServiceSpecificCredential: DeleteServiceSpecificCredentialCommand,
  UpdateAccessKey: UpdateAccessKeyCommand,
  DeleteAccessKey: DeleteAccessKeyCommand,
  PutUserPolicy: PutUserPolicyCommand,
  DeleteUserPolicy: DeleteUserPolicyCommand,
  PutRolePolicy: PutRolePolicyCommand,
  DeleteRolePolicy: DeleteRolePolicyCommand,
  DeleteLoginProfile: DeleteLoginProfileCommand,
  DeactivateMFADevice: DeactivateMFADeviceCommand,
  DeleteSSHPublicKey: DeleteSSHPublicKeyCommand,
  DeleteSigningCertificate: DeleteSigningCertificateCommand,
  RemoveUserFromGroup: RemoveUserFromGroupCommand,
  AddUserToGroup: AddUserToGroupCommand,
  DetachUserPolicy: DetachUserPolicyCommand,
  AttachUserPolicy: AttachUserPolicyCommand,
  PutUserPermissionsBoundary: PutUserPermissionsBoundaryCommand,
  CreateUser: CreateUserCommand,
  DeleteUser: DeleteUserCommand,
};

export async function sendIamAction(iam: IAMClient, action: IamAction, params: StepParams): Promise<void> {
  const Command = COMMANDS[action];
  await iam.send(new Command(params));
}

export function iamStepRunner(iam: IAMClient): StepRunner {
  return (step) => sendIamAction(iam, step.action, step.params);
}
