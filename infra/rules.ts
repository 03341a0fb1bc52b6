/** The detection rules of `detections/` (through `src/detect`), as the infra deploys them. */
import { loadRules } from '../src/detect/rule-files';
import type { PipelineRule } from '../src/pipeline/rules';

export function loadPipelineRules(dir?: string): PipelineRule[] {
  return loadRules(dir).map((r) => ({
    id: r.id,
    title: r.title,
    severity: r.severity,
    kind: r.kind,
    deploy: r.deploy,
    pattern: r.pattern,
    ...(r.stateful ? { stateful: r.stateful } : {}),
  }));
}
