import { availableParallelism } from 'node:os';
import { delimiter, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** The test files that synthesize CDK apps in process. */
const CDK = [
  'test/infra/*.test.ts',
  'test/local/async-failure.test.ts',
  'test/pipeline/central-bus-policy.test.ts',
  'test/pipeline/deployed-functions.test.ts',
  'test/pipeline/deployed-roles.test.ts',
  'test/pipeline/read-only-events.test.ts',
  'test/pipeline/responder-trust.test.ts',
];

/**
 * The test files that keep a fresh worker process each (see the `shared` project below). Also where
 * a file goes that leaves behind what test/setup/shared-worker.ts does not put back (vi.mock, module
 * state of src/ or sim/ another file would see). The docs, demo and package files spend their time
 * in the processes they start: sharing a worker measured no gain beyond the noise, so they stay here.
 */
const ISOLATED = ['test/demo/**/*.test.ts', 'test/docs/**/*.test.ts', 'test/package/**/*.test.ts'];

export default defineConfig({
  test: {
    // Every JSON document a command prints in-process is checked against its schema in schemas/.
    // With BKS_TEST_CPU_LOG set, each file's CPU time is logged (test/setup/cpu.ts, bench/test-suite.ts).
    setupFiles: ['test/setup/output-schemas.ts', 'test/setup/cpu.ts'],
    // One scratch folder per run, for work several test files share (the packed tarball); the folder
    // where `bks` and `bks-sim` are bundled once per run for the files that start them (test/helpers/bundle.ts).
    globalSetup: ['test/setup/global.ts', 'test/setup/bundle.ts'],
    // The default `forks` pool: `threads` breaks esbuild bundling in the infra tests.
    pool: 'forks',
    // One test file per core. Vitest's default is one fewer than the cores, which on a 2-core machine
    // ran every file one after the other; the files spend much of their time waiting on the
    // processes they start (bks-sim, the CLI, cfn-lint, npm), so each core has a file of its own.
    // VITEST_MAX_WORKERS (or --maxWorkers) overrides it.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      // Every other file shares worker processes too (no isolation between files): a worker loads the
      // AWS SDK clients, the simulator, ajv, the schemas and the TypeScript parser once instead of once
      // per file, and skips a process start per file. test/setup/shared-worker.ts puts back what a
      // file may change in the process (environment, working directory, exit code, stubbed globals,
      // fake timers; Vitest restores spies); the files listed in ISOLATED keep a fresh worker each.
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: [...CDK, ...ISOLATED],
          isolate: false,
          setupFiles: ['test/setup/shared-worker.ts'],
        },
      },
      { extends: true, test: { name: 'unit', include: ISOLATED, exclude: CDK } },
      // The files that synthesize CDK apps share worker processes (no isolation between them): each
      // worker loads aws-cdk-lib and cdk-nag once instead of once per file, CDK's asset cache bundles
      // each handler once per worker, and test/pipeline/deployed-pipeline.ts synthesizes the pipeline
      // once per worker for the files that load it. They change no global state that outlives a file.
      {
        extends: true,
        test: { name: 'cdk', include: CDK, isolate: false, setupFiles: ['test/setup/shared-worker.ts'] },
      },
    ],
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // bks-sim builds a credential report in 200 ms instead of 500 (sim/services/iam.ts): a scan
      // still polls (STARTED, a 250 ms wait, COMPLETE) but waits 250 ms instead of 750. Every scan of
      // the suite pays it; test/inventory/credential-report.test.ts keeps the three-state path.
      BKS_SIM_CREDENTIAL_REPORT_MS: '200',
      // aws-cdk-lib 2.276 validates every synthesized template with its built-in CloudFormation rules
      // (a WASM engine, most of the CPU of a synth); its findings are warnings only. The
      // tests' own synths skip it (cfn-lint in test/infra/ is the templates' oracle); the user-app
      // synth of test/package/package.test.ts removes this variable and keeps the default path.
      CDK_VALIDATION: 'false',
      NO_COLOR: '1',
      // CDK bundles each Lambda handler with `npx --no-install esbuild …`; test/setup/bin/npx runs
      // that esbuild directly (same binary, same arguments) without npm's half a second of start-up
      // per handler — about 7 s of CPU saved per synthesized pipeline. Other npx commands pass through.
      PATH: `${resolve(import.meta.dirname, 'test/setup/bin')}${delimiter}${process.env['PATH'] ?? ''}`,
    },
  },
});
