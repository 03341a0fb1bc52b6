/**
 * `bks scp list | show NAME | check`: the service control policies of `scps/`, ready to deploy,
 * and where in an organization each control is in force. Flags and rendering only: the catalog
 * lives in src/policy/scps.ts, the organization walk and its verdicts in src/policy/check.ts.
 */
import { Command } from 'commander';
import { UsageError } from '../errors';
import {
  describeScp,
  loadScpCatalog,
  minifyPolicy,
  proveScp,
  renderScp,
  SCP_MAX_CHARS,
  type ScpEntry,
} from '../policy/scps';
import {
  addCommonOptions,
  type CommonOptions,
  EXIT,
  emit,
  makeContext,
  parseIntFlag,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';

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

  const list = addCommonOptions(new Command('list').description('list the SCPs with what each one denies'), {
    formats: LIST_FORMATS,
  });
  list.action(
    run(async (opts: CommonOptions) => {
      const ctx = makeContext(opts, { formats: LIST_FORMATS });
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
    }),
  );

  const show = addCommonOptions(
    new Command('show')
      .argument('<name>', 'SCP name (see `bks scp list`)')
      .description(
        'print an SCP: minified JSON for `aws organizations create-policy --content` (default), the JSON document, or its proof table',
      )
      .option(
        '--max-age-days <n>',
        'maximum API key age in days, for api-key-max-age (1..36600, default 90)',
      ),
    { formats: SHOW_FORMATS },
  );
  show.action(
    run(async (name: string, opts: CommonOptions & { maxAgeDays?: string }) => {
      const ctx = makeContext(opts, { formats: SHOW_FORMATS });
      const entry = scpByName(deployableScps(), name);
      const params = { maxAgeDays: parseIntFlag('--max-age-days', opts.maxAgeDays, 1, 36600) };
      if (params.maxAgeDays !== undefined && !('maxAgeDays' in entry.parameters)) {
        throw new UsageError(
          `--max-age-days does not apply to ${entry.name} (only to SCPs with a maximum age)`,
        );
      }
      const policy = renderScp(entry, params);
      const content = minifyPolicy(policy);
      const proof = proveScp(entry, params);
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
    }),
  );

  scp.addCommand(list);
  scp.addCommand(show);
  program.addCommand(scp);
}
