/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per key format (from the format table) plus the
 * bearer-variable rule, one result per location. Messages name the key's owner and the secret's
 * fingerprint, never the key.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVICES } from '../services';
import type { Finding, FindingLocation, FindKeysResult } from './find';
import { KEY_FORMATS } from './formats';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

interface RuleSpec {
  id: string;
  name: string;
  description: string;
  severity: string;
  level: 'error' | 'warning';
}

const BEARER_RULE_ID = 'bks/bearer-env-assignment';

function ruleSpecs(): RuleSpec[] {
  const rules: RuleSpec[] = KEY_FORMATS.map((f) => ({
    id: `bks/${f.id}`,
    name: f.id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()),
    description: f.description,
    // A long-term key lives until revoked; a short-term key at most 12 hours.
    severity: f.kind === 'long-term' ? '9.1' : '7.5',
    level: 'error',
  }));
  rules.push({
    id: BEARER_RULE_ID,
    name: 'BearerEnvAssignment',
    description: `A value assigned to an AWS_BEARER_TOKEN_* variable (${SERVICES.map((s) => s.bearerEnvVar).join(', ')}, …)`,
    severity: '5.0',
    level: 'warning',
  });
  return rules;
}

function ruleIdOf(f: Finding): string {
  return f.kind === 'bearer-env-assignment' ? BEARER_RULE_ID : `bks/${f.service}-${f.kind}`;
}

function describe(f: Finding): string {
  const service = SERVICES.find((s) => s.id === f.service)?.displayName ?? 'Unknown service';
  const fp = `secret SHA-256 ${f.secretSha256.slice(0, 16)}…`;
  if (f.kind === 'long-term') {
    return `${service} long-term API key of IAM user ${f.userName}${f.credentialIndex ? ` (credential +${f.credentialIndex})` : ''} in account ${f.accountId} (${fp}). It stays valid until revoked: deactivate it (bks revoke-key) and review its use (bks timeline).`;
  }
  if (f.kind === 'short-term') {
    return `${service} short-term API key signed by ${f.accessKeyId} in account ${f.accountId}, region ${f.region}, ${f.expired ? 'expired' : 'valid'} until ${f.expiresAt} (${fp}).${f.expired ? '' : ' Deny its signer (bks revoke-key) if it may be in use.'}`;
  }
  return `A value is assigned to ${f.envVar} (${fp}): bearer credentials do not belong in files.`;
}

function artifactUri(path: string): { uri: string; uriBaseId?: string } {
  if (path === '-') return { uri: 'stdin' };
  if (isAbsolute(path)) return { uri: pathToFileURL(path).href };
  const rel = path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  return { uri: encodeURI(rel), uriBaseId: '%SRCROOT%' };
}

function result(f: Finding, loc: FindingLocation, ruleIndex: number, level: string) {
  const where =
    loc.commits && loc.commits.length > 0
      ? ` Found in git history (commit ${loc.commits.map((c) => c.slice(0, 12)).join(', ')}).`
      : '';
  return {
    ruleId: ruleIdOf(f),
    ruleIndex,
    level: f.expired ? 'note' : level,
    message: { text: describe(f) + where },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifactUri(loc.path),
          region: { startLine: loc.line, startColumn: loc.column },
        },
      },
    ],
    partialFingerprints: {
      'bksKeyLocation/v1': `${f.id}:${loc.path}`,
    },
    properties: {
      keyId: f.id,
      service: f.service,
      kind: f.kind,
      ...(f.accountId ? { accountId: f.accountId } : {}),
      ...(f.userName ? { userName: f.userName } : {}),
      ...(f.accessKeyId ? { accessKeyId: f.accessKeyId } : {}),
      expired: f.expired,
      secretSha256: f.secretSha256,
      ...(loc.commits ? { commits: loc.commits, blob: loc.blob } : {}),
    },
  };
}

/** The SARIF log of a find-keys result. */
export function toSarif(r: FindKeysResult, toolVersion: string): object {
  const specs = ruleSpecs();
  const index = new Map(specs.map((s, i) => [s.id, i]));
  const results = r.findings.flatMap((f) => {
    const i = index.get(ruleIdOf(f)) ?? specs.length - 1;
    return f.locations.map((loc) => result(f, loc, i, specs[i]!.level));
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bks',
            fullName: 'bks find-keys',
            semanticVersion: toolVersion,
            informationUri: 'https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html',
            rules: specs.map((s) => ({
              id: s.id,
              name: s.name,
              shortDescription: { text: s.description },
              fullDescription: {
                text: `${s.description}. Reported after decoding and validation, never by pattern alone.`,
              },
              help: {
                text: 'Treat the key as compromised: revoke it (bks revoke-key), review what it did (bks timeline), remove it from the file and from git history.',
              },
              defaultConfiguration: { level: s.level },
              properties: {
                tags: ['security', 'secret', 'credential'],
                precision: 'very-high',
                'security-severity': s.severity,
              },
            })),
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
