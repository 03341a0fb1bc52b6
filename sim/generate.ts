/**
 * Large scenarios for benchmarks: N accounts × M ordinary users (+ P phantom users each) with an
 * optional CloudTrail history of E events per region, deterministic by seed.
 *
 *   npx tsx sim/generate.ts --accounts 200 --users 500 --seed 1 > /tmp/org.json
 *   npx tsx sim/generate.ts --accounts 1 --users 0 --phantoms 5000 --seed 7 > /tmp/phantoms.json
 *   npx tsx sim/generate.ts --accounts 1 --users 20 --events 500 --regions 17 --seed 3 > /tmp/tl.json
 *
 * The first account is the organization's management account (`111111111111`, principal
 * `secops` with the access key printed in `principals[0]`); every member account has an
 * `OrganizationAccountAccessRole` trusting it. Phantom users cycle through every kind a scan must
 * classify (active key, orphaned, IAM access key = at risk, expired key, console password, Claude
 * Platform). Events (when asked) centre on the account's first phantom user: bearer-token
 * InvokeModel/Converse calls mixed with ordinary management events and bedrock-mantle
 * CreateInference data events, newest within the last 30 days before `now`.
 */
import { pathToFileURL } from 'node:url';
import { buildRecord, type CloudTrailRecord, type RecordedCall } from './cloudtrail';
import { prng } from './prng';
import { makeAccessKeyId, type Scenario, type ScenarioAccount, type ScenarioUser } from './scenario';

export interface GenerateOptions {
  accounts: number;
  /** Ordinary IAM users per account. */
  users: number;
  /** Phantom users per account (in addition to `users`); default 5 % of `users`, at least 1. */
  phantoms?: number;
  /** CloudTrail events per account per region; default 0. */
  events?: number;
  /** Number of regions events spread over (from a fixed list of 17); default 3. */
  regions?: number;
  seed: number;
  /** Scenario clock; default 2026-11-20T12:00:00Z. */
  now?: string;
}

export const MANAGEMENT_ACCOUNT = '111111111111';

/** The 17 commercial regions events spread over, in this order. */
export const GENERATOR_REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-northeast-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'us-east-2',
  'us-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-2',
  'ca-central-1',
  'sa-east-1',
  'ap-northeast-3',
];

