/** The result of `bks selftest` (JSON `bks.selftest/v1`). */

/**
 * Per rule: `fired` (an expected rule raised its finding on the canary); `missing` (expected, no
 * finding before the timeout: `stage` says where the chain broke); `unexpected` (a rule the canary's
 * calls must NOT match raised a finding on it: a false positive); `silent` (not expected, and no
 * finding, as it should be); `not-exercised` (stateful rules: one canary call cannot cross a
 * threshold); `unknown` (the findings could not be read).
 */
export type RuleStatus = 'fired' | 'missing' | 'unexpected' | 'silent' | 'not-exercised' | 'unknown';

/**
 * Where a missing rule's chain broke, in the order an event travels: its CloudTrail event was not
 * found; the event is there but no rule matched it (forwarder or central rule missing, disabled, in
 * a state that does not receive read-only events, or with a pattern that does not match); the
 * workflow started but failed; the workflow ran but no Security Hub finding exists.
 */
export type FailedStage = 'no-cloudtrail-event' | 'no-rule-match' | 'workflow-failed' | 'no-finding';

export interface RuleOutcome {
  ruleId: string;
  title: string;
  severity: string;
  status: RuleStatus;
  /** The canary call that must trigger it (expected rules) or that it must ignore. */
  call?: string;
  /** Milliseconds from the call to the first sight of the finding (polled: see `pollMs`). */
  latencyMs?: number;
  findingId?: string;
  /** The finding's workflow status as last read (RESOLVED: the pipeline recognized the canary). */
  workflowStatus?: string;
  stage?: FailedStage;
  /** What was read: the evidence for the status or the stage. */
  detail?: string;
}

export interface CanaryCall {
  /** The call, as CloudTrail names it (`CreateUser`, `InvokeModel`). */
  eventName: string;
  region: string;
  /** When it was sent (ISO 8601). */
  at: string;
  /** `ok`, or the error code / HTTP status the call ended with. */
  result: string;
}

export interface CleanupStep {
  action: string;
  target: string;
  status: 'done' | 'absent' | 'failed';
  error?: string;
}

export interface SelftestReport {
  schema: 'bks.selftest/v1';
  generatedAt: string;
  runId: string;
  stackName: string;
  account: string;
  /** The pipeline's home region (stack, workflow, findings). */
  homeRegion: string;
  /** Where the bearer call went. */
  region: string;
  /** `pass`: every expected rule fired and no unexpected one; `fail`; `unknown`: something could not be read. */
  status: 'pass' | 'fail' | 'unknown';
  /** Why the run is unknown (a read that failed), when it is. */
  error?: string;
  canary: {
    userName: string;
    credentialId?: string;
    /** The run record (cleanup is finished from it after an interruption). */
    record: string;
    calls: CanaryCall[];
  };
  timeoutSeconds: number;
  pollMs: number;
  rules: RuleOutcome[];
  cleanup: { status: 'done' | 'failed' | 'interrupted'; steps: CleanupStep[] };
  /** Earlier runs whose canaries this run removed (from their records). */
  resumed: { runId: string; userName: string; status: 'done' | 'failed'; steps: CleanupStep[] }[];
  summary: {
    expected: number;
    fired: number;
    missing: number;
    unexpected: number;
    notExercised: number;
    /** Fired findings the pipeline resolved itself as a canary (nobody paged). */
    resolvedByPipeline: number;
  };
}
