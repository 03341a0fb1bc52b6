/**
 * A key inside a CloudTrail field is never printed. CloudTrail copies what a caller sent: a key
 * pasted into a user agent, a header echoed into `sourceIPAddress`, a request parameter. `timeline`,
 * `report` (markdown, JSON, HTML) and `hunt` print those fields; each prints the key's alias (or its
 * signing access key id) and never the key or its secret.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { maskKeys, maskKeysDeep } from '../../src/keys/mask';
import { normalize } from '../../src/pipeline/incident';
import { bks } from '../cli/bks-runner';
import { generatedShortTermKey } from '../helpers/bedrock-token';
import { trailRecord } from '../helpers/cloudtrail';
import {
  ACCT,
  allText,
  baseScenario,
  LIMITED,
  longTermKey,
  type SimEnv,
  secret,
  simEnv,
} from '../response/sim-helpers';

const USER = 'BedrockAPIKey-m4sk';
const OTHER_ALIAS = `BedrockAPIKey-zz99-at-${ACCT}`;
const KEY = longTermKey(`${USER}-at-${ACCT}`, secret('m'));
const OTHER_KEY = longTermKey(OTHER_ALIAS, secret('other'));
// A short-term key made by AWS's own generator (a real SigV4 presign).
const SHORT = await generatedShortTermKey(
  {
    accessKeyId: ['ASIA', 'MASKTESTSHORTABC'].join(''),
    secretAccessKey: ['not', 'a', 'real', 'secret'].join('-'),
    sessionToken: ['session', 'token'].join('-'),
  },
  'us-east-1',
  new Date(Date.now() - 600_000),
);

function record(i: number, extra: Record<string, unknown>) {
  return trailRecord(
    {
      account: ACCT,
      userName: USER,
      region: 'us-east-1',
      time: new Date(Date.now() - (i + 5) * 60_000),
      id: `evt-mask-${i}`,
      requestId: `req-${i}`,
      principalId: 'AIDAEXAMPLEMASKTEST1',
      bearer: true,
    },
    extra,
  );
}

const EVENTS = [
  record(1, { userAgent: `curl/8.5 Authorization: Bearer ${KEY}` }),
  record(2, { sourceIPAddress: OTHER_KEY }),
  record(3, {
    requestParameters: { modelId: 'm', note: `AWS_BEARER_TOKEN_BEDROCK=${OTHER_KEY}`, token: SHORT },
  }),
  record(4, {
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateServiceSpecificCredential',
    readOnly: false,
    additionalEventData: {},
    userAgent: `aws-cli/2 ${SHORT}`,
    sourceIPAddress: KEY,
    requestParameters: { userName: USER, serviceName: 'bedrock.amazonaws.com' },
  }),
];

function assertNoKey(text: string) {
  for (const k of [KEY, OTHER_KEY, SHORT]) expect(text).not.toContain(k);
  for (const s of [secret('m'), secret('other')]) expect(text).not.toContain(s);
  // A head of the key is not printed either (the base64 of "<alias>:" is not a secret, its tail is).
  expect(text).not.toContain(KEY.slice(0, 60));
  expect(text).not.toContain(SHORT.slice(-40));
}

let env: SimEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('masking keys in printed CloudTrail fields', () => {
  it('maskKeys keeps the alias or access key id and drops the secret', () => {
    const text = `ua ${KEY} and ${SHORT} end`;
    const masked = maskKeys(text);
    assertNoKey(masked);
    expect(masked).toContain(`${USER}-at-${ACCT}`);
    expect(masked).toContain('ASIAMASKTESTSHORTABC');
    expect(masked.startsWith('ua ')).toBe(true);
    expect(masked.endsWith(' end')).toBe(true);
    expect(maskKeys('nothing here ABSK')).toBe('nothing here ABSK');
    const deep = maskKeysDeep({ a: [KEY, { b: `x${OTHER_KEY}` }], n: 1, z: null });
    assertNoKey(JSON.stringify(deep));
    expect(deep.n).toBe(1);
    expect(JSON.stringify(deep)).toContain(OTHER_ALIAS);
  });

  it("the pipeline's incident (finding, notes, notifications) carries no key from the record", () => {
    const detail = { ...EVENTS[3]!, eventID: 'e-1', sourceIPAddress: KEY, userAgent: `x ${SHORT}` };
    const incident = normalize({
      ruleId: 'BKS-004-BEDROCK',
      severity: 'HIGH',
      event: { id: 'env-1', source: 'aws.iam', account: ACCT, region: 'us-east-1', detail },
    });
    assertNoKey(JSON.stringify(incident));
    expect(incident.sourceIp).toContain(`${USER}-at-${ACCT}`);
  });

  it('timeline, report (markdown, JSON, HTML) and hunt never print a key found in a record', async () => {
    env = await simEnv(
      baseScenario({
        accounts: [
          {
            id: ACCT,
            regions: ['us-east-1'],
            users: [
              { name: 'secops' },
              {
                name: USER,
                managedPolicies: [LIMITED],
                serviceCredentials: [
                  { service: 'bedrock.amazonaws.com', secret: secret('m'), status: 'Active' },
                ],
              },
            ],
            events: EVENTS as never,
          },
        ],
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'bks-mask-'));
    const runs = [
      await env.run(['timeline', USER, '--regions', 'us-east-1', '--days', '2']),
      await env.run(['timeline', USER, '--regions', 'us-east-1', '--days', '2', '-o', 'json']),
      await env.run(['report', USER, '--regions', 'us-east-1', '--days', '2']),
      await env.run(['report', USER, '--regions', 'us-east-1', '--days', '2', '-o', 'json']),
      await env.run([
        'report',
        USER,
        '--regions',
        'us-east-1',
        '--days',
        '2',
        '-o',
        'html',
        '--out-file',
        join(dir, 'r.html'),
      ]),
    ];
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const timelineJson = JSON.parse(runs[1]!.stdout) as { events: unknown[] };
    expect(timelineJson.events).toHaveLength(4);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    const printed = allText(...runs, html);
    assertNoKey(printed);
    // What identifies the key stays.
    expect(printed).toContain(`${USER}-at-${ACCT}`);
    expect(printed).toContain('ASIAMASKTESTSHORTABC');
    // hunt: the same records from a log file.
    writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: EVENTS }));
    const h = await bks(['hunt', join(dir, 'trail.json'), '-o', 'json']);
    const hm = await bks(['hunt', join(dir, 'trail.json')]);
    expect(JSON.parse(h.stdout).matches.length).toBeGreaterThan(0);
    assertNoKey(allText(h, hm));
    expect(allText(h)).toContain(OTHER_ALIAS);
  }, 60_000);
});
