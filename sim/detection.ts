/**
 * The detection prerequisites and pipeline resources of a simulated account, in the scenario and
 * the state: `cloudtrail` (trails.ts), `securityHub`, `guardDuty`, `bedrockLogging`, `eventBridge`
 * (services/events.ts) and `sqs` (services/sqs.ts). Without a `cloudtrail` key an account has one
 * multi-region trail logging all management events; without the other keys nothing is enabled.
 *
 * Regional services take an optional `regions` list (Security Hub, Bedrock logging) or a `Region`
 * per detector (GuardDuty); absent, the setting holds in every region of the account.
 */
import { ScenarioError } from './scenario';
import { loadEventBridge, type SimEventBridge } from './services/events';
import { loadSqs, type SimSqs } from './services/sqs';
import { loadCloudTrail, type SimTrail } from './trails';

export interface SimCloudTrail {
  trails: SimTrail[];
}

export interface SimSecurityHub {
  enabled: boolean;
  /** The Security Hub administrator account of this account (GetAdministratorAccount). */
  administratorAccount?: string;
  /** Regions where the hub is enabled; default every region of the account. */
  regions?: string[];
  subscribedAt?: string;
  autoEnableControls?: boolean;
  controlFindingGenerator?: 'STANDARD_CONTROL' | 'SECURITY_CONTROL';
}

/** A GuardDuty detector as GetDetector answers it (SDK member names), plus its id and region. */
export type SimDetector = Record<string, unknown> & {
  DetectorId: string;
  Region?: string;
  Status: 'ENABLED' | 'DISABLED';
  Features?: { Name: string; Status: string; AdditionalConfiguration?: { Name: string; Status: string }[] }[];
};

export interface SimGuardDuty {
  detectors: SimDetector[];
}

/** GetModelInvocationLoggingConfiguration's `loggingConfig`, plus the regions it holds in. */
export type SimBedrockLogging = Record<string, unknown> & { regions?: string[] };

export const DETECTION_KEYS = [
  'cloudtrail',
  'securityHub',
  'guardDuty',
  'bedrockLogging',
  'eventBridge',
  'sqs',
];

const ACCOUNT_RE = /^\d{12}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function regionList(v: unknown, path: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((r) => typeof r !== 'string' || !REGION_RE.test(r))) {
    throw new ScenarioError(path, 'must be an array of region names');
  }
  return v as string[];
}

function loadSecurityHub(v: unknown, path: string): SimSecurityHub | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new ScenarioError(path, 'must be an object');
  for (const k of Object.keys(v)) {
    if (
      ![
        'enabled',
        'administratorAccount',
        'regions',
        'subscribedAt',
        'autoEnableControls',
        'controlFindingGenerator',
      ].includes(k)
    ) {
      throw new ScenarioError(`${path}.${k}`, 'unknown field');
    }
  }
  if (typeof v.enabled !== 'boolean') throw new ScenarioError(`${path}.enabled`, 'must be true or false');
  const out: SimSecurityHub = { enabled: v.enabled };
  if (v.administratorAccount !== undefined && v.administratorAccount !== null) {
    if (typeof v.administratorAccount !== 'string' || !ACCOUNT_RE.test(v.administratorAccount)) {
      throw new ScenarioError(`${path}.administratorAccount`, 'must be a 12-digit account id');
    }
    out.administratorAccount = v.administratorAccount;
  }
  const regions = regionList(v.regions, `${path}.regions`);
  if (regions) out.regions = regions;
  if (typeof v.subscribedAt === 'string') out.subscribedAt = v.subscribedAt;
  if (typeof v.autoEnableControls === 'boolean') out.autoEnableControls = v.autoEnableControls;
  if (v.controlFindingGenerator === 'STANDARD_CONTROL' || v.controlFindingGenerator === 'SECURITY_CONTROL') {
    out.controlFindingGenerator = v.controlFindingGenerator;
  }
  return out;
}

