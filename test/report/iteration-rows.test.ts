import type { CampaignSummary, EvalMetrics } from '../../schemas/results';
import { ITERATION_COLUMNS, cellText, iterationRows } from '../../report/iteration-rows';
import { formatIterationRows, formatIterationTable } from '../../cli/iteration-table';
import { auditEvaluationRows } from '../../cli/audit';
import type { CampaignAudit, IterationAudit, StepAudit } from '../../client/audit';

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

describe('history\'s evaluation table', () => {
  const step = (status: StepAudit['status'], output: unknown) => ({ step: 'evaluate', status, output } as StepAudit);
  const iteration = (i: number, m?: EvalMetrics, select?: string): IterationAudit => ({
    iteration: i, workflowId: `c/iter-${i}`, status: m ? 'completed' : 'running', steps: [],
    hyperparameters: (select ? { evaluation: { select } } : {}) as IterationAudit['hyperparameters'],
    ...(m ? { eval: m, train: { 'rewards/accuracies': 0.5 }, pairs: 6, seconds: 1.5 } : {}),
  });
  const audit = (select: string, initial: StepAudit | undefined): CampaignAudit => ({
    campaign: 'c', runs: ['r'], spec: { evaluation: { select } }, initialEvaluation: initial, control: [],
    // J falls while the reward rises; iteration 3 is still running (not evaluated).
    iterations: [iteration(1, { ...sampled(0.4), J: 0.5 }), iteration(2, { ...sampled(0.6), J: 0.1 }), iteration(3)],
  });

  it('shows pi0 and every evaluated iteration with the status table\'s cells, the best as the campaign selects it', () => {
    const rows = auditEvaluationRows(audit('reward', step('completed', sampled(0.1))));
    expect(rows.map((r) => [r.iteration, r.best])).toEqual([[0, false], [1, false], [2, true]]);
    const text = formatIterationRows(rows).split('\n');
    expect(text[0]).toMatch(/^iter\s+reward\s+KL\s+J\s.*win rate\s+length\s+chars\s+pairs\s+duration\s+best$/);
    expect(text[4]).toMatch(/^\s*2\s+0\.6000±0\.0500\s+0\.2000±0\.0100\s+0\.1000\s.*0\.625\s+7\.50\s+31\.3\s+6\s+1\.5s\s+\*$/);
    expect(auditEvaluationRows(audit('J', step('completed', sampled(0.1)))).find((r) => r.best)!.iteration).toBe(1);
  });

  it('follows evaluation.select as each iteration ran with it (`set evaluation.select=reward` from iteration 2)', () => {
    const patched = { ...audit('J', undefined), iterations: [iteration(1, { ...sampled(0.4), J: 0.5 }, 'J'), iteration(2, { ...sampled(0.6), J: 0.1 }, 'reward')] };
    expect(auditEvaluationRows(patched).find((r) => r.best)!.iteration).toBe(2);
  });

  it('leaves out a pi0 evaluation that has not finished (or a fork, which has none)', () => {
    expect(auditEvaluationRows(audit('J', step('started', undefined))).map((r) => r.iteration)).toEqual([1, 2]);
    expect(auditEvaluationRows(audit('J', undefined)).map((r) => r.iteration)).toEqual([1, 2]);
  });
});
