/**
 * `npm run demo`: a narrated incident against the embedded simulated AWS account. Every step is the
 * real command a user would type, printed before it runs, executed by the real CLI in-process against
 * `bks-sim` over HTTP. Nothing here knows more than a user would: the demo only types commands and,
 * for the attacker's part, sends the HTTP requests an attacker would send.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analyst } from '../local/approval';
import { LivePipeline } from '../local/pipeline';
import type { SimState } from '../sim/scenario';
import type { SimHandle } from '../sim/server';
import { shiftScenarioToNow } from '../sim/timeshift';
import { trailLoggedRecords } from '../sim/trails';
import { main as bks } from '../src/cli/main';
import { encodeLongTermKey, longTermAlias } from '../src/keys';
import { serviceBySscName } from '../src/services';
import { demoAwsConfig } from './aws-config';

export interface DemoOptions {
  /** Pause for Enter between steps (only when stdin is a terminal). */
  step?: boolean;
  /** No pauses at all (tests). */
  fast?: boolean;
  /** Keep the working directory (reports, records) instead of deleting it at the end. */
  keep?: boolean;
  out?: NodeJS.WritableStream;
}

const SCENARIO = fileURLToPath(new URL('../sim/scenarios/demo.json', import.meta.url));
/** The phantom whose key leaks in the story (prod account). */
const LEAKED_USER = 'BedrockAPIKey-q7xk';
const PROD = '222222222222';
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const ATTACK_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
/** AWS profiles the demo's responder has: member accounts through OrganizationAccountAccessRole. */
const PROFILES: Record<string, string> = { 'acme-prod': PROD, 'acme-dev': '333333333333' };

interface Step {
  title: string;
  why: string;
  run(d: Demo): Promise<void>;
}

class Demo {
  readonly out: NodeJS.WritableStream;
  readonly work: string;
  sim!: SimHandle;
  /** bks-sim --pipeline: the simulated organization with the detection pipeline deployed into it. */
  pipeline!: LivePipeline;
  leakedKey = '';
  siblingKey: string | undefined;
  leakedKeyFile = '';
  exitCodes: { command: string; code: number }[] = [];
  /** When the attacker started (sim clock = real clock: the scenario is shifted to now). */
  attackStartedAt = '';

  constructor(readonly opts: DemoOptions) {
    this.out = opts.out ?? process.stdout;
    this.work = mkdtempSync(join(tmpdir(), 'bks-demo-'));
  }

  say(text = ''): void {
    this.out.write(`${text}\n`);
  }

  /** Prints a command as a user would type it, then runs the real CLI with it. */
  async bks(shown: string, argv: string[], note?: (code: number) => string | undefined): Promise<number> {
    this.say(`\n$ bks ${shown}`);
    const code = await bks(argv);
    this.exitCodes.push({ command: `bks ${shown}`, code });
    const why = note?.(code);
    if (code !== 0) this.say(`(exit ${code}${why ? `: ${why}` : ''})`);
    return code;
  }