/** Deterministic helpers over one generator. */
export class Dice {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }
  chars(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  /** An RFC 4122-looking id (for eventID/requestID). */
  uuid(): string {
    const h = this.chars(32, '0123456789abcdef');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** A 32-bit integer (for key ids). */
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

const FIRST = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'yusuf',
  'zoe',
  'amara',
  'bruno',
  'chen',
  'diego',
  'elena',
  'farah',
  'goran',
  'hana',
  'igor',
  'jonas',
  'kenji',
  'lucia',
  'mateo',
  'nora',
  'omar',
  'priya',
  'quinn',
  'ravi',
  'sofia',
  'tomas',
  'uma',
  'vera',
  'wei',
  'ximena',
  'yara',
];
const LAST = [
  'nguyen',
  'martinez',
  'smith',
  'kim',
  'patel',
  'garcia',
  'muller',
  'rossi',
  'tanaka',
  'okafor',
  'silva',
  'kowalski',
  'jensen',
  'dubois',
  'haddad',
  'ivanova',
  'lopez',
  'chen',
  'singh',
  'novak',
  'berg',
  'costa',
];
const SERVICES_USERS = [
  'svc-payments-api',
  'svc-orders-worker',
  'svc-etl-nightly',
  'svc-grafana',
  'svc-backup',
  'ci-deployer',
  'ci-terraform',
  'svc-chatbot',
  'svc-search-indexer',
  'svc-notifications',
  'svc-reporting',
  'svc-ml-batch',
];
const MODELS = [
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'anthropic.claude-opus-4-1-20250805-v1:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'amazon.nova-pro-v1:0',
  'meta.llama3-1-70b-instruct-v1:0',
];
const AGENTS = [
  'python-requests/2.32.5',
  'Boto3/1.40.12 md/Botocore#1.40.12 ua/2.1 os/linux#6.8',
  'curl/8.5.0',
  'OpenAI/Python 2.8.1',
];
const BEDROCK_POLICY = 'AmazonBedrockLimitedAccess';
const ANTHROPIC_POLICY = 'AnthropicLimitedAccess';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function accountId(i: number): string {
  return i === 0 ? MANAGEMENT_ACCOUNT : String(200000000000 + i * 1001);
}

type PhantomKind = 'active' | 'orphaned' | 'at-risk' | 'expired' | 'console' | 'claude';
const PHANTOM_KINDS: PhantomKind[] = [
  'active',
  'orphaned',
  'at-risk',
  'active',
  'expired',
  'console',
  'claude',
  'orphaned',
];

function phantom(
  d: Dice,
  kind: PhantomKind,
  partition: string,
  nowMs: number,
  taken: Set<string>,
): ScenarioUser {
  const claude = kind === 'claude';
  let name: string;
  do {
    name = `${claude ? 'AeaApiKey-' : 'BedrockAPIKey-'}${d.chars(4)}`;
  } while (taken.has(name.toLowerCase()));
  taken.add(name.toLowerCase());
  const created = nowMs - (5 + d.int(200)) * 86400_000;
  const user: ScenarioUser = {
    name,
    createdAt: iso(created),
    managedPolicies: [`arn:${partition}:iam::aws:policy/${claude ? ANTHROPIC_POLICY : BEDROCK_POLICY}`],
  };
  const service = claude ? 'aws-external-anthropic.amazonaws.com' : 'bedrock.amazonaws.com';
  if (kind === 'active' || kind === 'at-risk' || kind === 'console' || kind === 'claude') {
    const never = d.int(3) === 0;
    user.serviceCredentials = [
      {
        service,
        createdAt: iso(created + 1000),
        expiresAt: never ? null : iso(nowMs + (1 + d.int(60)) * 86400_000),
      },
    ];
  }
  if (kind === 'expired') {
    user.serviceCredentials = [
      { service, createdAt: iso(created + 1000), expiresAt: iso(created + 30 * 86400_000) },
    ];
  }
  if (kind === 'at-risk')
    user.accessKeys = [{ createdAt: iso(created + 3 * 86400_000), lastUsedAt: iso(nowMs - 3600_000) }];
  if (kind === 'console') user.loginProfile = true;
  return user;
}

function ordinaryUser(
  d: Dice,
  i: number,
  partition: string,
  nowMs: number,
  taken: Set<string>,
): ScenarioUser {
  let name =
    i < SERVICES_USERS.length && d.int(2) === 0
      ? (SERVICES_USERS[i] as string)
      : `${d.pick(FIRST)}.${d.pick(LAST)}`;
  if (taken.has(name.toLowerCase())) {
    let n = 2;
    while (taken.has(`${name}${n}`.toLowerCase())) n++;
    name = `${name}${n}`;
  }
  taken.add(name.toLowerCase());
  const created = nowMs - (30 + d.int(1500)) * 86400_000;
  const user: ScenarioUser = { name, createdAt: iso(created) };
  const roll = d.next();
  if (roll < 0.35)
    user.accessKeys = [
      {
        createdAt: iso(created + 86400_000),
        lastUsedAt: d.int(4) === 0 ? null : iso(nowMs - d.int(30) * 86400_000),
      },
    ];
  if (roll > 0.97) {
    // An API key created with the API on an ordinary user: name-prefix scans miss it.
    user.serviceCredentials = [
      { service: 'bedrock.amazonaws.com', createdAt: iso(nowMs - d.int(90) * 86400_000), expiresAt: null },
    ];
  } else if (roll > 0.95) {
    user.serviceCredentials = [
      { service: 'codecommit.amazonaws.com', createdAt: iso(created + 2 * 86400_000) },
    ];
  }
  if (d.int(10) === 0) user.managedPolicies = [`arn:${partition}:iam::aws:policy/ReadOnlyAccess`];
  return user;
}

function identityOf(
  partition: string,
  account: string,
  user: ScenarioUser,
  userId: string,
  accessKeyId?: string,
) {
  const id: Record<string, unknown> = {
    type: 'IAMUser',
    principalId: userId,
    arn: `arn:${partition}:iam::${account}:user/${user.name}`,
    accountId: account,
  };
  if (accessKeyId) id.accessKeyId = accessKeyId;
  id.userName = user.name;
  return id;
}

/**
 * A bedrock-mantle `CreateInference` with a long-term key: a data event, shaped as the Bedrock user
 * guide's example record ("Monitor bedrock-mantle API calls using CloudTrail"): flags in
 * `requestParameters`, `managementEvent: false`, `eventCategory: "Data"`, the project in
 * `resources` (here the `default` project, which a call naming none uses). LookupEvents never
 * returns it, and only a trail selecting `AWS::BedrockMantle::Project` data events logs it.
 */
function mantleInference(
  common: Pick<
    RecordedCall,
    'region' | 'recipientAccountId' | 'sourceIp' | 'userAgent' | 'requestId' | 'eventId' | 'time'
  >,
  userIdentity: Record<string, unknown>,
  partition: string,
  account: string,
  region: string,
): CloudTrailRecord {
  return buildRecord({
    ...common,
    userIdentity,
    eventSource: 'bedrock-mantle.amazonaws.com',
    eventName: 'CreateInference',
    requestParameters: {
      model: 'openai.gpt-oss-120b',
      callWithBearerToken: true,
      bearerTokenType: 'LONG_TERM',
    },
    responseElements: null,
    readOnly: false,
    data: true,
    resources: [
      {
        accountId: account,
        type: 'AWS::BedrockMantle::Project',
        ARN: `arn:${partition}:bedrock-mantle:${region}:${account}:project/default`,
      },
    ],
  });
}

/** E events per region for one account, oldest first. */
function accountEvents(
  d: Dice,
  partition: string,
  account: string,
  users: ScenarioUser[],
  perRegion: number,
  regions: string[],
  nowMs: number,
): CloudTrailRecord[] {
  if (perRegion <= 0 || users.length === 0) return [];
  const actor = users.find((u) => u.name.startsWith('BedrockAPIKey-')) ?? users[0]!;
  const others = users.filter((u) => u !== actor);
  const span = 30 * 86400_000;
  const out: CloudTrailRecord[] = [];
  for (const region of regions) {
    for (let i = 0; i < perRegion; i++) {
      const time = new Date(nowMs - 60_000 - Math.floor(d.next() * span));
      const byActor = others.length === 0 || d.next() < 0.7;
      const user = byActor ? actor : d.pick(others);
      const ip = byActor ? `203.0.113.${10 + d.int(50)}` : `198.51.100.${10 + d.int(200)}`;
      const common = {
        region,
        recipientAccountId: account,
        sourceIp: ip,
        userAgent: d.pick(AGENTS),
        requestId: d.uuid(),
        eventId: d.uuid(),
        time,
      };
      const userId = `AIDA${d.chars(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
      const roll = d.next();
      if (region === 'us-east-1' && roll < 0.08) {
        out.push(
          buildRecord({
            ...common,
            userIdentity: identityOf(
              partition,
              account,
              user,
              userId,
              `AKIA${d.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
            ),
            eventSource: 'iam.amazonaws.com',
            eventName: d.pick(['ListUsers', 'GetUser', 'ListAccessKeys', 'CreateAccessKey']),
            requestParameters: { userName: user.name },
            responseElements: null,
            readOnly: true,
          }),
        );
        continue;
      }
      const bearer = byActor && roll < 0.9;
      const identity = identityOf(partition, account, user, userId);
      if (bearer && roll > 0.8) {
        out.push(mantleInference(common, identity, partition, account, region));
        continue;
      }
      out.push(
        buildRecord({
          ...common,
          userIdentity: identity,
          eventSource: 'bedrock.amazonaws.com',
          eventName: d.pick(['InvokeModel', 'InvokeModel', 'Converse', 'ListFoundationModels']),
          requestParameters: { modelId: d.pick(MODELS) },
          responseElements: null,
          readOnly: true,
          ...(bearer ? { additionalEventData: { callWithBearerToken: true } } : {}),
        }),
      );
    }
  }
  out.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  return out;
}

