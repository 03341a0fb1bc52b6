/**
 * `bks scp list | show NAME | check`: the service control policies of `scps/`, ready to deploy,
 * and where in an organization each control is in force. Flags and rendering only: the catalog
 * lives in src/policy/scps.ts, the organization walk and its verdicts in src/policy/check.ts.
 */
import { Command } from 'commander';
import { describeAwsError } from '../aws';
import { AwsFailure, UsageError } from '../errors';
import {
  type AccountVerdict,
  type CollectResult,
  type ControlVerdict,
  checkOrganization,
  collectOrganization,
  type ScpCheckReport,
} from '../policy/check';
import {
  describeScp,
  loadScpCatalog,
  minifyPolicy,
  parseSelftestRole,
  proveScp,
  renderScp,
  SCP_MAX_CHARS,
  type ScpEntry,
  type ScpOptions,
} from '../policy/scps';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  parseIntFlag,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';
import { withAws } from './with-aws';

const LIST_FORMATS = ['table', 'json'] as const;
const SHOW_FORMATS = ['policy', 'json', 'table'] as const;

/** The deployable controls (negative examples are documentation, never offered). */
export function deployableScps(): ScpEntry[] {
  return loadScpCatalog().filter((e) => !e.negativeExample);
}

/** The control named, or a usage error listing the valid names. */
export function scpByName(catalog: readonly ScpEntry[], name: string): ScpEntry {
  const entry = catalog.find((e) => e.name === name);
  if (!entry) {
    throw new UsageError(`unknown SCP "${name}"; valid names: ${catalog.map((e) => e.name).join(', ')}`);
  }
  return entry;
}

export function register(program: Command, run: RunAction): void {
  const scp = new Command('scp').description(
    'service control policies that block, limit and contain API keys (list, show, check)',
  );
  scp.addCommand(listCommand(run));
  scp.addCommand(showCommand(run));
  scp.addCommand(checkCommand(run));
  program.addCommand(scp);
}

// ---------------------------------------------------------------------------------------------
// bks scp list

