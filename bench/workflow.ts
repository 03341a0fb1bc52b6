/**
 * Time from event to finding in the local workflow run: the response workflow executed by
 * aws-local-stepfunctions with the real handlers against bks-sim, as in
 * test/pipeline/workflow.test.ts. Reports the median over `--runs` of the time from the start of
 * the execution to the finding imported (normalize + enrich + BatchImportFindings) and to the key
 * revoked and the finding closed (auto-revoke path). Run:
 * `npx tsx bench/workflow.ts [--runs 5]`.
 */
import { envelope, record } from '../test/pipeline/fixtures';
import { Harness } from '../test/pipeline/workflow-harness';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
const toFinding: number[] = [];
const toClosed: number[] = [];
for (let n = 0; n < runs; n++) {
  const h = new Harness();
  await h.start();
  const input = {
    ruleId: 'BKS-004-BEDROCK',
    severity: 'HIGH',
    event: envelope(record('console-create-bedrock-api-key')),
  };
  const t0 = performance.now();
  const run = await h.run(input, { policy: { autoRevoke: ['HIGH'] } });
  const total = performance.now() - t0;
  await h.stop();
  if (run.status !== 'SUCCEEDED' || run.findingMs === undefined) throw new Error(`run ${n} ${run.status}`);
  toFinding.push(run.findingMs);
  toClosed.push(total);
}
process.stdout.write(
  [
    '| measure (local run, auto-revoke path) | median |',
    '|---|---|',
    `| event → finding imported | ${median(toFinding).toFixed(0)} ms |`,
    `| event → key revoked and finding closed | ${median(toClosed).toFixed(0)} ms |`,
    '',
    `node ${process.version}, ${runs} runs, each against a fresh bks-sim`,
    '',
  ].join('\n'),
);
