/**
 * The SCP controls of `bks scp check` as coverage rows (region `global`): the organization's
 * policies read once from the management account, each control's verdict per account.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { describeAwsError, errorCode } from '../aws';
import { type AccountVerdict, type ControlVerdict, checkOrganization, collectOrganization } from '../policy/check';
import { loadScpCatalog } from '../policy/scps';
import type { CoverageCheck, CoverageStatus } from './types';

const STATUS: Record<ControlVerdict['status'], CoverageStatus> = {
  'in-force': 'ok',
  partial: 'partial',
  conditional: 'partial',
  missing: 'missing',
  unknown: 'unknown',
  'not-covered': 'not-checkable',
};

export type ScpReading =
  | { verdicts: Map<string, AccountVerdict> }
  | { error: string; controls: string[]; notInOrganization: boolean };

/** Reads the organization's SCPs (from the management account) and decides every control. */
export async function readScpVerdicts(client: OrganizationsClient): Promise<ScpReading> {
  const catalog = loadScpCatalog().filter((e) => !e.negativeExample);
  try {
    const collected = await collectOrganization(client, { concurrency: 4 });
    const report = checkOrganization(collected.snapshot, catalog, {}, catalog);
    return { verdicts: new Map(report.accounts.map((a) => [a.accountId, a])) };
  } catch (err) {
    return {
      error: describeAwsError(err),
      controls: catalog.map((e) => e.name),
      notInOrganization: errorCode(err) === 'AWSOrganizationsNotInUseException',
    };
  }
}

function fixFor(control: string): string {
  return `attach the ${control} SCP (bks scp show ${control}; deploy with the ScpGuard construct) to the account or an OU above it`;
}

export function scpChecks(accountId: string, reading: ScpReading): CoverageCheck[] {
  if ('error' in reading && reading.notInOrganization) {
    // Not a read that failed: without an organization no SCP can apply.
    return reading.controls.map((control) => ({
      region: 'global',
      control: `scp.${control}`,
      status: 'missing',
      detail: 'the account is not in an organization: no SCP can apply to it',
      fix: `join the account to an AWS Organization and attach the ${control} SCP`,
    }));
  }
  if ('error' in reading) {
    return reading.controls.map((control) => ({
      region: 'global',
      control: `scp.${control}`,
      status: 'unknown',
      detail: `cannot read the organization's SCPs: ${reading.error} (run from the management account)`,
      fix: 'run bks coverage with credentials of the management account (or a role with organizations:Describe*/List* there)',
    }));
  }
  const verdict = reading.verdicts.get(accountId);
  if (!verdict) {
    return [
      {
        region: 'global',
        control: 'scp',
        status: 'unknown',
        detail: `account ${accountId} is not in the organization that was read`,
        fix: 'run from the management account of the organization this account belongs to',
      },
    ];
  }
  return verdict.controls.map((v) => {
    const status = STATUS[v.status];
    const why = v.reason ? ` (${v.reason})` : '';
    const detail =
      status === 'ok'
        ? `in force: denied by ${v.deniedBy.join(', ') || 'an SCP'}${v.implicitOnly ? ' (only implicitly: no Allow)' : ''}`
        : v.status === 'partial'
          ? `lets through: ${v.notDenied.join('; ')}${why}`
          : v.status === 'not-covered'
            ? 'SCPs never apply to the management account: guard it by other means'
            : `${v.status}${why}`;
    return { region: 'global', control: `scp.${v.control}`, status, detail, fix: status === 'ok' || status === 'not-checkable' ? '' : fixFor(v.control) };
  });
}
