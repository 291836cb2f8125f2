/** reward.source 'gold': the task's reward as its labeler perceives it (gold plus any rater bias), noiseless. */
import { rewardDecides, type RewardSource } from '../reward-source';

export const goldSource: RewardSource = {
  score: async (_groups, rater) => rater,
  label: rewardDecides,
};
