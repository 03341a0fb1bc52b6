/** Compliance reports: the model (`bks.compliance/v1`), its renderers and its Security Hub findings. */
export * from './compliance';
export * from './findings';
export { esc, renderComplianceHtml } from './render-html';
