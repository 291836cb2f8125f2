export { runCampaign, parseSpec, type RunOptions } from './run-campaign';
