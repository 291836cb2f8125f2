/**
 * How close can the bench's policy class get to J* at all (issue 17, point 3)? Two measurements per seed, each the
 * exact J of a member of the class, so each is a lower bound on the best J the class can reach; J* minus the better
 * one bounds what the model cannot represent, and that one minus an algorithm's J is what the algorithm leaves.
 *
 * - ascent (--ascent-steps, default 600): maximize J itself. J = mean_x sum_a pi(a|x) (r - eta log(pi/pi0)) is an
 *   exact differentiable function of the policy on the enumerable bandit; engine/model/exact-ascent.ts takes its exact
 *   gradient over every response of every held-out prompt J is measured on (the evaluation's 32), AdamW from pi0 (or from
 *   the fit below: --ascent-from fit) at --ascent-lr with cosine decay, full batch (--ascent-micro prompts per graph run). This is the "maximize J directly".
 * - fit (--steps, default 1500; 0 skips it): fit the model to the Gibbs policy pi* = pi0 exp(r/eta)/Z, which is
 *   known exactly: SFT (cross-entropy, i.e. KL(pi* || pi)) on responses sampled exactly from pi* for every distinct
 *   prompt of the task, warm start from pi0, AdamW at --lr for --steps steps of --batch rows.
 *
 *   node -r @swc-node/register bench/fidelity-capacity.ts [--seeds 3] [--first-seed 0] [--ascent-steps 600]
 *     [--ascent-lr 2e-2] [--ascent-micro 32] [--ascent-from pi0|fit] [--steps 1500] [--lr 3e-3] [--batch 64] [--model '{"dModel":32,"layers":2,"heads":2,"context":8}']
 *
 * Last line: one JSON object {eta, model, seeds: [{seed, J0, Jstar, Jfit, fraction, Jascent, ascentFraction, kl, reward, ascentKl, ascentReward}]}.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalArtifactStore } from '../store/local';
import { disposeRuntimes, setup } from '../engine/steps';
import { loadWeights, resolvedModelConfig } from '../engine/steps/common';
import { createPolicyRuntime, type NamedTensors, type PolicyRuntime, type SftBatch, type TrainState, zerosLike } from '../engine/model';
import { createExactAscent } from '../engine/model/exact-ascent';
import type { Task } from '../engine/tasks';
import { taskFromSpec } from '../engine/tasks';
import { exactMetrics, normalize } from '../engine/evaluation/exact';
import { rngFor, streamId } from '../engine/sampling/rng';
import { banditSpec, BENCH_BETA, deepMerge } from './fidelity-spec';
import { CampaignSpecSchema, type CampaignSpecInput } from '../schemas/campaign';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] ? args[i + 1] : fallback; };
const seeds = Number(option('seeds', '3'));
const firstSeed = Number(option('first-seed', '0'));
const steps = Number(option('steps', '1500'));
const lr = Number(option('lr', '3e-3'));
const batchSize = Number(option('batch', '64'));
const ascentSteps = Number(option('ascent-steps', '600'));
const ascentLr = Number(option('ascent-lr', '2e-2'));
const ascentMicro = Number(option('ascent-micro', '32'));
/** Where the ascent starts: pi0, or the fit to pi* (then it can only add J to the fit's). */
const ascentFrom = option('ascent-from', 'pi0');
if (ascentFrom !== 'pi0' && ascentFrom !== 'fit') throw new Error(`--ascent-from: 'pi0' or 'fit', got '${ascentFrom}'`);
const model = option('model', '');

async function fit(seed: number, store: LocalArtifactStore) {
  const input = banditSpec('online-iterative-dpo', seed, { iterations: 1, labels: 128 });
  const spec = CampaignSpecSchema.parse(model ? deepMerge(input, { policy: { model: JSON.parse(model) } }) as CampaignSpecInput : input);
  const eta = spec.update.beta;
  const task = taskFromSpec(spec);
  const config = resolvedModelConfig(spec, task);
  const { pi0 } = await setup({ store, spec, campaign: `capacity-s${seed}`, iteration: 0 });
  const initial = await loadWeights(store, pi0);
  const runtime = await createPolicyRuntime(config);
  const responses = task.allResponses();
  const key = (x: number[]) => x.join(',');
  const prompts = [...new Map([...task.trainPrompts, ...task.evalPrompts].map((x) => [key(x), x])).values()];
  // pi*(.|x) for every distinct prompt, from pi0's exact log-probs.
  const targets: Float64Array[] = [];
  for (const x of prompts) {
    const lq = await runtime.sequenceLogprobs(initial, responses.map(() => x), responses);
    targets.push(normalize(Array.from(lq, (l, i) => l + task.gold(x, responses[i]) / eta)));
  }
  const evalPrompts = task.evalPrompts.slice(0, spec.evaluation.prompts);
  const e0 = await exactMetrics(runtime, initial, initial, task, evalPrompts, eta);
  const fitted = steps > 0 ? await fitToGibbs(runtime, initial, prompts, responses, targets, seed) : undefined;
  const e = fitted ? await exactMetrics(runtime, fitted, initial, task, evalPrompts, eta) : undefined;
  if (ascentFrom === 'fit' && !fitted) throw new Error('--ascent-from fit needs a fit (--steps > 0)');
  const ascended = ascentSteps > 0 ? await ascend(config, runtime, ascentFrom === 'fit' ? fitted! : initial, initial, task, evalPrompts, eta, seed) : undefined;
  const a = ascended ? await exactMetrics(runtime, ascended, initial, task, evalPrompts, eta) : undefined;
  await runtime.dispose();
  const frac = (J: number) => (J - e0.J) / (e0.Jstar! - e0.J);
  return {
    seed, J0: e0.J, Jstar: e0.Jstar!,
    ...(e ? { Jfit: e.J, fraction: frac(e.J), kl: e.kl, reward: e.reward } : {}),
    ...(a ? { Jascent: a.J, ascentFraction: frac(a.J), ascentKl: a.kl, ascentReward: a.reward } : {}),
  };
}

