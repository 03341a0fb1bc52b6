/** The inventory: collect one account's key-bearing users in O(pages) calls, classify each. */
export { classify, isLiveCredential, phantomEvidence } from './classify';
export { type CollectOptions, collectAccount } from './collect';
export {
  type CredentialReport,
  fetchCredentialReport,
  parseCredentialReport,
  parseCsv,
  type ReportRow,
} from './credential-report';
export {
  DEFAULT_ORG_ROLE,
  type ScanOptions,
  type ScanResult,
  type ScanSummary,
  scanInventory,
  summarize,
} from './scan';
export * from './types';
