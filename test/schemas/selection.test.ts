import { CampaignSpecSchema } from '../../schemas/campaign';
import type { EvalMetrics } from '../../schemas/results';
import { betterThan, selectionValue } from '../../schemas/selection';

const m = (reward: number, J: number, win: number): EvalMetrics => ({ reward, J, winRateVsInitial: win, kl: 0, klStderr: 0, responseLength: 1, exact: false });

describe('evaluation.select', () => {
  it('defaults to J and accepts reward and winRate only', () => {
    expect(CampaignSpecSchema.parse({}).evaluation.select).toBe('J');
    expect(CampaignSpecSchema.parse({ evaluation: { select: 'winRate' } }).evaluation.select).toBe('winRate');
    expect(CampaignSpecSchema.safeParse({ evaluation: { select: 'kl' } }).success).toBe(false);
  });

  it('picks by the chosen figure, keeps the earlier on ties, and never prefers NaN', () => {
    const a = m(1, 0.5, 0.6), b = m(2, 0.4, 0.55);
    expect(selectionValue(b, 'reward')).toBe(2);
    expect(betterThan(b, a, 'reward')).toBe(true);
    expect(betterThan(b, a, 'J')).toBe(false);
    expect(betterThan(b, a, 'winRate')).toBe(false);
    expect(betterThan(m(1, 0.5, 0.6), a, 'J')).toBe(false);
    expect(betterThan(m(NaN, NaN, NaN), a, 'J')).toBe(false);
    expect(betterThan(a, m(NaN, NaN, NaN), 'reward')).toBe(true);
    expect(betterThan(a, undefined, 'winRate')).toBe(true);
  });
});
