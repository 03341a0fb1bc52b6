/**
 * The machine outputs of `bks` (`-o json`, and the files it writes), as TypeScript types: the JSON
 * Schemas in this folder are generated from them (`npm run schemas`, scripts/schemas.mjs) and every
 * JSON document the commands print is validated against its schema in the tests.
 */
import type { BatchEntry } from '../src/cli/decode-key';
import type { CheckResult } from '../src/cli/scp';
import type { TimelineJson } from '../src/cli/timeline';
import type { CoverageReport } from '../src/coverage/types';
import type { BuildResult } from '../src/detect/build-rules';
import type { EventBridgeExport } from '../src/detect/export';
import type { HuntResult } from '../src/detect/hunt';
import type { Rule } from '../src/detect/rules';
import type { ScanResult } from '../src/inventory/scan';
import type { DecodedKey } from '../src/keys/decode';
import type { FindKeysResult } from '../src/keys/find';
import type { PolicyDocument } from '../src/policy/evaluate';
import type { ProofLine, ScpEntry, ScpRequest } from '../src/policy/scps';
import type { ComplianceReport } from '../src/report/compliance';
import type { ReportJson } from '../src/report/render';
import type { CleanupRunResult } from '../src/response/cleanup-run';
import type { RestoreRunResult } from '../src/response/restore-run';
import type { RevokeRunResult } from '../src/response/revoke-run';
import type { SelftestReport } from '../src/selftest/types';

export type ScanOutput = { schema: 'bks.scan/v1' } & ScanResult;
export type DecodeKeyOutput =
  | ({ schema: 'bks.decode-key/v1' } & DecodedKey)
  | { schema: 'bks.decode-key/v1'; keys: BatchEntry[] };
export type FindKeysOutput = { schema: 'bks.find-keys/v1' } & FindKeysResult;
export type HuntOutput = { schema: 'bks.hunt/v1' } & HuntResult;
export type TimelineOutput = { schema: 'bks.timeline/v1' } & TimelineJson;
export type ReportOutput = { schema: 'bks.report/v1' } & ReportJson;
export type ComplianceOutput = ComplianceReport;
export type CoverageOutput = CoverageReport;
export type SelftestOutput = SelftestReport;
export type EventBridgeExportOutput = { schema: 'bks.detections.eventbridge/v1' } & EventBridgeExport;
export type RevokeKeyOutput = { schema: 'bks.revoke-key/v1'; record: string | null } & Pick<
  RevokeRunResult,
  'target' | 'kind' | 'accountId' | 'outcome' | 'signer' | 'actions'
>;
export type RestoreOutput = { schema: 'bks.restore/v1'; record: string | null } & Pick<
  RestoreRunResult,
  'source' | 'kind' | 'accountId' | 'outcome' | 'actions'
>;
export type CleanupOutput = { schema: 'bks.cleanup/v1'; record: string | null } & Pick<
  CleanupRunResult,
  'accountId' | 'outcome' | 'planned' | 'deleted' | 'skipped' | 'failed'
>;
export type DetectionsListOutput = { schema: 'bks.detections/v1'; rules: Omit<Rule, 'samples'>[] };
export type DetectionsBuildOutput = { schema: 'bks.detections-build/v1' } & BuildResult;
export type ScpListOutput = {
  schema: 'bks.scp-list/v1';
  policies: {
    name: string;
    title: string;
    description: string;
    parameters: ScpEntry['parameters'];
    characters: number;
    samples: { mustDeny: number; mustAllow: number; knownGaps: number };
  }[];
};
export type ScpShowOutput = {
  schema: 'bks.scp-show/v1';
  name: string;
  title: string;
  description: string;
  characters: number;
  limit: number;
  policy: PolicyDocument;
  content: string;
  proof: {
    expected: ProofLine['expected'];
    name: string;
    action: string;
    resource: ScpRequest['resource'];
    context: NonNullable<ScpRequest['context']>;
    denied: boolean;
    ok: boolean;
    reason?: string;
  }[];
};
export type ScpCheckOutput = { schema: 'bks.scp-check/v1' } & CheckResult;
