/** The client-side API (used by the CLI): start, list, control, audit and fork campaigns. */
export * from './campaigns';
export { auditCampaign, type CampaignAudit, type IterationAudit, type StepAudit } from './audit';
export { ForkError, forkCampaign, type ForkOptions, type ForkStarted } from './fork';
export { payloadSizes } from './history';
export { summaryOf, withStoredRecords } from './summary';
export { ensureSearchAttributes } from './search-attributes';
