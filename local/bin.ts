#!/usr/bin/env node
/**
 * The `bks-sim` executable (bundled to dist/bks-sim.mjs by scripts/build.mjs): the simulator alone
 * (sim/main.ts, which imports nothing of the project), or with `--pipeline` the simulator with the
 * project's pipeline deployed into it (local/main.ts).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const argv = process.argv.slice(2);
const { main } = argv.includes('--pipeline') ? await import('./main') : await import('../sim/main');
await main(argv);

export {};
