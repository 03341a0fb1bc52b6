/**
 * The detection rules of `detections/` (through `src/detect`), in the form the pipeline deploys:
 * what infra/ builds its rules from and what `bks coverage` expects to find deployed.
 */
import { loadRules } from '../detect/rule-files';
import type { PipelineRule } from './rules';

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
