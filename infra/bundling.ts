/** How every pipeline function is bundled (shared by the CDK construct and `bench/pipeline.ts`). */
export const BUNDLE_TARGET = 'node22';
/** The nodejs22.x runtime ships AWS SDK v3: leaving it out keeps bundles small. */
export const BUNDLE_EXTERNALS = ['@aws-sdk/*', '@smithy/*'];
/** ESM output with a `require` for the CommonJS dependencies that still call it. */
export const BUNDLE_BANNER =
  "import { createRequire as __bksRequire } from 'node:module'; const require = __bksRequire(import.meta.url);";
