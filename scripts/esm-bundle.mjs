// The esbuild options every ES-module bundle of bks shares: dist/ (scripts/build.mjs) and the tests'
// bundle of the sources (test/helpers/bundle.ts), so that the tests start what the package ships,
// built the same way. Each adds its entry points, output folder and what stays external.
export const ESM_BUNDLE = {
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS code `require`s node's built-ins: give the ES modules a `require` to do it with.
  banner: {
    js: "import { createRequire as __bksRequire } from 'node:module';\nconst require = __bksRequire(import.meta.url);",
  },
  define: { __BKS_BUNDLE__: 'true' },
};