function listCommand(run: RunAction): Command {
  const list = new Command('list').description('list the SCPs with what each one denies');
  return commonAction(
    list,
    { formats: LIST_FORMATS },
    run,
    async (_opts: CommonOptions, ctx: CommandContext) => {
      const policies = deployableScps().map((e) => ({
        name: e.name,
        title: e.title,
        description: describeScp(e),
        parameters: e.parameters,
        characters: minifyPolicy(renderScp(e)).length,
        samples: {
          mustDeny: e.mustDeny.length,
          mustAllow: e.mustAllow.length,
          knownGaps: e.knownGaps.length,
        },
      }));
      emit(
        { policies },
        {
          json: (r) => renderJson('bks.scp-list/v1', r),
          table: (r) =>
            renderTable(
              ['NAME', 'CHARS', 'PARAMETERS', 'DESCRIPTION'],
              r.policies.map((p) => [
                p.name,
                String(p.characters),
                Object.entries(p.parameters)
                  .map(
                    ([k, v]) =>
                      `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} N (default ${v.default})`,
                  )
                  .join(' ') || '-',
                p.description,
              ]),
            ),
        },
        ctx,
      );
      return EXIT.OK;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// bks scp show

function showCommand(run: RunAction): Command {
  const show = new Command('show')
    .argument('<name>', 'SCP name (see `bks scp list`)')
    .description(
      'print an SCP: minified JSON for `aws organizations create-policy --content` (default), the JSON document, or its proof table',
    )
    .option('--max-age-days <n>', 'maximum API key age in days, for api-key-max-age (1..36600, default 90)')
    .option(
      '--selftest-role <arn>',
      'exempt this one role (and the canaries it makes) for bks selftest, via aws:PrincipalArn',
    );
  return commonAction(
    show,
    { formats: SHOW_FORMATS },
    run,
    async (
      name: string,
      opts: CommonOptions & { maxAgeDays?: string; selftestRole?: string },
      ctx: CommandContext,
    ) => {
      const entry = scpByName(deployableScps(), name);
      const params = { maxAgeDays: parseIntFlag('--max-age-days', opts.maxAgeDays, 1, 36600) };
      if (params.maxAgeDays !== undefined && !('maxAgeDays' in entry.parameters)) {
        throw new UsageError(
          `--max-age-days does not apply to ${entry.name} (only to SCPs with a maximum age)`,
        );
      }
      const scpOpts = selftestOption(entry, opts.selftestRole);
      const policy = renderScp(entry, params, scpOpts);
      const content = minifyPolicy(policy);
      const proof = proveScp(entry, params, scpOpts);
      const result = {
        name: entry.name,
        title: entry.title,
        description: describeScp(entry, params),
        characters: content.length,
        limit: SCP_MAX_CHARS,
        policy,
        content,
        proof: proof.map((l) => ({
          expected: l.expected,
          name: l.request.name,
          action: l.request.action,
          resource: l.request.resource,
          context: l.request.context ?? {},
          denied: l.denied,
          ok: l.ok,
          ...(l.request.reason ? { reason: l.request.reason } : {}),
        })),
      };
      emit(
        result,
        {
          policy: (r) => r.content,
          json: (r) => renderJson('bks.scp-show/v1', r),
          table: (r, c) =>
            [
              `${c.style.bold(r.name)}: ${r.title} (${r.characters}/${r.limit} characters)`,
              r.description,
              '',
              renderTable(
                ['EXPECT', 'RESULT', 'REQUEST', 'ACTION', 'CONTEXT'],
                r.proof.map((l) => [
                  l.expected === 'gap' ? 'gap' : l.expected,
                  (l.ok ? c.style.green : c.style.red)(
                    `${l.denied ? 'denied' : 'allowed'}${l.ok ? '' : ' (FAIL)'}`,
                  ),
                  l.name,
                  l.action,
                  Object.entries(l.context)
                    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`)
                    .join(' ') || '-',
                ]),
              ),
            ].join('\n'),
        },
        ctx,
      );
      return proof.every((l) => l.ok) ? EXIT.OK : EXIT.FAILURE;
    },
  );
}

/** `--selftest-role`: one role ARN, for an SCP that denies what bks selftest does. */
function selftestOption(entry: ScpEntry, role: string | undefined): ScpOptions {
  if (role === undefined) return {};
  if (!entry.selftest) {
    throw new UsageError(
      `--selftest-role does not apply to ${entry.name}: it denies nothing bks selftest does`,
    );
  }
  try {
    return { selftestRole: parseSelftestRole(role) };
  } catch (err) {
    throw new UsageError(`--selftest-role: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// bks scp check

const CHECK_FORMATS = ['table', 'json', 'markdown'] as const;

interface CheckOptions extends CommonOptions {
  controls?: string;
  maxAgeDays?: string;
  failOn?: string;
  concurrency?: string;
}

export type CheckResult = ScpCheckReport & {
  generatedAt: string;
  apiCalls: CollectResult['apiCalls'];
  errors: CollectResult['errors'];
};

function checkCommand(run: RunAction): Command {
  const cmd = new Command('check')
    .description(
      'report, per account of the organization, which controls the attached SCPs actually enforce (run in the management account)',
    )
    .option(
      '--controls <names>',
      'comma-separated controls to check, as `bks scp list` or the table columns name them (default: all)',
    )
    .option('--max-age-days <n>', 'the maximum key age api-key-max-age must enforce (1..36600, default 90)')
    .option(
      '--fail-on <level>',
      'exit 1 when an account lacks a control: missing (partial, conditional and unknown count too)',
    )
    .option('--concurrency <n>', 'Organizations calls in flight at once (1..16, default 4)');
  return commonAction(
    cmd,
    { formats: CHECK_FORMATS, aws: true },
    run,
    async (opts: CheckOptions, ctx: CommandContext) => {
      if (opts.failOn !== undefined && opts.failOn !== 'missing') {
        throw new UsageError(`--fail-on must be missing (got "${opts.failOn}")`);
      }
      const catalog = deployableScps();
      const controls =
        opts.controls === undefined
          ? catalog
          : [
              ...new Set(
                opts.controls
                  .split(',')
                  .map((n) => n.trim())
                  .filter(Boolean),
              ),
            ].map((n) =>
              // The table's columns drop the `deny-` prefix: accept what the user read there.
              catalog.some((e) => e.name === n) || !catalog.some((e) => e.name === `deny-${n}`)
                ? scpByName(catalog, n)
                : scpByName(catalog, `deny-${n}`),
            );
      if (controls.length === 0) throw new UsageError('--controls names no control');
      const maxAgeDays = parseIntFlag('--max-age-days', opts.maxAgeDays, 1, 36600);
      const concurrency = parseIntFlag('--concurrency', opts.concurrency, 1, 16) ?? 4;

      ctx.log('reading the organization…');
      const collected: CollectResult = await withAws(ctx, async (aws) => {
        try {
          return await collectOrganization(aws.organizations(), { concurrency });
        } catch (err) {
          const name = (err as { name?: string }).name;
          if (name === 'AWSOrganizationsNotInUseException') {
            throw new AwsFailure('this account is not a member of an organization: no SCP can apply to it');
          }
          throw new AwsFailure(`cannot read the organization: ${describeAwsError(err)}`);
        }
      });
      const report = checkOrganization(collected.snapshot, controls, { maxAgeDays }, catalog);
      const result: CheckResult = {
        generatedAt: new Date().toISOString(),
        ...report,
        apiCalls: collected.apiCalls,
        errors: collected.errors,
      };
      emit(
        result,
        {
          json: (r) => renderJson('bks.scp-check/v1', r),
          table: renderCheckTable,
          markdown: renderCheckMarkdown,
        },
        ctx,
      );
      for (const e of collected.errors) ctx.warn(`${e.operation} ${e.target} failed: ${e.message}`);
      if (collected.errors.length > 0) return EXIT.FAILURE;
      if (opts.failOn === 'missing' && report.summary.accountsWithGaps > 0) return EXIT.FINDINGS;
      return EXIT.OK;
    },
  );
}

const label = (control: string) => control.replace(/^deny-/, '');

function cell(v: ControlVerdict): string {
  switch (v.status) {
    case 'in-force':
      return v.implicitOnly ? 'yes (implicit)' : 'yes';
    case 'not-covered':
      return 'n/a (mgmt)';
    default:
      return v.status.toUpperCase();
  }
}

function pathOf(a: AccountVerdict): string {
  return a.path
    .slice(0, -1)
    .map((p) => p.name)
    .join('/');
}

/** One line per control that is partial, unknown or missing for a reason, and per collateral block. */
function details(r: CheckResult): string[] {
  const lines: string[] = [];
  for (const a of r.accounts) {
    if (a.management) {
      lines.push(
        `${a.accountId} (${a.name}): management account: SCPs never apply to it; guard it by other means`,
      );
      continue;
    }
    for (const v of a.controls) {
      if (v.status === 'partial') {
        const why = v.reason ? ` (${v.reason})` : '';
        lines.push(`${a.accountId} ${v.control}: PARTIAL, lets through: ${v.notDenied.join('; ')}${why}`);
      } else if (v.status === 'conditional') {
        lines.push(
          `${a.accountId} ${v.control}: CONDITIONAL, ${v.reason ?? 'denied only under unknown conditions'}`,
        );
      } else if (v.status === 'missing' && v.reason) {
        lines.push(`${a.accountId} ${v.control}: MISSING (${v.reason})`);
      } else if (v.status === 'unknown') {
        lines.push(`${a.accountId} ${v.control}: UNKNOWN: ${v.reason ?? 'not evaluated'}`);
      } else if (v.status === 'in-force' && v.implicitOnly) {
        lines.push(`${a.accountId} ${v.control}: in force only because ${v.deniedBy.join(', ')}`);
      }
    }
    for (const b of a.blocksLegitimate) {
      lines.push(`${a.accountId} also blocks legitimate use: ${b.request} (${b.by})`);
    }
  }
  return lines;
}

function headline(r: CheckResult): string {
  const age = r.params.maxAgeDays === undefined ? '' : `, maximum key age ${r.params.maxAgeDays} days`;
  return `Organization ${r.organizationId ?? '?'} (management account ${r.managementAccountId ?? '?'})${age}: ${r.summary.accounts} accounts, ${r.summary.accountsWithGaps} with gaps${r.scpEnabled ? '' : ' (SCPs are not enabled)'}`;
}

function renderCheckTable(r: CheckResult, ctx: CommandContext): string {
  const colour = (v: ControlVerdict, text: string) =>
    v.status === 'in-force'
      ? ctx.style.green(text)
      : v.status === 'not-covered' || v.status === 'unknown' || v.status === 'conditional'
        ? ctx.style.yellow(text)
        : ctx.style.red(text);
  const table = renderTable(
    ['ACCOUNT', 'NAME', 'PATH', ...r.controls.map((c) => label(c.name))],
    r.accounts.map((a) => [a.accountId, a.name, pathOf(a), ...a.controls.map((v) => colour(v, cell(v)))]),
  );
  const notes = details(r);
  return [headline(r), '', table, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

function renderCheckMarkdown(r: CheckResult): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  const header = ['Account', 'Name', 'Path', ...r.controls.map((c) => `\`${label(c.name)}\``)];
  const rows = r.accounts.map((a) => [a.accountId, esc(a.name), esc(pathOf(a)), ...a.controls.map(cell)]);
  const lines = [
    '# SCP coverage of API-key controls',
    '',
    headline(r),
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  const notes = details(r);
  if (notes.length) lines.push('', '## Details', '', ...notes.map((n) => `- ${esc(n)}`));
  lines.push('', '## Controls', '', ...r.controls.map((c) => `- \`${c.name}\`: ${c.title}`));
  return lines.join('\n');
}
