/**
 * How every Lambda function is bundled: shared by the CDK constructs (NodejsFunction bundling from
 * the TypeScript sources), `bench/pipeline.ts`, and the package build, which prebundles every
 * handler with the same settings at pack time (scripts/build.mjs --pack → dist/handlers/<name>/),
 * because a user's CDK app has neither our sources nor our lockfile nor our dev dependencies.
 */
import { existsSync } from 'node:fs';
import { Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IConstruct } from 'constructs';
import { packagePath, packageRoot } from '../src/paths';

export const BUNDLE_TARGET = 'node22';
/** The nodejs22.x runtime ships AWS SDK v3: leaving it out keeps bundles small. */
export const BUNDLE_EXTERNALS: string[] = ['@aws-sdk/*', '@smithy/*'];
/**
 * The compliance report's functions bundle the SDK (not taken from the runtime): the presigner and
 * the exact client versions the tests ran against travel with the code.
 */
export const COMPLIANCE_BUNDLE_EXTERNALS: string[] = [];
/** ESM output with a `require` for the CommonJS dependencies that still call it. */
export const BUNDLE_BANNER =
  "import { createRequire as __bksRequire } from 'node:module'; const require = __bksRequire(import.meta.url);";

/** Every handler a construct deploys (`handlers/<name>.ts`) and the externals it is bundled with. */
export const COMPLIANCE_HANDLERS = [
  'compliance-list-accounts',
  'compliance-scan-account',
  'compliance-aggregate',
] as const;

/**
 * The prebundled code of `handlers/<name>.ts` when the package runs without its sources (installed
 * from npm); undefined in a source checkout, where NodejsFunction bundles the TypeScript itself.
 */
export function handlerCode(name: string): lambda.Code | undefined {
  if (existsSync(packagePath('handlers', `${name}.ts`))) return undefined;
  const dir = packagePath('dist', 'handlers', name);
  if (!existsSync(`${dir}/index.mjs`))
    throw new Error(
      `bedrock-key-security: prebundled handler ${name} is missing (${dir}/index.mjs): reinstall the package`,
    );
  return lambda.Code.fromAsset(dir);
}

/**
 * The code and runtime of the function of `handlers/<name>.ts`, as every construct deploys it:
 * prebundled code when installed from npm, else NodejsFunction bundling of the sources with the
 * settings above; Node.js 22 on arm64. The construct adds memory, timeout, role, logs, environment.
 */
export function handlerFunctionProps(name: string, externalModules: string[]): nodejs.NodejsFunctionProps {
  const code = handlerCode(name);
  const root = packageRoot();
  return {
    ...(code
      ? { code, handler: 'index.handler' }
      : {
          entry: `${root}/handlers/${name}.ts`,
          handler: 'handler',
          projectRoot: root,
          depsLockFilePath: `${root}/package-lock.json`,
        }),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    bundling: {
      forceDockerBundling: false,
      minify: true,
      target: BUNDLE_TARGET,
      format: nodejs.OutputFormat.ESM,
      mainFields: ['module', 'main'],
      externalModules,
      banner: BUNDLE_BANNER,
    },
  };
}

/** cdk-nag's "latest runtime" finding, answered once for every function of `handlerFunctionProps`. */
export function acknowledgeRuntime(f: IConstruct): void {
  Validations.of(f).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'nodejs22.x is deliberate: the code base supports Node 20 and 22 and is tested on both.',
  });
}
