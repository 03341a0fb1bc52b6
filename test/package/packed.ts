/**
 * The npm tarball of this test run (packed once per run, in a copy of the Docker build context:
 * test/setup/pack.ts) and the package.json it was made from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type Packed, packed, ROOT } from '../setup/pack';

export { buildContextFiles, dockerIgnore, type Packed, ROOT } from '../setup/pack';

export interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  types: string;
  exports: Record<string, string | { types?: string; default: string }>;
}
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** The packed tarball: started by the global setup when this run needs it, else packed here. */
export function packedTarball(): Promise<Packed> {
  return packed(inject('runDir'));
}
