/**
 * The large-scenario generator: deterministic by seed, the sizes asked for, every phantom kind,
 * events per region, valid for the simulator, and its CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GENERATOR_REGIONS, generateScenario } from '../../sim/generate';
import { loadScenario } from '../../sim/scenario';

describe('generateScenario', () => {
  it('is deterministic by seed', () => {
    const a = JSON.stringify(generateScenario({ accounts: 3, users: 40, events: 5, seed: 7 }));
    expect(JSON.stringify(generateScenario({ accounts: 3, users: 40, events: 5, seed: 7 }))).toBe(a);
    expect(JSON.stringify(generateScenario({ accounts: 3, users: 40, events: 5, seed: 8 }))).not.toBe(a);
  });

  it('makes N accounts × (M users + P phantoms), an organization and member roles', () => {
    const s = generateScenario({ accounts: 4, users: 100, phantoms: 16, seed: 1 });
    expect(s.accounts).toHaveLength(4);
    expect(s.accounts[0]!.users).toHaveLength(117); // + secops in the management account
    expect(s.accounts[1]!.users).toHaveLength(116);
    expect(s.organization?.accounts).toHaveLength(4);
    for (const a of s.accounts.slice(1)) expect(a.roles?.[0]?.name).toBe('OrganizationAccountAccessRole');
    const phantoms = (s.accounts[1]!.users ?? []).filter((u) => /^(BedrockAPIKey|AeaApiKey)-/.test(u.name));
    expect(phantoms).toHaveLength(16);
    expect(phantoms.some((u) => u.accessKeys?.length)).toBe(true);
    expect(phantoms.some((u) => !u.serviceCredentials)).toBe(true);
    expect(phantoms.some((u) => u.loginProfile === true)).toBe(true);
    expect(phantoms.some((u) => u.name.startsWith('AeaApiKey-'))).toBe(true);
    const state = loadScenario(s);
    expect(new Set(state.accounts[1]!.users.map((u) => u.name.toLowerCase())).size).toBe(116);
  });

  it('spreads E events over each of R regions', () => {
    const s = generateScenario({ accounts: 1, users: 10, events: 50, regions: 17, seed: 3 });
    const events = s.accounts[0]!.events!;
    expect(events).toHaveLength(50 * 17);
    const regions = new Set(events.map((e) => e.awsRegion));
    expect([...regions].sort()).toEqual([...GENERATOR_REGIONS].sort());
    expect(
      events.some((e) => (e.additionalEventData as { callWithBearerToken?: boolean })?.callWithBearerToken),
    ).toBe(true);
    // bedrock-mantle inference is a data event (Bedrock user guide, "Monitor bedrock-mantle API
    // calls using CloudTrail"), every other generated event a management event.
    const mantle = events.filter((e) => e.eventSource === 'bedrock-mantle.amazonaws.com');
    expect(mantle.length).toBeGreaterThan(0);
    for (const e of mantle) {
      expect(e).toMatchObject({
        eventName: 'CreateInference',
        managementEvent: false,
        eventCategory: 'Data',
        requestParameters: { callWithBearerToken: true, bearerTokenType: 'LONG_TERM' },
        resources: [
          {
            accountId: e.recipientAccountId,
            type: 'AWS::BedrockMantle::Project',
            ARN: `arn:aws:bedrock-mantle:${e.awsRegion}:${e.recipientAccountId}:project/default`,
          },
        ],
      });
    }
    const others = events.filter((e) => e.eventSource !== 'bedrock-mantle.amazonaws.com');
    expect(others.every((e) => e.managementEvent === true && e.eventCategory === 'Management')).toBe(true);
    loadScenario(s);
  });

  // Run as `npx tsx sim/generate.ts` does (docs/simulator.md), without npx's own start-up.
  const tsx = (...args: string[]) =>
    [process.execPath, ['--import', 'tsx', 'sim/generate.ts', ...args]] as const;

  it('has a CLI that writes JSON and refuses bad flags with exit 2', () => {
    const out = execFileSync(...tsx('--accounts', '2', '--users', '5', '--seed', '4'), { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(
      JSON.parse(JSON.stringify(generateScenario({ accounts: 2, users: 5, seed: 4 }))),
    );
    const bad = spawnSync(...tsx('--acounts', '2'), { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
