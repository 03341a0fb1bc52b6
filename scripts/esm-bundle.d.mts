import type { BuildOptions } from 'esbuild';

/** The esbuild options every ES-module bundle of bks shares (scripts/esm-bundle.mjs). */
export declare const ESM_BUNDLE: BuildOptions;
