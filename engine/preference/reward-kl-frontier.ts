/**
 * The reward-KL frontier comparison the GSHF paper makes between multi-step rejection sampling and single-step
 * RSO: each method traced over its KL knob (RSO's beta, multi-step's final eta) gives points (KL(pi||pi0), E[r]).
 * One curve dominates another where, at the KL each of its points sits at, the other curve (linearly
 * interpolated between its KL-sorted points) reaches less reward. Points outside the other curve's KL range are
 * not compared: extrapolating a noisy curve would decide the verdict by assumption.
 */

export interface RewardKlPoint { kl: number; reward: number }

/** Reward of `curve` at `kl`, linear between its KL-sorted points; undefined outside [min KL, max KL]. */
export function interpolateReward(curve: RewardKlPoint[], kl: number): number | undefined {
  const points = curve.filter((p) => Number.isFinite(p.kl) && Number.isFinite(p.reward)).sort((a, b) => a.kl - b.kl);
  if (points.length === 0 || kl < points[0].kl || kl > points[points.length - 1].kl) return undefined;
  for (let i = 0; i < points.length; i++) {
    const a = points[i];
    if (a.kl === kl) {
      // Several points at this KL (a flat stretch of the knob): their mean reward.
      const same = points.filter((p) => p.kl === kl);
      return same.reduce((s, p) => s + p.reward, 0) / same.length;
    }
    const b = points[i + 1];
    if (b && a.kl < kl && kl < b.kl) return a.reward + ((b.reward - a.reward) * (kl - a.kl)) / (b.kl - a.kl);
  }
  return undefined;
}

export interface PointComparison extends RewardKlPoint {
  /** The baseline's interpolated reward at this point's KL (undefined: outside its KL range). */
  baselineReward?: number;
  /** reward - baselineReward. */
  margin?: number;
}

export interface FrontierVerdict {
  points: PointComparison[];
  /** Points inside the baseline's KL range. */
  compared: number;
  above: number;
  below: number;
  /** Fewer than 2 compared points say nothing about a curve: 'not comparable'. */
  verdict: 'dominates' | 'dominated' | 'crosses' | 'not comparable';
}

export function compareFrontiers(challenger: RewardKlPoint[], baseline: RewardKlPoint[]): FrontierVerdict {
  const points: PointComparison[] = challenger.map((p) => {
    const baselineReward = interpolateReward(baseline, p.kl);
    return baselineReward === undefined ? { ...p } : { ...p, baselineReward, margin: p.reward - baselineReward };
  });
  const margins = points.flatMap((p) => (p.margin === undefined ? [] : [p.margin]));
  const above = margins.filter((m) => m > 0).length;
  const below = margins.filter((m) => m < 0).length;
  const compared = margins.length;
  let verdict: FrontierVerdict['verdict'] = 'crosses';
  if (compared < 2) verdict = 'not comparable';
  else if (above === compared) verdict = 'dominates';
  else if (above === 0) verdict = 'dominated';
  return { points, compared, above, below, verdict };
}