/** A deterministic scenario of `accounts` × (`users` + `phantoms`) users. */
export function generateScenario(opts: GenerateOptions): Scenario {
  const partition = 'aws';
  const now = opts.now ?? '2026-11-20T12:00:00Z';
  const nowMs = Date.parse(now);
  const d = new Dice(opts.seed);
  const phantoms = opts.phantoms ?? Math.max(1, Math.round(opts.users * 0.05));
  const regionCount = Math.min(Math.max(opts.regions ?? 3, 1), GENERATOR_REGIONS.length);
  const regions = GENERATOR_REGIONS.slice(0, regionCount);
  const accounts: ScenarioAccount[] = [];
  for (let a = 0; a < opts.accounts; a++) {
    const id = accountId(a);
    const taken = new Set<string>();
    const users: ScenarioUser[] = [];
    if (a === 0) {
      taken.add('secops');
      users.push({
        name: 'secops',
        createdAt: iso(nowMs - 400 * 86400_000),
        managedPolicies: [`arn:${partition}:iam::aws:policy/SecurityAudit`],
      });
    }
    for (let i = 0; i < opts.users; i++) users.push(ordinaryUser(d, i, partition, nowMs, taken));
    for (let i = 0; i < phantoms; i++)
      users.push(phantom(d, PHANTOM_KINDS[i % PHANTOM_KINDS.length] as PhantomKind, partition, nowMs, taken));
    const account: ScenarioAccount = { id, alias: a === 0 ? 'management' : `member-${a}`, regions, users };
    if (a > 0) {
      account.roles = [
        {
          name: 'OrganizationAccountAccessRole',
          trustedAccounts: [MANAGEMENT_ACCOUNT],
          managedPolicies: [`arn:${partition}:iam::aws:policy/AdministratorAccess`],
        },
      ];
    }
    const events = accountEvents(
      d,
      partition,
      id,
      users.filter((u) => u.name !== 'secops'),
      opts.events ?? 0,
      regions,
      nowMs,
    );
    if (events.length > 0) account.events = events;
    accounts.push(account);
  }
  return {
    partition,
    now,
    seed: opts.seed,
    principals: [
      {
        accessKeyId: makeAccessKeyId('AKIA', MANAGEMENT_ACCOUNT, () => d.u32()),
        secretAccessKey: `simEXAMPLE${d.chars(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
        account: MANAGEMENT_ACCOUNT,
        arn: `arn:${partition}:iam::${MANAGEMENT_ACCOUNT}:user/secops`,
      },
    ],
    organization: {
      managementAccount: MANAGEMENT_ACCOUNT,
      accounts: accounts.map((x) => ({ id: x.id, name: x.alias ?? x.id })),
    },
    accounts,
  };
}

function parseArgs(argv: string[]): GenerateOptions {
  const opts: Record<string, number> = {};
  const names = ['accounts', 'users', 'phantoms', 'events', 'regions', 'seed'];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !names.includes(name))
      throw new Error(`unknown option ${flag} (use --${names.join(', --')})`);
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a whole number >= 0`);
    opts[name] = v;
  }
  if (opts.accounts === undefined || opts.accounts < 1) throw new Error('--accounts N (>= 1) is required');
  if (opts.users === undefined) throw new Error('--users M is required');
  return {
    accounts: opts.accounts,
    users: opts.users,
    phantoms: opts.phantoms,
    events: opts.events,
    regions: opts.regions,
    seed: opts.seed ?? 1,
  };
}

/** CLI: writes the scenario JSON to stdout; bad flags print one line and exit 2. */
export function main(argv: string[]): number {
  let opts: GenerateOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`generate: ${(e as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(generateScenario(opts))}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
