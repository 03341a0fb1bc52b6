/**
 * Fetching the IAM credential report from bks-sim over real HTTP: Generate is polled with back-off
 * while the report is built (STARTED → INPROGRESS → COMPLETE), then Get. The waits are the sim's
 * clock moved forward (the fetcher's `sleep`), so the three-state path runs without waiting; the
 * rest of the suite runs with a 200 ms build (vitest.config.mts), which these tests also pin.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { fetchCredentialReport } from '../../src/inventory/credential-report';
import { clientConfig } from '../sim/harness';

const scenario = { accounts: [{ id: '111111111111', users: [{ name: 'alice' }] }] };
const saved = process.env['BKS_SIM_CREDENTIAL_REPORT_MS'];
afterEach(() => {
  if (saved === undefined) delete process.env['BKS_SIM_CREDENTIAL_REPORT_MS'];
  else process.env['BKS_SIM_CREDENTIAL_REPORT_MS'] = saved;
});

/** Fetches the report with the sim clock standing in for the waits; the states Generate answered. */
async function fetchWithSimClock(buildMs: string | undefined) {
  if (buildMs === undefined) delete process.env['BKS_SIM_CREDENTIAL_REPORT_MS'];
  else process.env['BKS_SIM_CREDENTIAL_REPORT_MS'] = buildMs;
  const sim: SimHandle = await startSim({ scenario });
  const iam = new IAMClient(clientConfig(sim));
  const states: string[] = [];
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'GenerateCredentialReportCommand')
        states.push(String((out.output as { State?: string }).State));
      return out;
    },
    { step: 'initialize' },
  );
  const waits: number[] = [];
  try {
    const report = await fetchCredentialReport(iam, {
      sleep: async (ms) => {
        waits.push(ms);
        sim.advanceClock(ms / 1000);
      },
    });
    return { report, states, waits, calls: sim.stats().calls };
  } finally {
    iam.destroy();
    await sim.close();
  }
}

describe('credential report polling against bks-sim', () => {
  it('by default (500 ms to build): STARTED, INPROGRESS, COMPLETE, then one Get', async () => {
    const r = await fetchWithSimClock(undefined);
    expect(r.states).toEqual(['STARTED', 'INPROGRESS', 'COMPLETE']);
    expect(r.waits).toEqual([250, 500]);
    expect(r.calls['iam:GenerateCredentialReport']).toBe(3);
    expect(r.calls['iam:GetCredentialReport']).toBe(1);
    expect([...r.report.rows.keys()]).toEqual(['alice']);
  });

  it('as the test suite runs it (200 ms): STARTED, one wait, COMPLETE — the polling path, shorter', async () => {
    const r = await fetchWithSimClock('200');
    expect(r.states).toEqual(['STARTED', 'COMPLETE']);
    expect(r.waits).toEqual([250]);
    expect(r.calls['iam:GenerateCredentialReport']).toBe(2);
    expect(r.calls['iam:GetCredentialReport']).toBe(1);
  });

  it('a build time that is not a whole number of milliseconds refuses to start the sim', async () => {
    process.env['BKS_SIM_CREDENTIAL_REPORT_MS'] = '0.5s';
    await expect(startSim({ scenario })).rejects.toThrow(
      'BKS_SIM_CREDENTIAL_REPORT_MS must be a whole number of milliseconds, got "0.5s"',
    );
  });
});
