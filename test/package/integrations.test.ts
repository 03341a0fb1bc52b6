/**
 * The integrations people wire `bks` into, exercised as far as this machine allows, each with the
 * package installed from the packed tarball (test/package/packed.ts):
 *
 * - the GitHub Action (action.yml): its steps run by the composite runner of ./actions.ts — the
 *   install step's `npm install -g` of the tarball, find-keys writing SARIF and annotations, the
 *   upload step's inputs, the gate on keys found, and `bks scan --fail-on` against bks-sim;
 * - the pre-commit hook (.pre-commit-hooks.yaml): real `pre-commit` in a temporary git repository,
 *   the hook taken from the manifest (as a local hook on the installed `bks`): a staged key fails
 *   the commit, a clean commit passes, a key only in the unstaged working tree does not count;
 * - the Dockerfile: what each stage copies exists (the build context, the packed tarball), the
 *   image runs the installed package's `bks` as a user that is not root.
 *
 * Every key here is built from parts by the encoder (never a literal).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { encodeLongTermKey, longTermAlias } from '../../src/keys';
import { SERVICES } from '../../src/services';
import { testBundle } from '../helpers/bundle';
import { skipWithout, TOOLS } from '../helpers/tools';
import { type ActionRun, evaluate, readAction, runAction } from './actions';
import { buildContextFiles, PKG, packedTarball, ROOT } from './packed';

const bedrock = SERVICES.find((s) => s.id === 'bedrock')!;
const SECRET = 'q'.repeat(40);
const KEY = encodeLongTermKey(bedrock, longTermAlias('BedrockAPIKey-h00k', '123456789012', 1), SECRET);
const ACTION = join(ROOT, 'action.yml');

let tmp = '';
let tarball = '';
let packStdout = '';
/** The npm prefix the action's install step installs into (`npm install -g`). */
let prefix = '';

/** The runner's environment: npm's global prefix in the temp folder, its bin first on PATH. */
function runnerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
    npm_config_prefix: prefix,
    npm_config_prefer_offline: 'true',
    RUNNER_TEMP: tmp,
    ...extra,
  };
}

