/**
 * The workflow module a worker loads (workflowsPath) or a user re-exports from their own:
 *   export * from 'prefloop/workflows';
 */
export { preferenceCampaign } from './campaign';
export { preferenceIteration } from './iteration';
export { rewardRequest } from './reward-request';
