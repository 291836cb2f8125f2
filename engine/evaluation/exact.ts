/**
 * Exact evaluation on an enumerable task: every response of every held-out prompt is scored under the policy and
 * pi0, so reward, KL(pi || pi0), J = E[r] - eta*KL, J(pi*) = eta * E_x log Z(x) and the win-rate against pi0 are
 * sums, not estimates.
 */
import type { EvalMetrics } from '../../schemas/results';
import type { NamedTensors, PolicyRuntime } from '../model/api';
import type { Task } from '../tasks';

const ROWS_PER_CALL = 1024;

export function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, xs[i]);
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i] - m);
  return m + Math.log(s);
}

/** eta * log sum_a pi0(a|x) exp(r(x,a)/eta): J of the Gibbs policy pi0 exp(r/eta)/Z for one prompt. */
export function optimalValue(logpInitial: ArrayLike<number>, rewards: ArrayLike<number>, eta: number): number {
  const z = Array.from({ length: rewards.length }, (_, i) => logpInitial[i] + rewards[i] / eta);
  return eta * logSumExp(z);
}

/** Normalized probabilities from sequence log-probs (the response space is complete, so this only removes float drift). */
export function normalize(logp: ArrayLike<number>): Float64Array {
  const lse = logSumExp(logp);
  return Float64Array.from({ length: logp.length }, (_, i) => Math.exp(logp[i] - lse));
}

/** P(r(a) > r(b)) + P(tie)/2 for a ~ p, b ~ q over the same responses. */
export function exactWinRate(p: ArrayLike<number>, q: ArrayLike<number>, rewards: ArrayLike<number>): number {
  const order = Array.from({ length: rewards.length }, (_, i) => i).sort((a, b) => rewards[a] - rewards[b]);
  let win = 0, below = 0;
  for (let i = 0; i < order.length;) {
    let j = i, pTie = 0, qTie = 0;
    while (j < order.length && rewards[order[j]] === rewards[order[i]]) { pTie += p[order[j]]; qTie += q[order[j]]; j++; }
    win += pTie * (below + qTie / 2);
    below += qTie;
    i = j;
  }
  return win;
}

export interface PromptExact { reward: number; kl: number; Jstar: number; winRate: number; logZ: number }

/** Exact quantities of one prompt from the log-probs of all its responses. */
export function promptExact(logpPolicy: ArrayLike<number>, logpInitial: ArrayLike<number>, rewards: ArrayLike<number>, eta: number): PromptExact {
  const p = normalize(logpPolicy), q = normalize(logpInitial);
  let reward = 0, kl = 0;
  for (let i = 0; i < p.length; i++) {
    reward += p[i] * rewards[i];
    if (p[i] > 0) kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-300)));
  }
  const lq = Array.from(q, (x) => Math.log(Math.max(x, 1e-300)));
  const Jstar = optimalValue(lq, rewards, eta);
  return { reward, kl, Jstar, winRate: exactWinRate(p, q, rewards), logZ: Jstar / eta };
}

/**
 * log pi(a|x) of every response of every prompt, one Float64Array per prompt. Rows of several prompts share a
 * call (up to ROWS_PER_CALL): on a compute thread each call is a round trip, and one call per prompt made those
 * round trips a visible share of an evaluation.
 */
async function allLogprobs(
  runtime: PolicyRuntime, weights: NamedTensors, prompts: number[][], responses: number[][], checkAborted?: () => void,
): Promise<Float64Array[]> {
  const rows = prompts.length * responses.length;
  const flat = new Float64Array(rows);
  for (let start = 0; start < rows; start += ROWS_PER_CALL) {
    checkAborted?.();
    const end = Math.min(rows, start + ROWS_PER_CALL);
    const xs: number[][] = [];
    const as: number[][] = [];
    for (let r = start; r < end; r++) {
      xs.push(prompts[Math.floor(r / responses.length)]);
      as.push(responses[r % responses.length]);
    }
    flat.set(await runtime.sequenceLogprobs(weights, xs, as), start);
  }
  return prompts.map((_, i) => flat.subarray(i * responses.length, (i + 1) * responses.length));
}

/** Exact metrics over `prompts`; `checkAborted` is called between runtime calls. */
export async function exactMetrics(
  runtime: PolicyRuntime, weights: NamedTensors, initial: NamedTensors, task: Task, prompts: number[][], eta: number, checkAborted?: () => void,
): Promise<EvalMetrics> {
  const responses = task.allResponses();
  const lps = await allLogprobs(runtime, weights, prompts, responses, checkAborted);
  const lqs = weights === initial ? lps : await allLogprobs(runtime, initial, prompts, responses, checkAborted);
  let reward = 0, kl = 0, Jstar = 0, win = 0, length = 0;
  prompts.forEach((x, k) => {
    const rewards = responses.map((a) => task.gold(x, a));
    const e = promptExact(lps[k], lqs[k], rewards, eta);
    const p = normalize(lps[k]);
    reward += e.reward; kl += e.kl; Jstar += e.Jstar; win += e.winRate;
    responses.forEach((a, i) => { length += p[i] * task.responseLength(a); });
  });
  const n = prompts.length;
  const J = reward / n - eta * (kl / n);
  return {
    reward: reward / n, kl: kl / n, klStderr: 0, J, Jstar: Jstar / n, gap: Jstar / n - J,
    winRateVsInitial: win / n, responseLength: length / n, exact: true,
  };
}

/** Exact win-rate of policy A against policy B under the gold reward (ties count half), averaged over prompts. */
export async function exactWinRateBetween(
  runtime: PolicyRuntime, a: NamedTensors, b: NamedTensors, task: Task, prompts: number[][],
): Promise<number> {
  const responses = task.allResponses();
  const [la, lb] = [await allLogprobs(runtime, a, prompts, responses), await allLogprobs(runtime, b, prompts, responses)];
  let total = 0;
  prompts.forEach((x, k) => {
    const rewards = responses.map((r) => task.gold(x, r));
    total += exactWinRate(normalize(la[k]), normalize(lb[k]), rewards);
  });
  return total / prompts.length;
}
