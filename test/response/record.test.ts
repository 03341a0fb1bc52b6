/** The record of a changing run: written before the first call, rewritten after each, mode 0600. */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actOnPlan } from '../../src/response/act';
import { executePlan } from '../../src/response/execute';
import { numberSteps } from '../../src/response/plan';
import { type RecordDestination, RecordWriter, readRecord } from '../../src/response/record';

const steps = numberSteps([
  {
    action: 'DeleteAccessKey',
    params: { UserName: 'u1', AccessKeyId: 'AKIAEXAMPLE000000001' },
    target: 'u1 key',
    reason: 'r',
    group: 'u1',
  },
  { action: 'DeleteUser', params: { UserName: 'u1' }, target: 'u1', reason: 'r', group: 'u1' },
  { action: 'DeleteUser', params: { UserName: 'u2' }, target: 'u2', reason: 'r', group: 'u2' },
]);

function writer(dir: string) {
  return RecordWriter.create(dir, {
    command: 'cleanup',
    accountId: '123456789012',
    partition: 'aws',
    caller: 'arn:aws:iam::123456789012:user/secops',
    target: 'orphaned-phantoms',
    subjects: [],
    steps,
    notes: [],
  });
}

describe('RecordWriter and executePlan', () => {
  it('writes every step pending before the first call, 0600 in a 0700 directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bks-rec-')), 'records');
    const w = await writer(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(w.path).mode & 0o777).toBe(0o600);
    const r = readRecord(w.path);
    expect(r.state).toBe('planned');
    expect(r.steps.map((s) => s.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('records each outcome as it happens; a failure stops its group only; the file always parses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-rec-'));
    const w = await writer(dir);
    const seen: string[] = [];
    const outcome = await executePlan(
      steps,
      async (s) => {
        // The record on disk already shows the previous step's outcome when the next one starts.
        seen.push(
          readRecord(w.path)
            .steps.map((x) => x.status)
            .join(','),
        );
        if (s.n === 1) throw Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' });
      },
      w,
    );
    expect(seen).toEqual(['pending,pending,pending', 'failed,not-run,pending']);
    expect(outcome).toMatchObject({ done: 1, failed: 1, notRun: 1 });
    const r = readRecord(w.path);
    expect(r.state).toBe('failed');
    expect(r.steps.map((s) => s.status)).toEqual(['failed', 'not-run', 'done']);
    expect(r.steps[0]?.error).toMatch(/not authorized/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a beforeGroup abort leaves that group not-run with the reason', async () => {
    const w = await writer(mkdtempSync(join(tmpdir(), 'bks-rec-')));
    await executePlan(steps, async () => {}, w, {
      beforeGroup: async (g) => (g === 'u1' ? 'changed since the plan' : undefined),
    });
    expect(readRecord(w.path).steps.map((s) => `${s.status}:${s.error ?? ''}`)).toEqual([
      'not-run:changed since the plan',
      'not-run:changed since the plan',
      'done:',
    ]);
  });

  it('a record that cannot be stored: nothing runs when the planned record fails, and the run stops at the first failed update', async () => {
    const stored: string[] = [];
    let failFrom = 0;
    const destination: RecordDestination = {
      locate: (name) => `mem://${name}`,
      async write(_location, text) {
        if (stored.length + 1 >= failFrom && failFrom > 0)
          throw new Error('AccessDenied: kms:GenerateDataKey');
        stored.push(JSON.parse(text).state);
      },
    };
    const ran: number[] = [];
    const run = async (st: { n: number }) => {
      ran.push(st.n);
    };
    failFrom = 1;
    await expect(
      actOnPlan(
        { command: 'cleanup', accountId: '123456789012', partition: 'aws', steps, notes: [] },
        {
          gate: { show: () => undefined, confirm: async () => 'yes' },
          recordDir: destination,
          caller: 'arn:aws:iam::123456789012:user/secops',
          target: 't',
          subjects: [],
          run,
        },
      ),
    ).rejects.toThrow(/kms:GenerateDataKey/);
    expect(ran).toEqual([]);
    // Planned and running stored; the update after step 1 fails: step 2 is never tried.
    failFrom = 3;
    const w = await RecordWriter.create(destination, {
      command: 'cleanup',
      accountId: '123456789012',
      partition: 'aws',
      caller: 'c',
      target: 't',
      subjects: [],
      steps,
      notes: [],
    });
    await expect(executePlan(steps, run, w)).rejects.toThrow(/kms:GenerateDataKey/);
    expect(ran).toEqual([1]);
    expect(stored).toEqual(['planned', 'running']);
  });

  it('refuses a file that is not a record (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-rec-'));
    writeFileSync(join(dir, 'x.json'), '{"schema":"other"}');
    expect(() => readRecord(join(dir, 'x.json'))).toThrow(/not a bks record/);
    expect(() => readRecord(join(dir, 'missing.json'))).toThrow(/not a readable JSON record/);
  });
});
