/**
 * The live pipeline inside bks-sim (`bks-sim --pipeline`, composed in process): time from an
 * attacker's call in a member account to the Security Hub finding and to the approval request, the
 * whole path — CloudTrail record, forwarder rule on the region's default bus, central bus, dispatch,
 * StartExecution, the workflow's enrichment and finding — measured per attack (a new phantom user,
 * a key on it, one bearer call), `--runs` attacks against one pipeline. Also the pipeline's start-up
 * (simulator + deployment of every rule, queue, table and the workflow through the SDK). Run:
 * `npx tsx bench/live-pipeline.ts [--runs 5]`.
 */
import { CreateServiceSpecificCredentialCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { LivePipeline } from '../local/pipeline';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
const SEC = '111111111111';
const MEMBER = '222222222222';
const ATTACKER = { accessKeyId: 'AKIAATTACKER00000001', secretAccessKey: 'bench' };

const t0 = performance.now();
const p = new LivePipeline({
  scenario: {
    now: new Date().toISOString(),
    principals: [{ ...ATTACKER, account: MEMBER, arn: `arn:aws:iam::${MEMBER}:user/dev-ci` }],
    accounts: [
      { id: SEC, regions: ['us-east-1'] },
      { id: MEMBER, regions: ['us-east-1', 'us-west-2', 'eu-west-1'] },
    ],
  },
});
await p.start();
const startup = performance.now() - t0;
const iam = new IAMClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: { ...ATTACKER } });
const toFinding: number[] = [];
const toApproval: number[] = [];
for (let n = 0; n < runs; n++) {
  const user = `BedrockAPIKey-bench${n}`;
  const notesBefore = ((await (await fetch(`${p.sim.url}/_sim/notifications`)).json()) as unknown[]).length;
  const start = performance.now();
  await iam.send(new CreateUserCommand({ UserName: user }));
  await iam.send(
    new CreateServiceSpecificCredentialCommand({ UserName: user, ServiceName: 'bedrock.amazonaws.com' }),
  );
  let finding: number | undefined;
  let approval: number | undefined;
  while (finding === undefined || approval === undefined) {
    if (performance.now() - start > 30_000) throw new Error(`attack ${n}: no finding/approval within 30 s`);
    const { findings } = (await (await fetch(`${p.sim.url}/_sim/findings`)).json()) as {
      findings: unknown[];
    };
    if (finding === undefined && JSON.stringify(findings).includes(user)) finding = performance.now() - start;
    const notes = (await (await fetch(`${p.sim.url}/_sim/notifications`)).json()) as Array<{
      message: string;
    }>;
    if (approval === undefined && notes.slice(notesBefore).some((m) => m.message.includes(user)))
      approval = performance.now() - start;
    await new Promise((r) => setTimeout(r, 10));
  }
  toFinding.push(finding);
  toApproval.push(approval);
}
iam.destroy();
await p.stop();
const ms = (x: number) => `${Math.round(x)} ms`;
process.stdout.write(
  [
    `| measure (bks-sim --pipeline, ${runs} attacks) | median | max |`,
    '|---|---|---|',
    `| start-up: simulator + deployment | ${ms(startup)} | |`,
    `| attacker's CreateUser → Security Hub finding | ${ms(median(toFinding))} | ${ms(Math.max(...toFinding))} |`,
    `| attacker's CreateUser → approval request published | ${ms(median(toApproval))} | ${ms(Math.max(...toApproval))} |`,
    '',
  ].join('\n'),
);
process.exit(0);
