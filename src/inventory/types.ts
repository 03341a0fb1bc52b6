/** The inventory's data: what was read about a user, and the verdict on it. */
import type { KeyBearingService, ServiceId } from '../services';

export type UserStatus = 'AT_RISK' | 'ACTIVE' | 'ORPHANED' | 'UNKNOWN';

/** Statuses from the most to the least urgent (table order, `--fail-on` thresholds). */
export const STATUS_ORDER: readonly UserStatus[] = ['AT_RISK', 'UNKNOWN', 'ACTIVE', 'ORPHANED'];

/** Why a user is considered (or listed next to) a phantom of a service. */
export type Evidence = 'name-prefix' | 'managed-policy' | 'service-credential';

/** The result of one read: its value, or the error that stopped it (never "empty" on failure). */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export const readOk = <T>(value: T): Read<T> => ({ ok: true, value });
export const readFailed = <T>(error: string): Read<T> => ({ ok: false, error });

/** A service-specific credential's metadata (never its secret). */
export interface CredentialInfo {
  id: string;
  /** `Active`, `Inactive` or `Expired`, as IAM lists it. */
  status: string;
  createdAt: string | null;
  /** ISO time, or null when it never expires. */
  expiresAt: string | null;
}

export interface AccessKeyInfo {
  /** Known with `--fresh`; the credential report does not carry key ids. */
  id?: string;
  status: 'Active' | 'Inactive';
  createdAt?: string | null;
  lastUsedAt?: string | null;
}

export interface UserDetails {
  userName: string;
  arn: string;
  path: string;
  createdAt: string | null;
  managedPolicyArns: string[];
  inlinePolicyNames: string[];
  groups: string[];
  permissionsBoundaryArn: string | null;
  tags: Record<string, string>;
}

export interface LoginInfo {
  passwordEnabled: boolean;
  mfaActive: boolean;
}

export interface ClassifyInput {
  service: KeyBearingService;
  userName: string;
  details: Read<UserDetails>;
  /** This service's credentials of this user. */
  credentials: Read<CredentialInfo[]>;
  accessKeys: Read<AccessKeyInfo[]>;
  login: Read<LoginInfo>;
}

export interface ClassifyOptions {
  now: Date;
  /** Credentials and access keys older than this are a finding. */
  maxAgeDays?: number;
  /** An inactive access key used within this many days is worth a reason (default 90). */
  recentUseDays?: number;
}

export interface Classification {
  status: UserStatus;
  phantom: boolean;
  evidence: Evidence[];
  reasons: string[];
}

/** One user as `bks scan` reports it (JSON `bks.scan/v1`). */
export interface ScanUser {
  userName: string;
  arn: string;
  phantom: boolean;
  service: ServiceId;
  status: UserStatus;
  reasons: string[];
  evidence: Evidence[];
  credentials: CredentialInfo[];
  accessKeys: AccessKeyInfo[];
  consolePassword: boolean | null;
  mfa: boolean | null;
  groups: string[];
  /** Set when an input (the credential report) is older than the scan. */
  dataAsOf?: string;
}

export interface AccountScan {
  accountId: string;
  name?: string;
  status: 'ok' | 'error';
  error?: string;
  users: ScanUser[];
  /** Things the user should know that did not fail the account (fallbacks, unsupported services). */
  notes?: string[];
  /** Age of the credential report, when older than the scan. */
  dataAsOf?: string;
}
