#!/usr/bin/env node
// `npm run demo`: the narrated incident against the embedded simulated account.
// Flags: --step (pause between steps), --fast (no pauses), --keep (keep reports and records).
const args = new Set(process.argv.slice(2));
// The flags are checked before the demo's code loads: a typo is refused at once.
for (const a of args) {
  if (!['--step', '--fast', '--keep'].includes(a)) {
    process.stderr.write(`bks-demo: unknown option ${a} (use --step, --fast or --keep)\n`);
    process.exit(2);
  }
}
const { register } = await import('tsx/esm/api');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runDemo } = await import('../demo/run.ts');
process.exitCode = await runDemo({
  step: args.has('--step'),
  fast: args.has('--fast'),
  keep: args.has('--keep'),
});
