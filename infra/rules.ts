/** The detection rules of `detections/` (through `src/detect`), as the infra deploys them. */
export { loadPipelineRules } from '../src/pipeline/load-rules';
