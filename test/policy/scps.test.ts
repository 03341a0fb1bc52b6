import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AuthorizationRequest, isExplicitlyDenied, statementsOf } from '../../src/policy/evaluate';
import {
  loadScpCatalog,
  minifyPolicy,
  proveScp,
  renderScp,
  resolveParams,
  SCP_CONTROLS,
  SCP_MAX_CHARS,
  type ScpEntry,
  scpDirectory,
} from '../../src/policy/scps';
import { managedPolicyArn, OTHER_SSC_SERVICE_NAMES, SERVICES } from '../../src/services';

const catalog = loadScpCatalog({ includeNegative: true });
const deployable = catalog.filter((e) => !e.negativeExample);
const byName = (name: string): ScpEntry => {
  const entry = catalog.find((e) => e.name === name);
  if (!entry) throw new Error(`no SCP ${name}`);
  return entry;
};
const PARTITIONS = ['aws', 'aws-us-gov', 'aws-cn'];

/** Every value a parameter is proven at: the bounds, the default and a few in between. */
function parameterSets(entry: ScpEntry): Record<string, number>[] {
  const [name, spec] = Object.entries(entry.parameters)[0] ?? [];
  if (!name || !spec) return [{}];
  return [...new Set([spec.min, spec.min + 1, 30, spec.default, 365, spec.max - 1, spec.max])].map((v) => ({
    [name]: v,
  }));
}

describe('the SCP catalog', () => {
  it('holds the five controls and the documented negative example', () => {
    expect(deployable.map((e) => e.name)).toEqual([...SCP_CONTROLS]);
    expect(SCP_CONTROLS).toEqual([
      'api-key-max-age',
      'deny-api-keys',
      'deny-long-term-api-keys',
      'deny-phantom-escalation',
      'deny-phantom-users',
    ]);
    expect(catalog.filter((e) => e.negativeExample).map((e) => e.name)).toEqual([
      'negative/baseline-max-age-no-null',
    ]);
  });

  describe.each(catalog.map((e) => [e.name, e] as const))('%s', (_name, entry) => {
    it.each(parameterSets(entry).map((p) => [JSON.stringify(p), p] as const))(
      'denies its must-deny, allows its must-allow, and its known gaps stay true (params %s)',
      (_label, params) => {
        const failures = proveScp(entry, params)
          .filter((line) => !line.ok)
          .map(
            (line) => `${line.expected}: ${line.request.name} (${line.request.action}) denied=${line.denied}`,
          );
        expect(failures).toEqual([]);
      },
    );

    it(`fits the ${SCP_MAX_CHARS}-character SCP limit at every parameter value`, () => {
      for (const params of parameterSets(entry)) {
        expect(minifyPolicy(renderScp(entry, params)).length).toBeLessThanOrEqual(SCP_MAX_CHARS);
      }
    });

    it('is deny-only, current grammar, and partition-neutral', () => {
      const policy = renderScp(entry);
      expect(policy.Version).toBe('2012-10-17');
      for (const statement of statementsOf(policy)) expect(statement.Effect).toBe('Deny');
      const text = readFileSync(join(scpDirectory(), `${entry.name}.json`), 'utf8');
      expect(text).not.toMatch(/arn:aws(-[a-z]+)*:/);
      for (const arn of text.match(/"arn:[^"]*"/g) ?? []) expect(arn).toMatch(/^"arn:\*:/);
    });

    it('names every sample and explains every known gap', () => {
      for (const r of [...entry.mustDeny, ...entry.mustAllow]) expect(r.name.length).toBeGreaterThan(3);
      for (const r of entry.knownGaps) expect(r.reason?.length ?? 0).toBeGreaterThan(10);
    });
  });
});

/**
 * Each control's duty, derived from the service table: adding a key-bearing service to
 * src/services.ts without extending the SCPs fails here.
 */
