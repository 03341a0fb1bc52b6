/**
 * `bks-sim` as a process: the one-line start message, SIGTERM/SIGINT exit 0, bad input exit 2 with
 * one line naming the problem. The executable is the run's bundle of local/bin.ts, the entry point
 * dist/bks-sim.mjs is built from (test/helpers/bundle.ts), rather than the tsx launcher
 * bin/bks-sim.mjs: a start costs a fraction of the CPU.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import { testBundle } from '../helpers/bundle';

let BIN = '';
beforeAll(async () => {
  BIN = (await testBundle()).bksSim;
});
const dir = mkdtempSync(join(tmpdir(), 'bks-sim-cli-'));

function scenarioFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function run(args: string[]): {
  child: ChildProcess;
  stdout: Promise<string>;
  stderr: Promise<string>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (s: NodeJS.ReadableStream) =>
    new Promise<string>((resolve) => {
      let text = '';
      s.on('data', (d) => {
        text += String(d);
      });
      s.on('end', () => resolve(text));
    });
  return {
    child,
    stdout: collect(child.stdout!),
    stderr: collect(child.stderr!),
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before printing`)));
  });
}

describe('bks-sim process', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints exactly one line when ready, serves, and exits 0 on ${signal}`, async () => {
      const file = scenarioFile('ok.json', { accounts: [{ id: '111111111111' }] });
      const p = run(['--scenario', file, '--port', '0', '--host', '127.0.0.1']);
      const line = await firstLine(p.child);
      const m = /^bks-sim listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      expect(m, line).not.toBeNull();
      const sts = new STSClient({
        endpoint: m![1],
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDCLI', secretAccessKey: 'x' },
      });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111111111111');
      p.child.kill(signal);
      expect(await p.exit).toBe(0);
      expect(await p.stdout).toBe(`${line}\n`);
    });
  }

  it('refuses a malformed scenario with one line naming the field, exit 2', async () => {
    const file = scenarioFile('bad.json', {
      accounts: [{ id: '111111111111', users: [{ name: 'a', accessKeys: [{ status: 'On' }] }] }],
    });
    const p = run(['--scenario', file]);
    expect(await p.exit).toBe(2);
    const err = await p.stderr;
    expect(err).toBe(
      'bks-sim: scenario: accounts[0].users[0].accessKeys[0].status: must be one of Active, Inactive (got "On")\n',
    );
    expect(await p.stdout).toBe('');
  });

  it('refuses a bad detection field of an account with one line naming it, exit 2', async () => {
    // Every detection field has such a case in test/sim/scenario.test.ts; this one goes through the binary.
    const file = scenarioFile('bad-sqs.json', {
      accounts: [{ id: '111111111111', sqs: { queues: [{ QueueName: 'q', Attributes: { Color: 'red' } }] } }],
    });
    const p = run(['--scenario', file]);
    expect(await p.exit).toBe(2);
    expect(await p.stderr).toBe(
      'bks-sim: scenario: accounts[0].sqs.queues[0].Attributes.Color: is not a queue attribute you can set\n',
    );
    expect(await p.stdout).toBe('');
  });

  it('refuses bad flags, a missing file and invalid JSON with exit 2', async () => {
    for (const [args, pattern] of [
      [[], /--scenario is required/],
      [['--scenario'], /--scenario needs a value/],
      [['--scenario', 'x.json', '--port', 'abc'], /--port must be 0\.\.65535/],
      [['--bogus'], /unknown argument "--bogus"/],
      [['--scenario', join(dir, 'missing.json')], /cannot read scenario .*missing\.json: ENOENT/],
      [['--scenario', scenarioFile('notjson.json', '{ nope')], /is not valid JSON/],
      [
        ['--pipeline', '--scenario', 'x.json', '--approver-groups', 'soc,'],
        /--approver-groups must be a comma-separated list/,
      ],
      [
        ['--pipeline', '--scenario', 'x.json', '--template', join(dir, 'no-template.json')],
        /--template .*no-template\.json: cannot read a JSON template \(ENOENT\)/,
      ],
      [
        ['--pipeline', '--scenario', 'x.json', '--template', scenarioFile('tpl.json', '{"Outputs":{}}')],
        /--template .*tpl\.json: no Resources section/,
      ],
    ] as [string[], RegExp][]) {
      const p = run(args);
      expect(await p.exit, args.join(' ')).toBe(2);
      const err = await p.stderr;
      expect(err).toMatch(pattern);
      expect(err).not.toMatch(/\n\s+at /);
    }
  });
});
