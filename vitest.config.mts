import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every JSON document a command prints in-process is checked against its schema in schemas/.
    setupFiles: ['test/setup/output-schemas.ts'],
    // One scratch folder per run, for work several test files share (the packed tarball).
    globalSetup: ['test/setup/global.ts'],
    // The default `forks` pool: `threads` breaks esbuild bundling in the infra tests.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NO_COLOR: '1',
    },
  },
});