const copy = (w: NamedTensors): NamedTensors => new Map([...w].map(([k, t]) => [k, { ...t, shape: t.shape.slice(), data: t.data.slice() }]));

/** SFT on exact samples of pi* (targets: pi*(.|x) per prompt), cosine decay over the fit, constant within a chunk of 50 steps. */
async function fitToGibbs(runtime: PolicyRuntime, initial: NamedTensors, prompts: number[][], responses: number[][], targets: Float64Array[], seed: number): Promise<NamedTensors> {
  const rng = rngFor(seed, streamId('bench/capacity'));
  const draw = (p: Float64Array) => { let u = rng.next(); for (let i = 0; i < p.length; i++) { u -= p[i]; if (u < 0) return i; } return p.length - 1; };
  let state: TrainState = { weights: copy(initial), m: zerosLike(initial), v: zerosLike(initial), step: 0 };
  for (let s = 0; s < steps; s += 50) {
    const chunk: SftBatch[] = [];
    for (let b = s; b < Math.min(steps, s + 50); b++) {
      const rows = Array.from({ length: batchSize }, () => rng.nextInt(prompts.length));
      chunk.push({ prompts: rows.map((k) => prompts[k]), responses: rows.map((k) => responses[draw(targets[k])]) });
    }
    const rate = lr * 0.5 * (1 + Math.cos((Math.PI * s) / steps));
    ({ state } = await runtime.sftSteps(state, chunk, { lr: rate, weightDecay: 0, maxGradNorm: 1 }));
  }
  return state.weights;
}

/** AdamW up J's exact gradient on the evaluation's prompts, from `start`, cosine decay; logs J every 50 steps. */
async function ascend(config: PolicyRuntime['config'], runtime: PolicyRuntime, start: NamedTensors, initial: NamedTensors, task: Task, prompts: number[][], eta: number, seed: number): Promise<NamedTensors> {
  const responses = task.allResponses();
  const refLogp: Float64Array[] = [];
  for (const x of prompts) refLogp.push(Float64Array.from(normalize(await runtime.sequenceLogprobs(initial, responses.map(() => x), responses)), Math.log));
  const objective = { prompts, responses, rewards: prompts.map((x) => responses.map((r) => task.gold(x, r))), refLogp, eta };
  const ascent = createExactAscent(config);
  let state: TrainState = { weights: copy(start), m: zerosLike(initial), v: zerosLike(initial), step: 0 };
  const t0 = Date.now();
  for (let s = 0; s < ascentSteps; s++) {
    const rate = ascentLr * 0.5 * (1 + Math.cos((Math.PI * s) / ascentSteps));
    const out = await ascent.step(state, objective, { lr: rate, weightDecay: 0, maxGradNorm: 1, promptsPerMicroBatch: ascentMicro });
    if (s % 50 === 0) process.stderr.write(`  seed ${seed} ascent step ${s}: J ${out.J.toFixed(4)} (reward ${out.reward.toFixed(3)}, KL ${out.kl.toFixed(3)}) ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    state = out.state;
  }
  ascent.dispose();
  return state.weights;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-capacity-'));
  const store = new LocalArtifactStore(dir);
  const rows = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const t0 = Date.now();
    const r = await fit(seed, store);
    rows.push(r);
    const fitted = r.Jfit === undefined ? '' : `  J(fit to pi*) ${r.Jfit.toFixed(3)} = ${(100 * r.fraction!).toFixed(1)}% of the way (KL ${r.kl!.toFixed(3)}, reward ${r.reward!.toFixed(3)})`;
    const up = r.Jascent === undefined ? '' : `  J(exact ascent) ${r.Jascent.toFixed(3)} = ${(100 * r.ascentFraction!).toFixed(1)}% of the way (KL ${r.ascentKl!.toFixed(3)}, reward ${r.ascentReward!.toFixed(3)})`;
    process.stdout.write(`seed ${seed}: J(pi0) ${r.J0.toFixed(3)}  J* ${r.Jstar.toFixed(3)}${fitted}${up}  (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  await disposeRuntimes();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ eta: BENCH_BETA, model: model || 'bench', steps, lr, batch: batchSize, ascentSteps, ascentLr, seeds: rows })}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