function loadGuardDuty(v: unknown, path: string, accountId: string): SimGuardDuty | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v) || !Array.isArray(v.detectors))
    throw new ScenarioError(`${path}.detectors`, 'must be an array');
  const detectors = v.detectors.map((d, i): SimDetector => {
    const p = `${path}.detectors[${i}]`;
    if (!isObj(d)) throw new ScenarioError(p, 'must be an object');
    const status = d.Status ?? 'ENABLED';
    if (status !== 'ENABLED' && status !== 'DISABLED')
      throw new ScenarioError(`${p}.Status`, 'must be ENABLED or DISABLED');
    const region = d.Region === undefined ? undefined : regionList([d.Region], `${p}.Region`)?.[0];
    if (d.Features !== undefined) {
      if (!Array.isArray(d.Features)) throw new ScenarioError(`${p}.Features`, 'must be an array');
      d.Features.forEach((f, j) => {
        if (!isObj(f) || typeof f.Name !== 'string')
          throw new ScenarioError(`${p}.Features[${j}].Name`, 'must be a string');
        if (f.Status !== 'ENABLED' && f.Status !== 'DISABLED') {
          throw new ScenarioError(`${p}.Features[${j}].Status`, 'must be ENABLED or DISABLED');
        }
      });
    }
    const id =
      typeof d.DetectorId === 'string'
        ? d.DetectorId
        : `${accountId}${region ?? 'all'}${i}`
            .replace(/[^a-z0-9]/g, '')
            .padEnd(32, '0')
            .slice(0, 32);
    return { ...d, DetectorId: id, Status: status, ...(region ? { Region: region } : {}) } as SimDetector;
  });
  return { detectors };
}

function loadBedrockLogging(v: unknown, path: string): SimBedrockLogging | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new ScenarioError(path, 'must be an object (a loggingConfig)');
  for (const k of Object.keys(v)) {
    if (
      ![
        'cloudWatchConfig',
        's3Config',
        'textDataDeliveryEnabled',
        'imageDataDeliveryEnabled',
        'embeddingDataDeliveryEnabled',
        'videoDataDeliveryEnabled',
        'audioDataDeliveryEnabled',
        'regions',
      ].includes(k)
    ) {
      throw new ScenarioError(`${path}.${k}`, 'unknown field');
    }
  }
  regionList(v.regions, `${path}.regions`);
  return { ...v };
}

/** The detection fields of one account (see the file comment), ready to spread into the account. */
export function loadDetection(
  o: Record<string, unknown>,
  path: string,
  accountId: string,
  regions: string[],
  partition: string,
  now: string,
): {
  cloudtrail: SimCloudTrail;
  securityHub?: SimSecurityHub;
  guardDuty?: SimGuardDuty;
  bedrockLogging?: SimBedrockLogging;
  eventBridge?: SimEventBridge;
  sqs?: SimSqs;
} {
  const out: ReturnType<typeof loadDetection> = {
    cloudtrail: loadCloudTrail(o.cloudtrail, `${path}.cloudtrail`, accountId, regions, partition),
  };
  const sh = loadSecurityHub(o.securityHub, `${path}.securityHub`);
  if (sh) out.securityHub = sh;
  const gd = loadGuardDuty(o.guardDuty, `${path}.guardDuty`, accountId);
  if (gd) out.guardDuty = gd;
  const bl = loadBedrockLogging(o.bedrockLogging, `${path}.bedrockLogging`);
  if (bl) out.bedrockLogging = bl;
  const eb = loadEventBridge(o.eventBridge, `${path}.eventBridge`, accountId, regions, now);
  if (eb) out.eventBridge = eb;
  const q = loadSqs(o.sqs, `${path}.sqs`, regions, Date.parse(now));
  if (q) out.sqs = q;
  return out;
}

/** Whether a regional setting with an optional `regions` list holds in a region. */
export function inRegion(
  setting: { regions?: string[] } | undefined,
  accountRegions: string[],
  region: string,
): boolean {
  if (!setting) return false;
  return (setting.regions ?? accountRegions).includes(region);
}
