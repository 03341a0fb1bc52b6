#!/usr/bin/env node
/** The `bks` executable (bundled to dist/bks.mjs by scripts/build.mjs). */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('./main');
process.exitCode = await main(process.argv.slice(2));

export {};
