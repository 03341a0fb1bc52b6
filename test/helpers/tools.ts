/**
 * External tools some suites need (moto's server, boto3, Chromium, cfn-lint, pre-commit). On a developer's
 * machine a missing tool skips its suite with one line saying so; on CI (`CI` set) a missing tool
 * fails the run instead: `.ci/run` is there to install it, so its absence is a broken CI, never a
 * silent pass.
 *
 *   describe.skipIf(skipWithout(TOOLS.motoServer))('… against moto', () => { … });
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Tool {
  /** What is missing, as a person would name it. */
  name: string;
  /** How to get it on this machine. */
  install: string;
  /** Whether it is usable here (probed once, lazily). */
  present(): boolean;
}

function python(code: string): () => boolean {
  let found: boolean | undefined;
  return () => {
    found ??= spawnSync('python3', ['-c', code], { stdio: 'ignore' }).status === 0;
    return found;
  };
}

function executable(candidates: () => (string | undefined)[]): () => boolean {
  let found: boolean | undefined;
  return () => {
    found ??= candidates().some((p) => p !== undefined && p !== '' && existsSync(p));
    return found;
  };
}

/** The first Chromium binary found (`BKS_CHROMIUM`, then Debian's). */
export function chromiumPath(): string | undefined {
  return [process.env.BKS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p) => p !== undefined && p !== '' && existsSync(p),
  );
}

export const TOOLS = {
  /** moto with its server extra (flask): `python3 -m moto.server`. */
  motoServer: {
    name: 'moto[server] for python3 (moto with flask)',
    install:
      "the machine's python3 ships moto; its server needs flask (python3 -m pip install 'moto[server]')",
    present: python('import moto.server'),
  },
  /** moto's EventBridge pattern matcher. */
  motoEventPattern: {
    name: 'moto (python3) with moto.events',
    install: "the machine's python3 ships moto (python3 -m pip install moto)",
    present: python('from moto.events.models import EventPattern'),
  },
  boto3: {
    name: 'boto3 for python3',
    install: "the machine's python3 ships boto3 (python3 -m pip install boto3)",
    present: python('import boto3'),
  },
  chromium: {
    name: 'Chromium',
    install: 'apt-get install -y chromium (.ci/run does), or set BKS_CHROMIUM',
    present: executable(() => [chromiumPath()]),
  },
  /**
   * cfn-lint's Python package, which test/infra/cfn-lint.ts runs through python3 (one process per
   * test file). Found without importing it: importing cfn-lint costs a second of CPU.
   */
  cfnLint: {
    name: 'cfn-lint for python3 (the cfnlint package)',
    install: "the machine's python3 ships cfn-lint (python3 -m pip install cfn-lint)",
    present: python("import importlib.util, sys; sys.exit(importlib.util.find_spec('cfnlint') is None)"),
  },
  /** pre-commit (the framework the hook in .pre-commit-hooks.yaml is for). */
  preCommit: {
    name: 'pre-commit',
    install: 'apt-get install -y pre-commit (.ci/run does), or python3 -m pip install pre-commit',
    present: () => spawnSync('pre-commit', ['--version'], { stdio: 'ignore' }).status === 0,
  },
} satisfies Record<string, Tool>;

/** Whether CI is running (any non-empty `CI` but `false`/`0`). */
export function onCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

const warned = new Set<string>();

/**
 * True when the suite should be skipped: the tool is missing and this is not CI (one line on
 * stderr says what is skipped and why). On CI a missing tool throws, failing the test file.
 */
export function skipWithout(tool: Tool, env: { ci?: boolean } = {}): boolean {
  if (tool.present()) return false;
  if (env.ci ?? onCi()) {
    throw new Error(`${tool.name} is missing on CI: ${tool.install}. A suite that needs it must run on CI.`);
  }
  if (!warned.has(tool.name)) {
    warned.add(tool.name);
    process.stderr.write(`skipped: suites that need ${tool.name} (missing here; ${tool.install})\n`);
  }
  return true;
}
