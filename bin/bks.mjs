#!/usr/bin/env node
// Development launcher of `bks`: runs the TypeScript sources through tsx's loader (tests spawn it, so
// they always run the code under test). The installed `bks` is the bundle, dist/bks.mjs.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
