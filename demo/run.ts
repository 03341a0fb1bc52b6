/**
 * `npm run demo`: a narrated incident against the embedded simulated AWS account. Every step is the
 * real command a user would type, printed before it runs, executed by the real CLI in-process against
 * `bks-sim` over HTTP. Nothing here knows more than a user would: the demo only types commands and,
 * for the attacker's part, sends the HTTP requests an attacker would send.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimHandle, startSim } from '../sim/server';
import { main as bks } from '../src/cli/main';
import { encodeLongTermKey, longTermAlias } from '../src/keys';
import { serviceBySscName } from '../src/services';

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

interface Step {
  title: string;
  why: string;
  run(d: Demo): Promise<void>;
}

class Demo {
  readonly out: NodeJS.WritableStream;
  readonly work: string;
  sim!: SimHandle;
  leakedKey = '';
  siblingKey: string | undefined;
  leakedKeyFile = '';
  exitCodes: { command: string; code: number }[] = [];

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
  async attackerInvoke(key: string, region: string): Promise<number> {
    this.say(
      `$ curl -s -X POST https://bedrock-runtime.${region}.amazonaws.com/model/${MODEL}/invoke -H "Authorization: Bearer $LEAKED_KEY" -d '{"messages":[…]}'`,
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
      for (const region of ATTACK_REGIONS) await d.attackerInvoke(d.leakedKey, region);
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
    d.sim = await startSim({ scenario: SCENARIO, port: 0 });
    const admin = d.sim.state.principals[0];
    if (!admin) throw new Error('the demo scenario has no principal');
    // The responder's own credentials: the security team's user in the management account.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: d.sim.url,
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(d.work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(d.work, 'no-credentials'),
      NO_COLOR: process.env.NO_COLOR ?? (process.stdout.isTTY ? '' : '1'),
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    d.say('bks demo — an LLMjacking incident, end to end, against a simulated AWS organization');
    d.say(
      `bks-sim (the simulated account) is listening on ${d.sim.url}; every command below talks to it over HTTP:`,
    );
    d.say(
      `  export AWS_ENDPOINT_URL=${d.sim.url}   # the security team's credentials in account ${admin.account}`,
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
    d.say(`\nDone. Working files are in ${opts.keep ? d.work : '(deleted; run with --keep to keep them)'}`);
    return 0;
  } catch (err) {
    d.say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 3;
  } finally {
    await d.sim?.close();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    if (!opts.keep) rmSync(d.work, { recursive: true, force: true });
  }
}
