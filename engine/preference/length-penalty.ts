/** r - lambda * |a|: the length penalty of the RLHF Workflow recipe, |a| as the task counts it. */
export function lengthPenalized(reward: number, length: number, lambda: number): number {
  return reward - lambda * length;
}
