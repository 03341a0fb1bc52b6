/**
 * The detection library: the EventBridge pattern matcher, the rule set and its loader, evaluation
 * of CloudTrail records, the stateful engine, the hunt over log files, the exports, and the event
 * knowledge the timeline uses to tag events. Front ends import from here.
 */
export { HuntInputError, type HuntMatch, type HuntResult, hunt, listLogFiles, streamRecords } from './hunt';
export {
  type CloudTrailRecord,
  type EventTag,
  eventBridgeSource,
  isBearerTokenCall,
  isPhantomPrincipal,
  principalOf,
  tagEvent,
} from './knowledge';
export {
  compilePattern,
  type EventPattern,
  matches,
  PatternError,
  type Predicate,
  validatePattern,
} from './pattern';
export { loadRules, validateRuleFile } from './rule-files';
export {
  type CompiledRule,
  compileRules,
  defaultRulesDir,
  envelopeOf,
  evaluate,
  type Rule,
  RuleError,
  type RuleFile,
  type RuleSet,
  recordOf,
  SEVERITIES,
  type Severity,
  severityRank,
} from './rules';
export { buildRuleSet, bundledRules } from './ruleset';
export {
  type CounterStore,
  MemoryCounterStore,
  StatefulEngine,
  type StatefulMatch,
  type StatefulOptions,
} from './stateful';
