#!/usr/bin/env node
// Entry point of the `bks-sim` command (the simulated AWS account).
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../sim/main.ts');
await main(process.argv.slice(2));
