#!/usr/bin/env node
/** The `bks-sim` executable (bundled to dist/bks-sim.mjs by scripts/build.mjs). */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('./main');
await main(process.argv.slice(2));

export {};