describe('every key-bearing service in src/services.ts is covered', () => {
  const denied = (name: string, request: AuthorizationRequest) =>
    isExplicitlyDenied([renderScp(byName(name))], request);
  const create = (serviceName: string, partition: string, age?: number): AuthorizationRequest => ({
    action: 'iam:CreateServiceSpecificCredential',
    resource: `arn:${partition}:iam::111122223333:user/someone`,
    context: {
      'iam:ServiceSpecificCredentialServiceName': serviceName,
      ...(age === undefined ? {} : { 'iam:ServiceSpecificCredentialAgeDays': age }),
    },
  });
  const keyControls = ['deny-api-keys', 'deny-long-term-api-keys', 'api-key-max-age'];

  it.each(SERVICES.map((s) => [s.id, s] as const))('%s', (_id, service) => {
    for (const partition of PARTITIONS) {
      for (const control of keyControls)
        expect(denied(control, create(service.sscServiceName, partition))).toBe(true);
      expect(denied('api-key-max-age', create(service.sscServiceName, partition, 91))).toBe(true);
      expect(denied('api-key-max-age', create(service.sscServiceName, partition, 90))).toBe(false);

      const phantom = `arn:${partition}:iam::111122223333:user/${service.phantomUserPrefix}q1w2`;
      expect(denied('deny-phantom-users', { action: 'iam:CreateUser', resource: phantom })).toBe(true);
      const attach = (policyArn: string) => ({
        action: 'iam:AttachUserPolicy',
        resource: phantom,
        context: { 'iam:PolicyARN': policyArn },
      });
      expect(denied('deny-phantom-users', attach(managedPolicyArn(service, partition)))).toBe(true);
      expect(denied('deny-phantom-escalation', attach(managedPolicyArn(service, partition)))).toBe(false);
      expect(
        denied('deny-phantom-escalation', attach(`arn:${partition}:iam::aws:policy/AdministratorAccess`)),
      ).toBe(true);
      expect(denied('deny-phantom-escalation', { action: 'iam:CreateAccessKey', resource: phantom })).toBe(
        true,
      );
    }
    for (const ns of service.actionNamespaces) {
      const use = (type: string) => ({
        action: `${ns}:CallWithBearerToken`,
        resource: '*',
        context: { [`${ns}:BearerTokenType`]: type },
      });
      expect(denied('deny-api-keys', use('SHORT_TERM'))).toBe(true);
      expect(denied('deny-long-term-api-keys', use('LONG_TERM'))).toBe(true);
      expect(denied('deny-long-term-api-keys', use('SHORT_TERM'))).toBe(false);
    }
  });

  it.each(OTHER_SSC_SERVICE_NAMES)('leaves %s credentials alone', (serviceName) => {
    for (const control of keyControls) {
      expect(denied(control, create(serviceName, 'aws'))).toBe(false);
      expect(denied(control, create(serviceName, 'aws', 36600))).toBe(false);
    }
  });
});

describe("the baseline's max-age policy (negative example)", () => {
  it('lets the never-expiring key through, which api-key-max-age denies', () => {
    const broken = byName('negative/baseline-max-age-no-null');
    const neverExpiring = broken.knownGaps[0]!;
    expect(neverExpiring.context).not.toHaveProperty(['iam:ServiceSpecificCredentialAgeDays']);
    expect(isExplicitlyDenied([renderScp(broken)], neverExpiring)).toBe(false);
    expect(isExplicitlyDenied([renderScp(byName('api-key-max-age'))], neverExpiring)).toBe(true);
  });
});

describe('templates', () => {
  it('fills in the maximum age, and refuses a value out of range or a parameter a policy lacks', () => {
    const maxAge = byName('api-key-max-age');
    expect(minifyPolicy(renderScp(maxAge, { maxAgeDays: 30 }))).toContain(
      '"NumericGreaterThan":{"iam:ServiceSpecificCredentialAgeDays":"30"}',
    );
    expect(resolveParams(maxAge)).toEqual({ maxAgeDays: 90 });
    expect(() => resolveParams(maxAge, { maxAgeDays: 0 })).toThrow(/between 1 and 36600/);
    expect(() => resolveParams(byName('deny-api-keys'), { maxAgeDays: 5 })).toThrow(
      /takes no parameter maxAgeDays/,
    );
    expect(minifyPolicy(renderScp(maxAge))).not.toContain('{{');
  });

  it('rejects a malformed tests file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bks-scps-'));
    mkdirSync(join(dir, 'negative'));
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ Version: '2012-10-17', Statement: [] }));
    writeFileSync(join(dir, 'x.tests.json'), JSON.stringify({ title: 't', description: 'd', mustDeny: [] }));
    expect(() => loadScpCatalog({ dir })).toThrow(/x\.tests\.json: mustDeny must be a non-empty list/);
  });
});
