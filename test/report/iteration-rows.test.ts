import type { CampaignSummary, EvalMetrics } from '../../schemas/results';
import { ITERATION_COLUMNS, cellText, iterationRows } from '../../report/iteration-rows';
import { formatIterationTable } from '../../cli/iteration-table';

const ref = { uri: 'store://c/iter-1/update/policy.safetensors', sha256: 'a'.repeat(64), bytes: 1, mediaType: 'application/vnd.safetensors' };
const sampled = (reward: number): EvalMetrics => ({
  reward, rewardStderr: 0.05, kl: 0.2, klStderr: 0.01, J: reward - 0.02, JStderr: 0.05, winRateVsInitial: 0.625, winRateStderr: 0.1,
  responseLength: 7.5, responseChars: 31.25, exact: false,
});
const summary: CampaignSummary = {
  campaign: 'c', algorithm: 'online-iterative-dpo', initial: { ...sampled(0.1), kl: 0, klStderr: 0, winRateVsInitial: 0.5 },
  iterations: [{ iteration: 1, artifacts: {}, train: { 'rewards/accuracies': 0.75, 'rewards/margins': 0.3 }, eval: sampled(0.4), labels: 4, pairs: 4, seconds: 2.5, hyperparameters: {} }],
  bestIteration: 1, finalCheckpoint: ref, labels: 4, stoppedEarly: false,
};

describe('iteration table', () => {
  it('shows sampled estimates with their standard errors, win rate and lengths in tokens and characters', () => {
    const [pi0, it1] = iterationRows(summary);
    const cells = (row: typeof it1) => Object.fromEntries(ITERATION_COLUMNS.map((c) => [c.header, cellText(row, c)]));
    expect(cells(it1)).toMatchObject({ reward: '0.4000±0.0500', KL: '0.2000±0.0100', 'win rate': '0.625', length: '7.50', chars: '31.3', 'gap to J*': '-' });
    // pi0's KL to itself is exact (0): no ± shown.
    expect(cells(pi0)).toMatchObject({ KL: '0.0000', 'win rate': '0.500', 'rewards/accuracies': '-' });
    expect(formatIterationTable(summary)).toMatch(/win rate\s+length\s+chars\s+pairs\s+duration\s+best/);
  });
});
