/**
 * The detection prerequisites and pipeline resources of a simulated account, in the scenario and
 * the state: `cloudtrail` (trails.ts), `securityHub`, `guardDuty`, `bedrockLogging`, `eventBridge`
 * (services/events.ts) and `sqs` (services/sqs.ts). Without a `cloudtrail` key an account has one
 * multi-region trail logging all management events; without the other keys nothing is enabled.
 *
 * Regional services take an optional `regions` list (Security Hub, Bedrock logging) or a `Region`
 * per detector (GuardDuty); absent, the setting holds in every region of the account.
 */
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

/** `accounts[i].securityHub` (shape checked by the scenario's JSON Schema); null or absent → disabled. */
function loadSecurityHub(v: unknown): SimSecurityHub | undefined {
  if (v === undefined || v === null) return undefined;
  const { administratorAccount, ...hub } = v as SimSecurityHub & { administratorAccount?: string | null };
  return { ...hub, ...(administratorAccount ? { administratorAccount } : {}) };
}

/** `accounts[i].guardDuty` with each detector's id (derived when absent) and status (default ENABLED). */
function loadGuardDuty(v: unknown, accountId: string): SimGuardDuty | undefined {
  if (v === undefined || v === null) return undefined;
  const detectors = (v as { detectors: Partial<SimDetector>[] }).detectors.map(
    (d, i): SimDetector => ({
      ...d,
      DetectorId:
        d.DetectorId ??
        `${accountId}${d.Region ?? 'all'}${i}`
          .replace(/[^a-z0-9]/g, '')
          .padEnd(32, '0')
          .slice(0, 32),
      Status: d.Status ?? 'ENABLED',
    }),
  );
  return { detectors };
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
  const sh = loadSecurityHub(o.securityHub);
  if (sh) out.securityHub = sh;
  const gd = loadGuardDuty(o.guardDuty, accountId);
  if (gd) out.guardDuty = gd;
  if (o.bedrockLogging !== undefined && o.bedrockLogging !== null) {
    out.bedrockLogging = { ...(o.bedrockLogging as SimBedrockLogging) };
  }
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
