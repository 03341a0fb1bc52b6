/** Workflow step 6: revoke (or contain) the incident's key with src/response, then verify. */
import type { Incident } from '../src/pipeline/incident';
import { type ApprovedScope, RevokeError, revokeIncident } from '../src/pipeline/respond';
import type { RecordTarget } from '../src/response/record';
import { recordS3Client, s3RecordDestination } from '../src/response/record-s3';
import { baseAws, responderAws } from './lib/aws';
import { begin, logger } from './lib/runtime';

/** The approval's scope as the workflow carries it; anything malformed is refused, not ignored. */
function approvedScope(a: { scope?: unknown; credentialIds?: unknown } | undefined): ApprovedScope {
  if (!a || a.scope === undefined) return {};
  if (a.scope === 'user') return { scope: 'user' };
  const ids = a.credentialIds;
  if (a.scope === 'credentials' && Array.isArray(ids) && ids.every((x) => typeof x === 'string')) {
    return { scope: 'credentials', credentialIds: ids as string[] };
  }
  throw new RevokeError('the approval carries a malformed scope: nothing revoked');
}

/**
 * Where the revocation's record goes: the record bucket (`BKS_RECORD_BUCKET`, durable, versioned),
 * under the execution's name and indexed by the finding id, so `bks restore --execution NAME` /
 * `--finding ID` find it. `BKS_RECORD_DIR` (a directory) is for local runs only. Neither: nothing is
 * revoked — a revocation without a record could not be undone.
 */
function recordTarget(event: RevokeEvent): RecordTarget {
  const bucket = process.env['BKS_RECORD_BUCKET'];
  if (bucket) {
    // The execution name (from the workflow); an older definition without it: the incident id.
    const execution = event.execution ?? event.incident.incidentId.replace(/[^\w-]/g, '_').slice(0, 80);
    const findingId = typeof event.state?.finding?.id === 'string' ? event.state.finding.id : undefined;
    return s3RecordDestination(recordS3Client(baseAws()), bucket, {
      execution,
      ...(findingId ? { findingId } : {}),
    });
  }
  const dir = process.env['BKS_RECORD_DIR'];
  if (dir) return dir;
  throw new RevokeError('no record store is configured (BKS_RECORD_BUCKET): nothing revoked');
}

interface RevokeEvent {
  mode: 'revoke' | 'contain';
  incident: Incident;
  /** `$$.Execution.Name`: the records' key in the bucket. */
  execution?: string;
  /** The workflow state: an analyst's approval may name the credentials it covers; the finding's id. */
  state?: { approval?: { scope?: unknown; credentialIds?: unknown }; finding?: { id?: unknown } };
}

export async function handler(event: RevokeEvent) {
  begin('revoke', event.incident.incidentId);
  const records = recordTarget(event);
  const aws = await responderAws(event.incident.account);
  const result = await revokeIncident(aws, event.incident, event.mode, {
    recordDir: records,
    approved: approvedScope(event.state?.approval),
  });
  logger.info('revoked', {
    mode: result.mode,
    actions: result.actions,
    verified: result.verified,
    records: result.records ?? [],
  });
  return result;
}
