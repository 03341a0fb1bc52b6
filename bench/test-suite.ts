/**
 * Where the test suite spends its time: runs Vitest (all files, or the filters given) with each
 * file's CPU time logged (test/setup/cpu.ts) and prints the files and the areas (test/<area>/)
 * ranked by CPU time, with the run's totals.
 *
 *   npx tsx bench/test-suite.ts [vitest filters…] [--workers N] [--top 25]
 *   npx tsx bench/test-suite.ts --from LOG [--top 25]     # summarize a log of an earlier run
 *
 * CPU per file = what the Vitest worker process that ran it spent on it (a file in a fresh worker
 * pays the worker's start and imports; where files share a worker, the first one pays them) + the
 * child processes it waited for (bks-sim, the CLI, cfn-lint, esbuild, npm). On a
 * machine shared with other work wall times stretch with the load and CPU times do not, so compare
 * CPU times across runs and wall times only within one run. The run's own total (Vitest's main
 * process and all its workers) is read from the kernel's accounting of this process's children.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderTable } from '../src/cli/common';
import type { FileCpu } from '../test/setup/cpu';

const root = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined) {
    process.stderr.write(`bench/test-suite.ts: --${name} needs a value\n`);
    process.exit(2);
  }
  argv.splice(i, 2);
  return v;
}
const from = option('from');
const workers = option('workers');
const top = Number(option('top') ?? '25');

/** CPU seconds of this process's waited-for children (Linux /proc accounting, USER_HZ = 100). */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

interface VitestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ name: string; startTime: number; endTime: number; assertionResults: unknown[] }>;
}

const dir = mkdtempSync(join(tmpdir(), 'bks-bench-suite-'));
let log = from;
let run: { wall: number; cpu: number; json?: VitestJson; load: number[]; code: number } | undefined;
if (!log) {
  log = join(dir, 'cpu.jsonl');
  const out = join(dir, 'vitest.json');
  const load = loadavg();
  const t0 = performance.now();
  const c0 = childrenCpu();
  const r = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--reporter=dot',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...(workers ? ['--maxWorkers', workers] : []),
      ...argv,
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BKS_TEST_CPU_LOG: log } },
  );
  run = {
    wall: (performance.now() - t0) / 1000,
    cpu: childrenCpu() - c0,
    load,
    code: r.status ?? -1,
    json: JSON.parse(readFileSync(out, 'utf8')) as VitestJson,
  };
}

const files = readFileSync(log, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as FileCpu);
const tests = new Map<string, { count: number; seconds: number }>();
for (const t of run?.json?.testResults ?? [])
  tests.set(t.name.slice(root.length + 1), {
    count: t.assertionResults.length,
    seconds: (t.endTime - t.startTime) / 1000,
  });

const area = (file: string) => file.split('/')[1] ?? file;
const total = (f: FileCpu) => f.cpu + f.children;
const s = (n: number) => n.toFixed(1);

const byArea = new Map<
  string,
  { files: number; tests: number; cpu: number; children: number; wall: number }
>();
for (const f of files) {
  const a = byArea.get(area(f.file)) ?? { files: 0, tests: 0, cpu: 0, children: 0, wall: 0 };
  a.files++;
  a.tests += tests.get(f.file)?.count ?? 0;
  a.cpu += f.cpu;
  a.children += f.children;
  a.wall += f.wall;
  byArea.set(area(f.file), a);
}

const lines: string[] = [];
lines.push(
  `bench/test-suite.ts: node ${process.version}, ${availableParallelism()} CPUs` +
    (run ? `, load average before ${run.load.map((x) => x.toFixed(2)).join(' ')}` : `, from ${from}`),
);
if (run) {
  const j = run.json;
  lines.push(
    `vitest exit ${run.code}; ${files.length} files, ${j?.numTotalTests ?? '?'} tests (${j?.numPassedTests ?? '?'} passed, ${j?.numFailedTests ?? '?'} failed); ` +
      `wall ${s(run.wall)} s; CPU of the whole run ${s(run.cpu)} s (user + system, every process)`,
  );
}
const sum = files.reduce((a, f) => a + total(f), 0);
lines.push(
  `CPU of the test files: ${s(sum)} s (workers ${s(files.reduce((a, f) => a + f.cpu, 0))} s + children)`,
  '',
);
lines.push(
  renderTable(
    ['area', 'files', 'tests', 'CPU s', 'workers s', 'children s', 'worker wall s'],
    [...byArea.entries()]
      .sort((a, b) => b[1].cpu + b[1].children - (a[1].cpu + a[1].children))
      .map(([name, a]) => [
        name,
        String(a.files),
        String(a.tests),
        s(a.cpu + a.children),
        s(a.cpu),
        s(a.children),
        s(a.wall),
      ]),
  ),
  '',
);
lines.push(
  renderTable(
    ['file', 'tests', 'CPU s', 'workers s', 'children s', 'worker wall s'],
    [...files]
      .sort((a, b) => total(b) - total(a))
      .slice(0, top)
      .map((f) => [
        f.file,
        String(tests.get(f.file)?.count ?? ''),
        s(total(f)),
        s(f.cpu),
        s(f.children),
        s(f.wall),
      ]),
  ),
);
process.stdout.write(`${lines.join('\n')}\n`);
rmSync(dir, { recursive: true, force: true });
if (run && run.code !== 0) process.exitCode = run.code;
