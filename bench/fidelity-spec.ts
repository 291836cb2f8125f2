/**
 * The fidelity bench's bandit campaign spec, shared by bench/fidelity.ts, its sweep and the diagnosis script, so
 * every figure in engine/plans/README.md comes from the same task, model and hyper-parameters.
 */
import type { Algorithm, CampaignSpecInput } from '../schemas/campaign';

export interface BanditBenchOptions {
  iterations: number;
  /** Preference labels per iteration (hybrid's D_off is paid out of the same total). */
  labels: number;
  lr?: number;
  epochs?: number;
  candidates?: number;
  accepted?: number;
  /** Simulated human's temperature; 0 = the gold reward labels (noiseless). */
  oracleTemperature?: number;
  /** Final eta: RSO's beta, multi-step RS's eta_N, DPO's beta; J is measured at it. */
  eta?: number;
  /**
   * Online and hybrid updates: 'icml' restarts from pi0 on every pair so far (ICML paper), 'workflow' warm-starts
   * from pi_{t-1} on the new pairs (RLHF Workflow). The other plans fix their own.
   */
  practice?: 'icml' | 'workflow';
}

export const BENCH_BETA = 0.1;
const ETA_SCHEDULE = [1.0, 0.3, 0.1];

export function banditSpec(algorithm: Algorithm, seed: number, o: BanditBenchOptions): CampaignSpecInput {
  const eta = o.eta ?? BENCH_BETA;
  // toPrecision: 0.3 * 0.1 / 0.1 must stay 0.3 so the main run's spec (and its cached steps) is reused.
  const schedule = ETA_SCHEDULE.map((x) => Number(((x * eta) / BENCH_BETA).toPrecision(12)));
  const hybridLabels = Math.floor((o.iterations * o.labels) / (o.iterations + 1));
  const T = o.oracleTemperature ?? 0.25;
  return {
    name: eta === BENCH_BETA ? `bandit-${algorithm}-s${seed}` : `bandit-${algorithm}-s${seed}-eta${eta}`,
    algorithm,
    iterations: o.iterations,
    seed,
    policy: { source: 'builtin', model: { dModel: 32, layers: 2, heads: 2, context: 8 } },
    task: { name: 'bandit', vocab: 4, promptLength: 3, responseLength: 4, trainPrompts: 512, evalPrompts: 32, featureDim: 8, rewardScale: 1, sft: { steps: 300, lr: 1e-2, batchSize: 32 } },
    reward: { source: T > 0 ? { kind: 'bt-oracle', temperature: T } : { kind: 'gold' } },
    sampling: { promptsPerIteration: Math.ceil(1.5 * o.labels), n: 8, temperatures: [1.0, 0.7] },
    pairs: { strategy: 'max_min' },
    rejectionSampling: { candidates: o.candidates ?? 16, accepted: o.accepted ?? 8, etaSchedule: schedule },
    // labelTemperature T: the simulated human labels with sigmoid((r1 - r2)/T), so DPO's beta is eta/T (plans/README.md).
    update: {
      beta: eta, labelTemperature: T > 0 ? T : 1, lr: o.lr ?? 1e-3,
      ...((o.practice ?? 'icml') === 'icml' ? { init: 'initial', data: 'accumulate' } as const : { init: 'previous', data: 'fresh' } as const),
      epochs: o.epochs ?? 4, batchSize: 16, schedule: 'cosine', warmup: 0.03, checkpointEvery: 1000,
    },
    evaluation: { prompts: 32, exact: true },
    budget: { labelsPerIteration: algorithm === 'hybrid' ? hybridLabels : o.labels },
    offline: { prompts: algorithm === 'hybrid' ? hybridLabels : 0 },
  };
}

/** b's fields over a's, recursively for plain objects (arrays and scalars replace). */
export function deepMerge(a: unknown, b: unknown): unknown {
  if (!isObject(a) || !isObject(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
