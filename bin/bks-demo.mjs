#!/usr/bin/env node
// `npm run demo`: the narrated incident against the embedded simulated account.
// Flags: --step (pause between steps), --fast (no pauses), --keep (keep reports and records).
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runDemo } = await import('../demo/run.ts');
const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--step', '--fast', '--keep'].includes(a)) {
    process.stderr.write(`bks-demo: unknown option ${a} (use --step, --fast or --keep)\n`);
    process.exit(2);
  }
}
process.exitCode = await runDemo({
  step: args.has('--step'),
  fast: args.has('--fast'),
  keep: args.has('--keep'),
});
