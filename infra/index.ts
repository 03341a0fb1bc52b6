/**
 * The CDK constructs of `bedrock-key-security` (`import … from 'bedrock-key-security/cdk'`):
 * the real-time pipeline, the SCPs and the scheduled compliance report. aws-cdk-lib and constructs
 * are peer dependencies; the Lambda handlers ship prebundled in the package.
 */

export { ComplianceReport, type ComplianceReportProps } from './compliance-report';
export { BedrockKeyGuard, type BedrockKeyGuardProps, FUNCTION_NAMES, type FunctionName } from './guard';
export { loadPipelineRules } from './rules';
export { ScpGuard, type ScpGuardProps } from './scp-guard';
