/**
 * One pure function per algorithm of PAPER.md: what iteration t does. The workflow and the in-process runner
 * both follow these plans, so there is one definition of each algorithm.
 *
 * What each plan fixes (the rest comes from the spec):
 * - online-iterative-dpo: samples n responses of the current policy (temperatures cycled), pairs best-of-n vs
 *   worst-of-n (the spec's strategy; max_min = main agent vs enhancer). init / data / reference from the spec
 *   (RLHF Workflow: previous / fresh / initial; ICML paper: initial / accumulate / initial).
 * - D_off is either pi0's pairs on offline.prompts set-aside prompts, or a preference dataset (offline.pairs).
 * - hybrid: as online, from a non-empty D_off of pi0 samples (offline.prompts, or one iteration's worth when 0) or offline.pairs,
 *   and the pool of each prompt is half current policy, half pi0 (the (pi_t, pi0) pair of samplers). D_off is in
 *   every update with data 'accumulate', in the first update with 'fresh'.
 * - offline-dpo: every iteration samples pi0 only, restarts from pi0 and trains on every pair so far
 *   (init initial, data accumulate, reference initial): iteration t is one DPO pass on t iterations' worth of
 *   pi0 pairs, so the last one is offline DPO at the campaign's label budget.
 * - rso: as offline-dpo, but the pairs come from statistical rejection sampling of
 *   rejectionSampling.candidates pi0 samples at beta = update.beta, accepted samples paired by the strategy.
 * - offline-multistep-rs: the eta schedule is spread over the iterations (iteration t runs stage
 *   ceil(t*N/T) - 1, so the last iteration reaches eta_N); each stage samples the previous stage's policy,
 *   accepts by rejection sampling toward pi0 exp(r/eta_s) (temperature 1/(1/eta_s - 1/eta_{s-1})), pairs the
 *   accepted samples (max_min = best vs worst), and fits pi_s by DPO with beta eta_s against pi0, warm-started
 *   from pi_{s-1}, on the accepted pairs of every stage so far (so the last stage, at eta_N, trains on the
 *   campaign's whole label budget, as RSO does; see README.md).
 */
import type { CampaignSpec } from '../../schemas/campaign';
import { stageRejectionBeta } from '../preference/rso';
import type { IterationPlan, SamplerPlan, SetupPlan } from '../../schemas/plan';
import { InvalidInputError } from '../errors';

function offlinePrompts(spec: CampaignSpec): number {
  // A preference file (offline.pairs) is D_off by itself: no pi0 prompts are set aside for it.
  if (spec.offline.pairs !== undefined) return 0;
  if (spec.algorithm === 'hybrid') return spec.offline.prompts > 0 ? spec.offline.prompts : spec.sampling.promptsPerIteration;
  return spec.offline.prompts;
}

/** Whether there is a D_off at all (pi0 samples of offline.prompts, or the pairs of offline.pairs). */
function hasOffline(spec: CampaignSpec): boolean {
  return spec.offline.prompts > 0 || spec.offline.pairs !== undefined;
}

export function setupPlan(spec: CampaignSpec): SetupPlan {
  return {
    offlinePrompts: offlinePrompts(spec),
    offlineSamplers: [{ policy: 'initial', n: spec.sampling.n, temperatures: spec.sampling.temperatures }],
    offlineFilter: { kind: 'pairs', strategy: spec.pairs.strategy },
  };
}

export function multistepStage(spec: CampaignSpec, iteration: number): number {
  const N = spec.rejectionSampling.etaSchedule.length;
  return Math.min(N - 1, Math.max(0, Math.ceil((iteration * N) / spec.iterations) - 1));
}