function workspace(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

const step = (r: ActionRun, name: RegExp) => {
  const s = r.steps.find((x) => name.test(x.name));
  if (!s) throw new Error(`no step ${name}`);
  return s;
};

/** An `npm` that records its arguments instead of installing (for runs after the real install). */
function npmRecorder(): { env: NodeJS.ProcessEnv; calls: () => string[][] } {
  const dir = mkdtempSync(join(tmp, 'npm-'));
  const log = join(dir, 'calls.jsonl');
  writeFileSync(
    join(dir, 'npm'),
    `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
    { mode: 0o755 },
  );
  return {
    env: { PATH: `${dir}:${join(prefix, 'bin')}:${process.env.PATH}` },
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}

/** The action's run on a workspace with a key, with `package` set to the tarball: the real install. */
let first: ActionRun;
let leakWorkspace = '';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bks-integrations-'));
  prefix = join(tmp, 'npm-global');
  ({ tarball, stdout: packStdout } = await packedTarball());
  leakWorkspace = workspace('ws-leak', {
    'app/settings.py': `import os\nAPI_KEY = "${KEY}"\n`,
    'README.md': '# nothing here\n',
  });
  first = runAction(ACTION, {
    actionPath: ROOT,
    workspace: leakWorkspace,
    inputs: { package: tarball },
    env: runnerEnv(),
  });
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('expressions of the action runner (the model the action is run with)', () => {
  const ctx = (values: Record<string, string | null>, failed = false) => ({
    failed,
    lookup: (p: string) => values[p] ?? null,
  });

  it("compares strings case-insensitively and a missing value as null, as GitHub's rules say", () => {
    expect(evaluate("inputs.x == 'TRUE'", ctx({ 'inputs.x': 'true' }))).toBe(true);
    expect(evaluate("steps.a.outputs.n != '0'", ctx({}))).toBe(false); // null vs '0': both 0
    expect(evaluate("steps.a.outputs.f != ''", ctx({}))).toBe(false);
    expect(evaluate("steps.a.outputs.f != ''", ctx({ 'steps.a.outputs.f': 'r.sarif' }))).toBe(true);
    expect(evaluate("always() && inputs.u == 'true'", ctx({ 'inputs.u': 'true' }, true))).toBe(true);
    expect(evaluate("!(inputs.a == 'x') || inputs.b", ctx({ 'inputs.a': 'x', 'inputs.b': 'y' }))).toBe('y');
    expect(() => evaluate('hashFiles()', ctx({}))).toThrow(/not modelled/);
  });
});

describe('the GitHub Action (action.yml)', () => {
  it('declares what it runs: setup-node, the install, find-keys, the SARIF upload, the gates', () => {
    const a = readAction(ACTION);
    expect(a.runs.using).toBe('composite');
    const uses = a.runs.steps.filter((s) => s.uses).map((s) => s.uses);
    expect(uses).toEqual(['actions/setup-node@v4', 'github/codeql-action/upload-sarif@v3']);
    for (const s of a.runs.steps) if (s.run) expect(s.shell, s.name).toBe('bash');
    // Inputs reach the scripts through env:, never spliced into the script text.
    for (const s of a.runs.steps) if (s.run) expect(s.run, s.name).not.toMatch(/\$\{\{/);
    expect(Object.keys(a.inputs)).toEqual(
      expect.arrayContaining(['path', 'git-history', 'sarif-file', 'upload-sarif', 'scan', 'scan-fail-on']),
    );
  });

  it('installs the package, writes SARIF, annotates each location, and fails the job on a key', () => {
    const install = step(first, /^Install bks$/);
    expect(install.outcome, install.stderr).toBe('success');
    expect(install.stdout).toContain(`bks ${PKG.version}`);
    expect(existsSync(join(prefix, 'lib/node_modules', PKG.name, 'dist/bks.mjs'))).toBe(true);

    const find = step(first, /find-keys/);
    expect(find.outcome, find.stderr).toBe('success');
    expect(first.outputs).toEqual({ 'keys-found': '1', 'sarif-file': 'bks-find-keys.sarif' });
    expect(find.stdout).toMatch(
      /^::error file=app\/settings\.py,line=2,col=12,title=bks\/[\w-]+::.*BedrockAPIKey-h00k/m,
    );
    expect(find.stdout + find.stderr).not.toContain(SECRET);

    const sarif = JSON.parse(readFileSync(join(leakWorkspace, 'bks-find-keys.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toHaveLength(1);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      'app/settings.py',
    );
    expect(JSON.stringify(sarif)).not.toContain(SECRET);

    const upload = step(first, /Upload the SARIF/);
    expect(upload).toMatchObject({
      outcome: 'external',
      uses: 'github/codeql-action/upload-sarif@v3',
      with: { sarif_file: 'bks-find-keys.sarif', category: 'bks-find-keys' },
    });
    expect(step(first, /bks scan/).outcome).toBe('skipped');
    const gate = step(first, /Fail on keys found/);
    expect(gate.outcome).toBe('failure');
    expect(gate.stdout).toMatch(/^::error::bks find-keys found 1 API key/m);
    expect(first.failed).toBe(true);
  });

  it('passes a clean workspace, still uploading its (empty) report', () => {
    const npm = npmRecorder();
    const r = runAction(ACTION, {
      actionPath: ROOT,
      workspace: workspace('ws-clean', { 'src/app.py': 'print("hello")\n' }),
      env: runnerEnv(npm.env),
    });
    // Without `package`, the install step asks npm for this package at the action's own version.
    expect(npm.calls()).toEqual([
      [
        'install',
        '-g',
        '--omit=dev',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `${PKG.name}@${PKG.version}`,
      ],
    ]);
    expect(r.outputs['keys-found']).toBe('0');
    expect(step(r, /Upload the SARIF/).outcome).toBe('external');
    expect(step(r, /Fail on keys found/).outcome).toBe('skipped');
    expect(r.failed).toBe(false);
  });

  it('reports a key without failing when fail-on-keys is false, and scans git history on request', () => {
    const npm = npmRecorder();
    const repo = workspace('ws-history', { 'a.js': `const k = "${KEY}";\n` });
    const git = (...args: string[]) =>
      expect(spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).status, args.join(' ')).toBe(0);
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', 'a.js');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'add a key');
    git('rm', '-q', 'a.js');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'remove it');
    const r = runAction(ACTION, {
      actionPath: ROOT,
      workspace: repo,
      inputs: { 'git-history': 'true', 'fail-on-keys': 'false', 'upload-sarif': 'false' },
      env: runnerEnv(npm.env),
    });
    expect(step(r, /find-keys/).stdout).toMatch(/^::error file=a\.js,line=1,col=12,/m);
    expect(r.outputs['keys-found']).toBe('1');
    expect(step(r, /Upload the SARIF/).outcome).toBe('skipped');
    expect(r.failed).toBe(false);
  });

  it('fails on bad input before any upload (exit 2 from find-keys)', () => {
    const npm = npmRecorder();
    const r = runAction(ACTION, {
      actionPath: ROOT,
      workspace: workspace('ws-bad', { 'x.txt': 'x\n' }),
      inputs: { path: 'no/such/dir' },
      env: runnerEnv(npm.env),
    });
    const find = step(r, /find-keys/);
    expect(find).toMatchObject({ outcome: 'failure', status: 2 });
    expect(find.stderr).toMatch(/^bks: .*no\/such\/dir/m);
    expect(step(r, /Upload the SARIF/).outcome).toBe('skipped');
    expect(step(r, /Fail on keys found/).outcome).toBe('skipped');
    expect(r.failed).toBe(true);
  });

  describe('with scan: bks scan --fail-on against bks-sim', () => {
    let sim: ChildProcess | undefined;
    let env: NodeJS.ProcessEnv = {};

    beforeAll(async () => {
      const child = spawn(
        process.execPath,
        // The simulator stands in for AWS here (built from the sources, once per run: the installed
        // bks-sim would need its optional IAM engine, which the action does not install).
        [(await testBundle()).bksSim, '--scenario', join(ROOT, 'sim/scenarios/demo.json')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      sim = child;
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        let err = '';
        child.stderr!.on('data', (b) => {
          err += b;
        });
        child.stdout!.on('data', (b) => {
          out += b;
          const m = /bks-sim listening on (http:\/\/\S+)/.exec(out);
          if (m) ok(m[1] as string);
        });
        child.on('exit', (code) => fail(new Error(`bks-sim exited ${code}: ${err}`)));
      });
      // The demo's `secops` principal in its management account (signatures are not checked).
      env = {
        AWS_ENDPOINT_URL: url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIABTXV5AHDQV3WQNQR',
        AWS_SECRET_ACCESS_KEY: 'any',
      };
    }, 120_000);
    afterAll(() => {
      sim?.kill('SIGTERM');
    });

    const clean = () => workspace('ws-scan', { 'main.py': 'print(1)\n' });

    it('fails the job when a user is at or above the threshold', () => {
      const npm = npmRecorder();
      const r = runAction(ACTION, {
        actionPath: ROOT,
        workspace: clean(),
        inputs: { scan: 'true', 'scan-args': '--org --accounts 222222222222' },
        env: runnerEnv({ ...npm.env, ...env }),
      });
      const scan = step(r, /bks scan/);
      expect(scan, scan.stderr).toMatchObject({ outcome: 'failure', status: 1 });
      expect(scan.stdout).toMatch(/1 AT_RISK/);
      expect(r.failed).toBe(true);
    }, 120_000);

    it('passes when nothing reaches the threshold', () => {
      const npm = npmRecorder();
      const r = runAction(ACTION, {
        actionPath: ROOT,
        workspace: clean(),
        inputs: { scan: 'true', 'scan-fail-on': 'at-risk' },
        env: runnerEnv({ ...npm.env, ...env }),
      });
      const scan = step(r, /bks scan/);
      expect(scan.outcome, scan.stderr).toBe('success');
      expect(scan.stdout).toMatch(/0 AT_RISK/);
      expect(r.failed).toBe(false);
    }, 120_000);
  });
});

interface Hook {
  id: string;
  name: string;
  entry: string;
  language: string;
  args?: string[];
  pass_filenames?: boolean;
  types?: string[];
  files?: string;
  exclude?: string;
}

describe.skipIf(skipWithout(TOOLS.preCommit))('the pre-commit hook (.pre-commit-hooks.yaml)', () => {
  const manifest = join(ROOT, '.pre-commit-hooks.yaml');
  const hooks = parse(readFileSync(manifest, 'utf8')) as Hook[];
  const hook = hooks.find((h) => h.id === 'bks-find-keys')!;

  it('is a valid manifest whose hook runs the installed `bks find-keys` on the files passed', () => {
    const v = spawnSync('pre-commit', ['validate-manifest', manifest], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(hook).toMatchObject({ entry: 'bks find-keys', language: 'node' });
    expect(hook.pass_filenames ?? true).toBe(true);
    expect(Object.keys(PKG.bin)).toContain(hook.entry.split(' ')[0]);
  });

  it('can be installed by pre-commit: `npm pack` prints only the tarball name', () => {
    // pre-commit installs a node hook with `npm pack` in the hook's repository and takes the whole
    // of stdout as the tarball's name; a build script's banner there would break the install
    // (.npmrc runs the pack scripts in the background).
    expect(packStdout.trim()).toBe(tarball.split('/').at(-1));
  });

  /** A git repository where `pre-commit install` put the hook, as a local hook on the installed bks. */
  function repo(name: string): { dir: string; git: (...a: string[]) => ReturnType<typeof spawnSync> } {
    const dir = join(tmp, name);
    mkdirSync(dir);
    const env = {
      ...runnerEnv(),
      PRE_COMMIT_HOME: join(tmp, 'pre-commit-home'),
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: tmp,
    };
    const git = (...a: string[]) => spawnSync('git', a, { cwd: dir, env, encoding: 'utf8' });
    expect(git('init', '-q').status).toBe(0);
    // The manifest's hook, run by `pre-commit` on the `bks` installed from the tarball (a `node`
    // hook would have pre-commit install this repository from its git URL, which needs a network).
    const local = { ...hook, language: 'system' };
    writeFileSync(
      join(dir, '.pre-commit-config.yaml'),
      JSON.stringify({ repos: [{ repo: 'local', hooks: [local] }] }, null, 1),
    );
    const inst = spawnSync('pre-commit', ['install'], { cwd: dir, env, encoding: 'utf8' });
    expect(inst.status, inst.stdout + inst.stderr).toBe(0);
    expect(git('add', '.pre-commit-config.yaml').status).toBe(0);
    return { dir, git };
  }

  it('fails the commit of a staged key, naming the file and never printing the key', () => {
    const { dir, git } = repo('hook-leak');
    writeFileSync(join(dir, 'config.py'), `TOKEN = "${KEY}"\n`);
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    expect(git('add', 'config.py', 'main.py').status).toBe(0);
    const c = git('commit', '-m', 'add config');
    const out = `${c.stdout}${c.stderr}`;
    expect(c.status, out).not.toBe(0);
    expect(out).toMatch(/bks find-keys.*Failed/);
    expect(out).toMatch(/config\.py:1:10 +bedrock +long-term +123456789012 +BedrockAPIKey-h00k/);
    expect(out).not.toContain(SECRET);
    expect(git('rev-parse', '--verify', '-q', 'HEAD').status).not.toBe(0); // nothing was committed
  });

  it('passes a clean commit, and judges what is staged, not the working tree', () => {
    const { dir, git } = repo('hook-clean');
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    expect(git('add', 'main.py').status).toBe(0);
    // A key added to the file after staging it is not part of this commit.
    writeFileSync(join(dir, 'main.py'), `print(1)\nK = "${KEY}"\n`);
    const c = git('commit', '-m', 'clean');
    expect(c.status, `${c.stdout}${c.stderr}`).toBe(0);
    expect(`${c.stdout}${c.stderr}`).toMatch(/bks find-keys.*Passed/);
    expect(readFileSync(join(dir, 'main.py'), 'utf8')).toContain('K = '); // the stash came back
    // Staging it now fails the next commit.
    expect(git('add', 'main.py').status).toBe(0);
    expect(git('commit', '-m', 'leak').status).not.toBe(0);
  });
});

describe('the Dockerfile', () => {
  interface Instruction {
    op: string;
    args: string;
  }
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const instructions: Instruction[] = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]! };
    });
  const stages: Instruction[][] = [];
  for (const i of instructions) {
    if (i.op === 'FROM') stages.push([]);
    stages.at(-1)!.push(i);
  }
  const final = stages.at(-1)!;
  const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op);

  it('builds in a throwaway stage and runs as an unprivileged user on a Node.js the package supports', () => {
    expect(stages.length).toBe(2);
    const from = all(final, 'FROM')[0]!.args;
    const major = Number(/^node:(\d+)/.exec(from)?.[1]);
    expect(major).toBeGreaterThanOrEqual(20);
    const user = all(final, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(JSON.parse(all(final, 'ENTRYPOINT')[0]!.args)).toEqual(['bks']);
    expect(Object.keys(PKG.bin)).toContain('bks');
  });

  it('copies into the build stage only files of the build context', () => {
    const files = buildContextFiles();
    expect(files).toContain('package-lock.json');
    expect(files.some((f) => f.startsWith('node_modules/') || f.startsWith('dist/'))).toBe(false);
    for (const c of all(stages[0]!, 'COPY')) {
      const parts = c.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        if (src === '.') continue;
        expect(files, `COPY ${src}`).toContain(src);
      }
    }
  });

  it('puts only the packed tarball in the image and installs it with its runtime dependencies', () => {
    const copies = all(final, 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies)
      expect(c.args, 'the image takes nothing from the build context').toMatch(/^--from=pack /);
    const tgz = copies.map((c) => c.args.split(/\s+/)[1])[0]!;
    // The build stage moves `npm pack`'s output to that name; its glob matches the real tarball.
    const mv = all(stages[0]!, 'RUN').find((r) => r.args.includes('npm pack'))!.args;
    const glob = /mv \/tmp\/(\S+) (\S+)/.exec(mv)!;
    expect(glob[2]).toBe(tgz);
    const re = new RegExp(`^${glob[1]!.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
    expect(tarball.split('/').at(-1)).toMatch(re);
    const install = all(final, 'RUN').find((r) => r.args.includes('npm install'))!.args;
    expect(install).toMatch(new RegExp(`npm install -g --omit=dev .*${tgz.replace(/[.]/g, '\\.')}`));
  });

  it('runs the installed package: ENTRYPOINT with the default CMD prints the help', () => {
    const bin = join(prefix, 'bin', (JSON.parse(all(final, 'ENTRYPOINT')[0]!.args) as string[])[0]!);
    const cmd = JSON.parse(all(final, 'CMD')[0]!.args) as string[];
    const p = spawnSync(bin, cmd, { encoding: 'utf8', env: runnerEnv({ NODE_ENV: 'production' }) });
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^Usage: bks/);
  });
});