  /** What the attacker does with the key: a plain HTTPS call with the key as a bearer token. */
  async attackerInvoke(key: string, region: string, shownAs = '$LEAKED_KEY'): Promise<number> {
    this.say(
      `$ curl -s -X POST https://bedrock-runtime.${region}.amazonaws.com/model/${MODEL}/invoke -H "Authorization: Bearer ${shownAs}" -d '{"messages":[…]}'`,
    );
    const res = await fetch(`${this.sim.url}/model/${encodeURIComponent(MODEL)}/invoke`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-bks-sim-region': region,
        'user-agent': 'python-requests/2.31.0',
      },
      body: JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Write a poem about free compute.' }],
      }),
    });
    const body = (await res.json().catch(() => ({}))) as { message?: string; Message?: string };
    const verdict = res.ok ? 'model answered' : `${body.message ?? body.Message ?? 'refused'}`;
    this.say(`  → HTTP ${res.status} ${verdict}`);
    return res.status;
  }

  /** Polls until `probe` answers (the pipeline works asynchronously, as on AWS). */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`no ${what} within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Paths as the user sees them: relative to the demo's working directory (printed at the start). */
  path(p: string): string {
    return relative(this.work, p) || '.';
  }
}

function keyOf(d: Demo, userName: string, index: number): string | undefined {
  const account = d.sim.state.accounts.find((a) => a.id === PROD);
  const user = account?.users.find((u) => u.name === userName);
  const creds = user?.serviceCredentials.filter((c) => c.service === 'bedrock.amazonaws.com') ?? [];
  const cred = creds[index];
  const service = serviceBySscName('bedrock.amazonaws.com');
  if (!cred || !service || !cred.secret) return undefined;
  return encodeLongTermKey(service, longTermAlias(userName, PROD, index), cred.secret);
}

function credentialIdOf(d: Demo, userName: string, index: number): string {
  const account = d.sim.state.accounts.find((a) => a.id === PROD);
  const user = account?.users.find((u) => u.name === userName);
  const cred = user?.serviceCredentials.filter((c) => c.service === 'bedrock.amazonaws.com')[index];
  if (!cred) throw new Error(`the demo scenario has no key ${index} for ${userName}`);
  return cred.id;
}

const STEPS: Step[] = [
  {
    title: 'Discovery: every API key and phantom user in the organization',
    why: 'Each Bedrock API key made in the console created an IAM user nobody asked for. Which ones exist, and which are dangerous?',
    async run(d) {
      await d.bks('scan --org', ['scan', '--org'], (code) =>
        code === 3
          ? 'one account could not be read; the others are complete — nothing is guessed'
          : undefined,
      );
    },
  },
  {
    title: 'A key "found on GitHub": find it, decode it offline',
    why: 'A scanner alert points at a public gist. What is this key, whose is it, and is it still valid?',
    async run(d) {
      const key = keyOf(d, LEAKED_USER, 0);
      if (!key) throw new Error(`the demo scenario has no key for ${LEAKED_USER}`);
      d.leakedKey = key;
      d.siblingKey = keyOf(d, LEAKED_USER, 1);
      const gist = join(d.work, 'gist');
      mkdirSync(gist, { recursive: true });
      writeFileSync(
        join(gist, 'bedrock_chat.py'),
        [
          'import os, boto3',
          '',
          '# TODO: move to a secret store before pushing',
          `os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "${key}"`,
          'client = boto3.client("bedrock-runtime", region_name="us-east-1")',
          '',
        ].join('\n'),
      );
      d.leakedKeyFile = join(d.work, 'leaked-key.txt');
      writeFileSync(d.leakedKeyFile, `${key}\n`, { mode: 0o600 });
      await d.bks(`find-keys ${d.path(gist)}`, ['find-keys', gist], (code) =>
        code === 1 ? 'keys found — exit 1 is what a CI job or pre-commit hook keys on' : undefined,
      );
      await d.bks('decode-key "$(cat leaked-key.txt)"', ['decode-key', key]);
    },
  },
  {
    title: 'The attacker uses the key, in several regions',
    why: 'LLMjacking: the key is a bearer token. Anyone holding it can invoke models, billed to the account.',
    async run(d) {
      // A minute of slack: the simulator's clock and CloudTrail's whole-second times may trail ours.
      d.attackStartedAt = new Date(Date.now() - 60_000).toISOString();
      for (const region of ATTACK_REGIONS) await d.attackerInvoke(d.leakedKey, region);
      d.say('  (each call is a CloudTrail record in the prod account: the pipeline sees it now)');
    },
  },
  {
    title: 'Detection and response: the pipeline reacts',
    why: "Each call is a CloudTrail record; the pipeline's EventBridge rules (deployed in every account and region) forward it to the central bus, which starts the Step Functions workflow: a Security Hub finding, then a request to the SOC — the workflow waits for a human.",
    async run(d) {
      // The attacker's calls, as CloudTrail recorded them in the prod account.
      const state = (await (await fetch(`${d.sim.url}/_sim/state`)).json()) as {
        accounts: { id: string; events: Record<string, unknown>[] }[];
      };
      // The whole attack window, not just the last minutes: the prod account's CloudTrail log files
      // from the leaked key's first use to now — what its trails logged (the organization trail has
      // no data-event selector, so the attacker's bedrock-mantle inference calls are not in them).
      const records = trailLoggedRecords(state as unknown as SimState, PROD).sort((a, b) =>
        String(a['eventTime']).localeCompare(String(b['eventTime'])),
      );
      const trail = join(d.work, 'cloudtrail');
      mkdirSync(trail, { recursive: true });
      writeFileSync(join(trail, 'prod-30-days.json'), JSON.stringify({ Records: records }));
      await d.bks(
        `hunt ${d.path(trail)} --min-severity high`,
        ['hunt', trail, '--min-severity', 'high'],
        (code) => (code === 1 ? 'matches at or above --fail-on' : undefined),
      );
      // In real time: the pipeline deployed in bks-sim already saw the attacker's calls.
      // What the SOC receives: one approval request per incident the waiting workflows opened; the
      // analyst takes the most severe one first.
      await d.sim.deliveriesSettled();
      await d.waitFor('the approval requests', async () =>
        d.pipeline.traces.length > 0 && d.pipeline.traces.every((t) => t.taskToken) ? true : undefined,
      );
      const notes = (await (await fetch(`${d.sim.url}/_sim/notifications`)).json()) as Array<{
        subject?: string;
        message: string;
      }>;
      const raised = (await (await fetch(`${d.sim.url}/_sim/findings`)).json()) as {
        findings: Array<{ GeneratorId?: string; Severity?: { Label?: string } }>;
      };
      const rank = (subject = '') => {
        const ruleId = /approve revocation\? (\S+)/.exec(subject)?.[1] ?? '';
        const f = raised.findings.find((x) => x.GeneratorId === `bks/pipeline/${ruleId}`);
        return ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].indexOf(f?.Severity?.Label ?? '');
      };
      const ask = notes
        .filter((n) => n.message.includes(LEAKED_USER) && n.message.includes('/_pipeline/approve'))
        .sort((a, b) => rank(b.subject) - rank(a.subject))[0];
      if (!ask) throw new Error('no approval request reached the SOC');
      const findings = (await (await fetch(`${d.sim.url}/_sim/findings`)).json()) as {
        findings: Array<{ Title?: string; Severity?: { Label?: string }; Workflow?: { Status?: string } }>;
      };
      for (const f of findings.findings) d.say(`  Security Hub finding: [${f.Severity?.Label}] ${f.Title}`);
      d.say(`  SOC notification (SNS): "${ask.subject ?? ''}", with a signed single-use approval link`);
      const link = /https?:\/\/\S+\/_pipeline\/approve\?\S+/.exec(ask.message)?.[0];
      if (!link) throw new Error('the approval request carries no link');
      const ruleId = /approve revocation\? (\S+)/.exec(ask.subject ?? '')?.[1] ?? '';
      const waiting = d.pipeline.traces.find((t) => t.name.startsWith(`${ruleId}-`) && t.taskToken);
      d.say(`  the workflow (${ruleId}) is waiting for the analyst's decision`);
      // The analyst opens the link and approves, for the leaked key only: CloudTrail does not say
      // which of the user's keys made the calls; the analyst, who decoded the leaked key, picks its
      // credential (by id) among the user's keys the page lists.
      // The analyst signs in at the organization's identity provider (here bks-sim's test provider)
      // when opening the link; the page shows what they decide, with the user's keys as choices.
      const analyst = new Analyst(d.sim.url);
      await analyst.signIn({ sub: 'soc-analyst@acme.example', name: 'SOC Analyst', groups: ['soc'] });
      const page = await analyst.request(link);
      if (page.status !== 200) throw new Error(`the approval page answered ${page.status}`);
      const post = await analyst.submit(page, {
        choice: `credential:${credentialIdOf(d, LEAKED_USER, 0)}`,
        reason: 'the key from the public gist; the ML team still uses the other one',
      });
      if (post.status !== 200) throw new Error(`the approval answered ${post.status}`);
      d.say(
        '  the analyst signs in at the identity provider (OIDC), reads the page, and chooses "this key only"',
      );
      d.say(
        `  the analyst approves through the link, for the leaked key only (${LEAKED_USER}-at-${PROD}), not the team's other key`,
      );
      const run = waiting ? await d.pipeline.done(waiting.executionArn) : undefined;
      const output = run?.output ? (JSON.parse(run.output) as Record<string, unknown>) : {};
      const revocation = output['revocation'] as { actions?: string[]; verified?: boolean } | undefined;
      d.say(
        `  the revocation (revoke-key's plan): the leaked key, and — ${LEAKED_USER} being a phantom — its IAM access key, a second door with the same permissions:`,
      );
      for (const a of revocation?.actions ?? []) d.say(`  revoked: ${a}`);
      if (!revocation?.verified) throw new Error('the workflow did not revoke the key');
      // The analyst's page, reloaded: what was done and its verification, as the finding's note says.
      const reported = await analyst.request(link);
      const verification = /<h2>Verification<\/h2><p>([^<]*)<\/p>/.exec(reported.html)?.[1];
      d.say(`  the approval page now reports: ${verification ?? 'UNKNOWN (no verification shown)'}`);
      const states = Object.entries(waiting?.calls ?? {})
        .map(([name, n]) => (n > 1 ? `${name}×${n}` : name))
        .join(' → ');
      d.say(`  states run: ${states} (${run?.status})`);
      const after = (await (await fetch(`${d.sim.url}/_sim/findings`)).json()) as {
        findings: Array<{ GeneratorId?: string; Workflow?: { Status?: string } }>;
      };
      const closed = after.findings.find((f) => f.GeneratorId?.endsWith(ruleId));
      d.say(
        `  finding ${closed?.Workflow?.Status ?? 'unknown'}, with a note saying who approved, why and what was done`,
      );
    },
  },
  {
    title: "Containment: the leaked key is dead, the team's other key is not",
    why: "The workflow ran bks revoke-key's own code for the approved key: the command finds nothing left to do. Every change is planned, recorded and reversible (bks restore).",
    async run(d) {
      await d.bks('revoke-key "$(cat leaked-key.txt)" --profile acme-prod -y', [
        'revoke-key',
        d.leakedKey,
        '--profile',
        'acme-prod',
        '-y',
        '--record-dir',
        join(d.work, 'bks-records'),
      ]);
      d.say('\n# the attacker tries again:');
      const after = await d.attackerInvoke(d.leakedKey, 'us-west-2');
      if (after !== 403) throw new Error(`the revoked key still works (HTTP ${after})`);
      if (d.siblingKey) {
        d.say("\n# the ML team's other key on the same user (BedrockAPIKey-q7xk+1) keeps working:");
        const sibling = await d.attackerInvoke(d.siblingKey, 'us-east-1', '$TEAM_KEY');
        if (sibling !== 200) throw new Error(`the sibling key was broken too (HTTP ${sibling})`);
      }
    },
  },
  {
    title: 'Investigation: what did the key do, everywhere?',
    why: "Every region is searched in parallel within CloudTrail's 2 requests/s; each event is tagged with the same knowledge the detection rules use.",
    async run(d) {
      await d.bks('timeline "$(cat leaked-key.txt)" --profile acme-prod --days 30 --summary', [
        'timeline',
        d.leakedKey,
        '--profile',
        'acme-prod',
        '--days',
        '30',
        '--summary',
      ]);
      const html = join(d.work, 'incident-BedrockAPIKey-q7xk.html');
      await d.bks(`report "$(cat leaked-key.txt)" --profile acme-prod -o html --out-file ${d.path(html)}`, [
        'report',
        d.leakedKey,
        '--profile',
        'acme-prod',
        '-o',
        'html',
        '--out-file',
        html,
      ]);
      d.say(
        `  → the incident report: ${d.opts.keep ? html : `${d.path(html)} (run with --keep to keep it)`}`,
      );
    },
  },
  {
    title: 'Clean-up and prevention',
    why: 'Which orphaned phantoms can go safely (fully read, nothing active), and which guardrails would have stopped this?',
    async run(d) {
      await d.bks('cleanup --profile acme-dev --dry-run', [
        'cleanup',
        '--profile',
        'acme-dev',
        '--dry-run',
        '--backup-dir',
        join(d.work, 'bks-backups'),
      ]);
      await d.bks('scp check', ['scp', 'check'], (code) =>
        code === 1 ? 'controls are missing — exit 1 is what a CI gate keys on' : undefined,
      );
    },
  },
  {
    title: 'Would we see the next one? Detection coverage',
    why: 'Detection depends on things outside the pipeline — trails and their data-event selectors, rule states, Security Hub, GuardDuty, invocation logging — and on the pipeline being deployed and healthy. What is in place in the security account? (The pipeline is deployed into the simulated account by bks-sim --pipeline, so its rows are read like any other; the gaps are real settings of the demo account.)',
    async run(d) {
      await d.bks('coverage --regions us-east-1', ['coverage', '--regions', 'us-east-1'], (code) =>
        code === 1
          ? 'gaps: every row says what was read and how to fix it; run it on a schedule (exit 1 on a gap, 3 when something could not be read)'
          : code === 3
            ? 'something could not be read: unknown, never ok'
            : undefined,
      );
    },
  },
  {
    title: 'Does the pipeline fire today? A canary, end to end',
    why: "Coverage reads the pieces; selftest proves they work together. In the security account it creates a canary phantom user, a 1-day key on it and makes one bearer call — after recording its run id in the pipeline's own table, so the workflow resolves the canary's findings itself (nobody paged, nothing revoked) — then reports each rule's latency and removes the canary.",
    async run(d) {
      const records = join(d.work, 'selftest-records');
      await d.bks(
        `selftest -y --record-dir ${d.path(records)}`,
        ['selftest', '-y', '--record-dir', records, '--timeout', '60', '--poll', '200'],
        (code) =>
          code === 1
            ? 'a rule did not fire: the table names the stage that broke'
            : 'something could not be read, or the canary could not be removed',
      );
    },
  },
];

