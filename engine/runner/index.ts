export { runCampaign, type RunOptions } from './run-campaign';
