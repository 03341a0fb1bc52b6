#!/usr/bin/env node
// Generates the JSON Schemas of bks's machine outputs (schemas/*.schema.json) from the TypeScript
// types in schemas/outputs.ts with ts-json-schema-generator. `npm run schemas` after changing an
// output type; test/package/schemas.test.ts fails when a committed schema differs from its type.
//
//   node scripts/schemas.mjs           write schemas/
//   node scripts/schemas.mjs --check   exit 1 naming each schema that is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Output type → [schema file, the `schema` value the document carries]. */
export const OUTPUTS = {
  ScanOutput: ['scan', 'bks.scan/v1'],
  DecodeKeyOutput: ['decode-key', 'bks.decode-key/v1'],
  FindKeysOutput: ['find-keys', 'bks.find-keys/v1'],
  HuntOutput: ['hunt', 'bks.hunt/v1'],
  TimelineOutput: ['timeline', 'bks.timeline/v1'],
  ReportOutput: ['report', 'bks.report/v1'],
  ComplianceOutput: ['compliance', 'bks.compliance/v1'],
  CoverageOutput: ['coverage', 'bks.coverage/v1'],
  SelftestOutput: ['selftest', 'bks.selftest/v1'],
  EventBridgeExportOutput: ['detections-eventbridge', 'bks.detections.eventbridge/v1'],
  RevokeKeyOutput: ['revoke-key', 'bks.revoke-key/v1'],
  RestoreOutput: ['restore', 'bks.restore/v1'],
  CleanupOutput: ['cleanup', 'bks.cleanup/v1'],
  DetectionsListOutput: ['detections', 'bks.detections/v1'],
  DetectionsBuildOutput: ['detections-build', 'bks.detections-build/v1'],
  ScpListOutput: ['scp-list', 'bks.scp-list/v1'],
  ScpShowOutput: ['scp-show', 'bks.scp-show/v1'],
  ScpCheckOutput: ['scp-check', 'bks.scp-check/v1'],
};

const generator = createGenerator({
  path: join(root, 'schemas/outputs.ts'),
  tsconfig: join(root, 'tsconfig.json'),
  type: '*',
  expose: 'none',
  topRef: false,
  additionalProperties: false,
  skipTypeCheck: true,
  jsDoc: 'basic',
});
const check = process.argv.includes('--check');
const stale = [];
for (const [type, [file, id]] of Object.entries(OUTPUTS)) {
  const schema = generator.createSchema(type);
  delete schema.$schema;
  const text = `${JSON.stringify(
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `https://bks.dev/schemas/${file}.schema.json`,
      title: id,
      ...schema,
    },
    null,
    2,
  )}\n`;
  const path = join(root, 'schemas', `${file}.schema.json`);
  if (check) {
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {}
    if (old !== text) stale.push(`schemas/${file}.schema.json`);
  } else writeFileSync(path, text);
}
if (stale.length) {
  process.stderr.write(`out of date (run npm run schemas): ${stale.join(', ')}\n`);
  process.exit(1);
}
