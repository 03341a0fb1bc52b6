#!/usr/bin/env node
// Entry point of the `bks` command: runs the TypeScript sources through tsx's loader, so that
// `npm ci` is the only step before `npx bks` works.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