export function iterationPlan(spec: CampaignSpec, iteration: number): IterationPlan {
  if (!Number.isInteger(iteration) || iteration < 1 || iteration > spec.iterations) {
    throw new InvalidInputError(`iteration must be an integer in [1, ${spec.iterations}] (spec.iterations), got ${iteration}`);
  }
  const m = spec.sampling.promptsPerIteration;
  const prompts = { offset: offlinePrompts(spec) + (iteration - 1) * m, count: m };
  const base = {
    algorithm: spec.algorithm,
    iteration,
    stage: 0,
    prompts,
    labelBudget: spec.budget.labelsPerIteration,
  };
  const current: SamplerPlan = { policy: 'current', n: spec.sampling.n, temperatures: spec.sampling.temperatures };
  const fromPi0: SamplerPlan = { ...current, policy: 'initial' };
  const pairs = { kind: 'pairs' as const, strategy: spec.pairs.strategy };
  // DPO with Bradley-Terry labels at temperature T and beta b has optimum pi0 exp(r/(T*b)): the loss's beta is
  // eta/T so that it targets pi0 exp(r/eta), the policy J at eta is maximized by. Rejection sampling accepts on
  // rewards in J's units, so it keeps eta itself.
  const lossBeta = (eta: number) => eta / spec.update.labelTemperature;
  const beta = lossBeta(spec.update.beta);
  const rs = spec.rejectionSampling;

  switch (spec.algorithm) {
    case 'online-iterative-dpo':
      return {
        ...base, samplers: [current], filter: pairs,
        update: { init: spec.update.init, data: spec.update.data, reference: spec.reference, beta, includeOffline: hasOffline(spec) && (spec.update.data === 'accumulate' || iteration === 1) },
        note: 'online: current policy samples, pairs by strategy (max_min = main agent vs enhancer); init/data/reference from the spec',
      };
    case 'hybrid': {
      const half = Math.ceil(spec.sampling.n / 2);
      return {
        ...base,
        samplers: [{ ...current, n: half }, { ...fromPi0, n: Math.max(1, spec.sampling.n - half) }],
        filter: pairs,
        update: { init: spec.update.init, data: spec.update.data, reference: spec.reference, beta, includeOffline: spec.update.data === 'accumulate' || iteration === 1 },
        note: 'hybrid: D_off of pi0 pairs, then (pi_t, pi0) samplers; init/data/reference from the spec',
      };
    }
    case 'offline-dpo':
      return {
        ...base, samplers: [fromPi0], filter: pairs,
        update: { init: 'initial', data: 'accumulate', reference: 'initial', beta, includeOffline: hasOffline(spec) },
        note: 'offline DPO: pi0 samples only; restart from pi0 on all pairs so far (last iteration = one pass on the whole budget)',
      };
    case 'rso':
      return {
        ...base, samplers: [{ ...fromPi0, n: rs.candidates }],
        filter: { kind: 'rejection', accepted: rs.accepted, beta: spec.update.beta, strategy: spec.pairs.strategy },
        update: { init: 'initial', data: 'accumulate', reference: 'initial', beta, includeOffline: false },
        note: 'RSO: rejection sampling of pi0 candidates at beta; restart from pi0 on all accepted pairs so far',
      };
    case 'offline-multistep-rs': {
      const stage = multistepStage(spec, iteration);
      const eta = rs.etaSchedule[stage];
      return {
        ...base, stage,
        samplers: [{ ...current, n: rs.candidates }],
        filter: { kind: 'rejection', accepted: rs.accepted, beta: stageRejectionBeta(rs.etaSchedule, stage), strategy: spec.pairs.strategy },
        // accumulate: DPO against pi0 at beta eta_s targets pi0 exp(r/eta_s) whichever policy sampled the pairs, so
        // every earlier stage's labels are evidence for this fit too; fresh data would leave the final stage 1/T of
        // the labels RSO trains on. previous: pi_{s-1} is the nearest start to pi0 exp(r/eta_s).
        update: { init: 'previous', data: 'accumulate', reference: 'initial', beta: lossBeta(eta), includeOffline: false },
        note: `multi-step RS stage ${stage + 1}/${rs.etaSchedule.length}: eta ${eta}; sample previous stage, accept toward pi0 exp(r/eta), DPO vs pi0 warm-started on all accepted pairs so far`,
      };
    }
    default:
      throw new Error(`algorithm '${String(spec.algorithm)}' has no plan`);
  }
}