async function pause(d: Demo): Promise<void> {
  if (!d.opts.step || !process.stdin.isTTY) return;
  d.out.write('\n[Enter] next step ');
  await new Promise<void>((resolve) => {
    process.stdin.resume();
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve();
    });
  });
}

/** Plays the demo; resolves to the process exit code (0 when every step ran as the story expects). */
export async function runDemo(opts: DemoOptions = {}): Promise<number> {
  const d = new Demo(opts);
  const saved = { ...process.env };
  try {
    // The story ends "now", whenever the demo runs, as `bks-sim --shift-to-now` does.
    const scenario = shiftScenarioToNow(JSON.parse(readFileSync(SCENARIO, 'utf8')));
    const first = (scenario as { principals?: Array<{ accessKeyId: string; secretAccessKey?: string }> })
      .principals?.[0];
    if (!first) throw new Error('the demo scenario has no principal');
    // As `bks-sim --pipeline`: the pipeline deployed into the simulated organization, its functions
    // running as the security team's principal of the management account.
    d.pipeline = new LivePipeline({
      scenario,
      principal: { accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey ?? '' },
    });
    await d.pipeline.start();
    d.sim = d.pipeline.sim;
    const admin = d.sim.state.principals[0]!;
    // The responder's own credentials (the security team's user in the management account) and a
    // profile per member account that assumes its OrganizationAccountAccessRole, as an AWS CLI user has.
    const config = join(d.work, 'aws-config');
    const credentials = join(d.work, 'aws-credentials');
    writeFileSync(
      credentials,
      `[default]\naws_access_key_id = ${admin.accessKeyId}\naws_secret_access_key = ${admin.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    writeFileSync(config, demoAwsConfig(PROFILES));
    for (const k of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
      delete process.env[k];
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: d.sim.url,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      BKS_RECORD_DIR: join(d.work, 'bks-records'),
      NO_COLOR: process.env.NO_COLOR ?? (process.stdout.isTTY ? '' : '1'),
    });
    d.say('bks demo — an LLMjacking incident, end to end, against a simulated AWS organization');
    d.say(
      `bks-sim --pipeline (the simulated organization, with the detection pipeline deployed in it) is listening on ${d.sim.url}; every command below talks to it over HTTP:`,
    );
    d.say(`  export AWS_ENDPOINT_URL=${d.sim.url}`);
    d.say(`  # profiles: default = the security team in the management account ${admin.account};`);
    d.say(
      `  # ${Object.entries(PROFILES)
        .map(([n, a]) => `${n} = OrganizationAccountAccessRole in ${a}`)
        .join(', ')}`,
    );
    d.say(`  cd ${d.work}`);
    let n = 0;
    for (const step of STEPS) {
      n += 1;
      d.say(`\n━━ ${n}/${STEPS.length}  ${step.title}`);
      d.say(`   ${step.why}`);
      await step.run(d);
      if (n < STEPS.length) await pause(d);
    }
    d.say(
      opts.keep
        ? `\nDone. Working files are in ${d.work}`
        : '\nDone. The working files were deleted (run with --keep to keep them).',
    );
    return 0;
  } catch (err) {
    d.say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 3;
  } finally {
    await d.pipeline?.stop();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    if (!opts.keep) rmSync(d.work, { recursive: true, force: true });
  }
}
