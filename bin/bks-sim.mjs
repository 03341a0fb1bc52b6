#!/usr/bin/env node
// Development launcher of `bks-sim` (the simulated AWS account): runs the TypeScript sources through
// tsx's loader (tests and benchmarks spawn it). The installed `bks-sim` is the bundle, dist/bks-sim.mjs.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const argv = process.argv.slice(2);
const { main } = argv.includes('--pipeline')
  ? await import('../local/main.ts')
  : await import('../sim/main.ts');
await main(argv);
