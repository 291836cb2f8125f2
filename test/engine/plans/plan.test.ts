import { CampaignSpecSchema, type CampaignSpecInput } from '../../../schemas/campaign';
import { iterationPlan, multistepStage, setupPlan } from '../../../engine/plans/plan';

const spec = (input: CampaignSpecInput) => CampaignSpecSchema.parse(input);

describe('iteration plans match PAPER.md', () => {
  it('online iterative DPO: the current policy samples n at the recipe temperatures; best vs worst; fresh prompts each iteration', () => {
    const s = spec({ algorithm: 'online-iterative-dpo', iterations: 3, sampling: { promptsPerIteration: 10, n: 8, temperatures: [1.0, 0.7] } });
    const [p1, p2] = [iterationPlan(s, 1), iterationPlan(s, 2)];
    expect(p1.samplers).toEqual([{ policy: 'current', n: 8, temperatures: [1.0, 0.7] }]);
    expect(p1.filter).toEqual({ kind: 'pairs', strategy: 'max_min' });
    expect(p1.prompts).toEqual({ offset: 0, count: 10 });
    expect(p2.prompts).toEqual({ offset: 10, count: 10 });
    // Defaults are the RLHF Workflow school: warm start, new pairs only, reference pi0.
    expect(p2.update).toMatchObject({ init: 'previous', data: 'fresh', reference: 'initial', beta: 0.1 });
  });

  it('online iterative DPO follows the spec where the paper leaves a choice (ICML school, reference pi_{t-1})', () => {
    const s = spec({ algorithm: 'online-iterative-dpo', reference: 'previous', update: { init: 'initial', data: 'accumulate' } });
    expect(iterationPlan(s, 2).update).toMatchObject({ init: 'initial', data: 'accumulate', reference: 'previous' });
  });

  it('hybrid: non-empty D_off of pi0 samples, then (pi_t, pi0) samplers', () => {
    const s = spec({ algorithm: 'hybrid', sampling: { promptsPerIteration: 12, n: 8 } });
    expect(setupPlan(s).offlinePrompts).toBe(12);
    expect(setupPlan(s).offlineSamplers.every((x) => x.policy === 'initial')).toBe(true);
    const p = iterationPlan(s, 1);
    expect(p.samplers.map((x) => [x.policy, x.n])).toEqual([['current', 4], ['initial', 4]]);
    expect(p.prompts.offset).toBe(12); // online prompts come after D_off's
    expect(p.update.includeOffline).toBe(true);
    expect(iterationPlan(s, 2).update.includeOffline).toBe(false); // fresh: D_off trains the first update only
    expect(iterationPlan(spec({ algorithm: 'hybrid', update: { data: 'accumulate' } }), 3).update.includeOffline).toBe(true);
    expect(setupPlan(spec({ algorithm: 'hybrid', offline: { prompts: 5 } })).offlinePrompts).toBe(5);
  });

  it('offline DPO: pi0 samples only, restart from pi0 on all pairs so far, reference pi0', () => {
    const s = spec({ algorithm: 'offline-dpo', update: { init: 'previous', data: 'fresh' }, reference: 'previous' });
    for (const t of [1, 2, 3]) {
      const p = iterationPlan(s, t);
      expect(p.samplers.map((x) => x.policy)).toEqual(['initial']);
      expect(p.update).toMatchObject({ init: 'initial', data: 'accumulate', reference: 'initial' });
      expect(p.filter.kind).toBe('pairs');
    }
    expect(setupPlan(s).offlinePrompts).toBe(0);
  });

  it('RSO: rejection sampling of pi0 candidates at beta, pairs of the accepted samples', () => {
    const s = spec({ algorithm: 'rso', rejectionSampling: { candidates: 16, accepted: 4 }, update: { beta: 0.2 } });
    const p = iterationPlan(s, 2);
    expect(p.samplers).toEqual([expect.objectContaining({ policy: 'initial', n: 16 })]);
    expect(p.filter).toEqual({ kind: 'rejection', accepted: 4, beta: 0.2, strategy: 'max_min' });
    expect(p.update).toMatchObject({ init: 'initial', data: 'accumulate', reference: 'initial', beta: 0.2 });
  });

  it('offline multi-step RS: the eta schedule across iterations, each stage from the previous policy toward pi0 exp(r/eta_s)', () => {
    const s = spec({ algorithm: 'offline-multistep-rs', iterations: 3, rejectionSampling: { etaSchedule: [1, 0.3, 0.1] } });
    const plans = [1, 2, 3].map((t) => iterationPlan(s, t));
    expect(plans.map((p) => p.stage)).toEqual([0, 1, 2]);
    expect(plans.map((p) => p.update.beta)).toEqual([1, 0.3, 0.1]);
    const betas = plans.map((p) => (p.filter.kind === 'rejection' ? p.filter.beta : NaN));
    expect(betas[0]).toBeCloseTo(1, 12);
    expect(betas[1]).toBeCloseTo(1 / (1 / 0.3 - 1), 12);
    expect(betas[2]).toBeCloseTo(1 / (1 / 0.1 - 1 / 0.3), 12);
    for (const p of plans) {
      expect(p.samplers.map((x) => x.policy)).toEqual(['current']);
      // DPO vs pi0 at eta_s targets pi0 exp(r/eta_s) whoever sampled the pairs: every stage fits on all accepted
      // pairs so far (the last stage on the whole label budget, like RSO), warm-started from the previous stage.
      expect(p.update).toMatchObject({ init: 'previous', data: 'accumulate', reference: 'initial', includeOffline: false });
    }
    // Fewer or more iterations than stages: the last iteration always reaches eta_N.
    const short = spec({ algorithm: 'offline-multistep-rs', iterations: 2, rejectionSampling: { etaSchedule: [1, 0.3, 0.1] } });
    expect([1, 2].map((t) => multistepStage(short, t))).toEqual([1, 2]);
    const long = spec({ algorithm: 'offline-multistep-rs', iterations: 6, rejectionSampling: { etaSchedule: [1, 0.3, 0.1] } });
    expect([1, 2, 3, 4, 5, 6].map((t) => multistepStage(long, t))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('labels at Bradley-Terry temperature T: every DPO-family fit uses beta/T (optimum pi0 exp(r/eta)); rejection sampling keeps eta', () => {
    const T = 0.25;
    const online = spec({ algorithm: 'online-iterative-dpo', update: { beta: 0.1, labelTemperature: T } });
    expect(iterationPlan(online, 1).update.beta).toBeCloseTo(0.4, 12);
    expect(iterationPlan(spec({ algorithm: 'hybrid', update: { beta: 0.1, labelTemperature: T } }), 2).update.beta).toBeCloseTo(0.4, 12);
    expect(iterationPlan(spec({ algorithm: 'offline-dpo', update: { beta: 0.1, labelTemperature: T } }), 1).update.beta).toBeCloseTo(0.4, 12);
    const rso = iterationPlan(spec({ algorithm: 'rso', update: { beta: 0.1, labelTemperature: T } }), 1);
    expect(rso.update.beta).toBeCloseTo(0.4, 12);
    expect(rso.filter).toMatchObject({ kind: 'rejection', beta: 0.1 });
    const ms = spec({ algorithm: 'offline-multistep-rs', iterations: 3, update: { beta: 0.1, labelTemperature: T }, rejectionSampling: { etaSchedule: [1, 0.3, 0.1] } });
    const first = iterationPlan(ms, 1), last = iterationPlan(ms, 3);
    expect(first.update.beta).toBeCloseTo(4, 12);
    expect(first.filter).toMatchObject({ beta: 1 });
    expect(last.update.beta).toBeCloseTo(0.4, 12);
    // Default T = 1 is the paper's model: beta is eta.
    expect(iterationPlan(spec({ algorithm: 'online-iterative-dpo' }), 1).update.beta).toBe(0.1);
  });

  it('every plan carries the label budget and rejects iterations outside 1..T', () => {
    const s = spec({ algorithm: 'rso', iterations: 2, budget: { labelsPerIteration: 50 } });
    expect(iterationPlan(s, 1).labelBudget).toBe(50);
    expect(() => iterationPlan(s, 3)).toThrow(/iteration must be an integer in \[1, 2\]/);
  });
});
